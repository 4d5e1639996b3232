"""Subcommands of the ``bedrock-ops`` command line (see ``bedrock_ops.cli``)."""

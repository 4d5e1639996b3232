"""The deployable cdk-bedrock-ops app: typed configuration and the stacks composed from ``bedrock_ops``."""

"""cdk-bedrock-ops: AWS CDK constructs for running Amazon Bedrock models in production."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

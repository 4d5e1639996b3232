"""cdk-bedrock-ops: AWS CDK constructs for running Amazon Bedrock models in production.

The public API is what ``__all__`` lists; modules and names starting with ``_`` are private.
"""

from __future__ import annotations

from bedrock_ops.content_filter import ContentFilteredCountMetricFilter
from bedrock_ops.github_oidc import GitHubOidcDeployRoles
from bedrock_ops.invocation_logging import InvocationLogging
from bedrock_ops.kms import BedrockKmsKey
from bedrock_ops.metrics import BedrockLoggingMetrics, BedrockModelMetrics, BedrockOpsMetrics, GuardrailMetrics
from bedrock_ops.model_access import ModelAccess
from bedrock_ops.model_catalog import CatalogModel, ModelCatalog, UnknownModelError, load_model_catalog
from bedrock_ops.model_customization import CustomizationHyperparameters, ModelCustomizationWorkflow
from bedrock_ops.model_registry import CustomizationType, DatasetFormat
from bedrock_ops.monitoring import AlarmThresholds, BedrockMonitoring, MonitoredModel
from bedrock_ops.pricing import HOURS_PER_MONTH, Commitment, ModelPrice, PricingTable, load_pricing_table
from bedrock_ops.provisioned_throughput import ProvisionedThroughput
from bedrock_ops.service_role import BedrockJobType, BedrockServiceRole
from bedrock_ops.training_bucket import TrainingDataBucket

__version__ = "0.1.0"

__all__ = [
    "HOURS_PER_MONTH",
    "AlarmThresholds",
    "BedrockJobType",
    "BedrockKmsKey",
    "BedrockLoggingMetrics",
    "BedrockModelMetrics",
    "BedrockMonitoring",
    "BedrockOpsMetrics",
    "BedrockServiceRole",
    "CatalogModel",
    "Commitment",
    "ContentFilteredCountMetricFilter",
    "CustomizationHyperparameters",
    "CustomizationType",
    "DatasetFormat",
    "GitHubOidcDeployRoles",
    "GuardrailMetrics",
    "InvocationLogging",
    "ModelAccess",
    "ModelCatalog",
    "ModelCustomizationWorkflow",
    "ModelPrice",
    "MonitoredModel",
    "PricingTable",
    "ProvisionedThroughput",
    "TrainingDataBucket",
    "UnknownModelError",
    "__version__",
    "load_model_catalog",
    "load_pricing_table",
]

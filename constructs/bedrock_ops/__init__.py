"""cdk-bedrock-ops: AWS CDK constructs for running Amazon Bedrock models in production.

The public API is what ``__all__`` lists; modules and names starting with ``_`` are private.

Names are imported on first use (PEP 562): ``import bedrock_ops.dataset_validation`` or the
``bedrock-ops`` command line do not start aws-cdk-lib's jsii runtime (Node.js) unless a construct is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (UnknownModelError: the model catalog's; the model registry's
# is bedrock_ops.model_registry.UnknownModelError)
_EXPORTS = {
    "BuiltinDataset": "bedrock_ops.evaluation",
    "EvaluationDataset": "bedrock_ops.evaluation",
    "EvaluationKind": "bedrock_ops.evaluation",
    "EvaluationTaskType": "bedrock_ops.evaluation",
    "HumanMetric": "bedrock_ops.evaluation",
    "HumanRatingMethod": "bedrock_ops.evaluation",
    "JudgeMetric": "bedrock_ops.evaluation",
    "ModelEvaluation": "bedrock_ops.evaluation",
    "PrecomputedResponses": "bedrock_ops.evaluation",
    "HOURS_PER_MONTH": "bedrock_ops.pricing",
    "AlarmThresholds": "bedrock_ops.monitoring",
    "BedrockJobType": "bedrock_ops.service_role",
    "BedrockKmsKey": "bedrock_ops.kms",
    "BedrockLoggingMetrics": "bedrock_ops.metrics",
    "BedrockModelMetrics": "bedrock_ops.metrics",
    "BedrockMonitoring": "bedrock_ops.monitoring",
    "BedrockOpsMetrics": "bedrock_ops.metrics",
    "BedrockServiceRole": "bedrock_ops.service_role",
    "CatalogModel": "bedrock_ops.model_catalog",
    "Commitment": "bedrock_ops.pricing",
    "ContentFilteredCountMetricFilter": "bedrock_ops.content_filter",
    "CustomizationHyperparameters": "bedrock_ops.model_customization",
    "CustomizationType": "bedrock_ops.model_registry",
    "DatasetFormat": "bedrock_ops.model_registry",
    "DatasetSplit": "bedrock_ops.dataset_validation",
    "DatasetValidationError": "bedrock_ops.local_datasets",
    "DatasetValidator": "bedrock_ops.dataset_validator",
    "GitHubOidcDeployRoles": "bedrock_ops.github_oidc",
    "GuardrailMetrics": "bedrock_ops.metrics",
    "HyperparameterSpec": "bedrock_ops.model_registry",
    "InvocationLogging": "bedrock_ops.invocation_logging",
    "LocalDataset": "bedrock_ops.local_datasets",
    "LocalDatasets": "bedrock_ops.local_datasets",
    "ModelAccess": "bedrock_ops.model_access",
    "ModelCatalog": "bedrock_ops.model_catalog",
    "ModelCustomizationWorkflow": "bedrock_ops.model_customization",
    "ModelPrice": "bedrock_ops.pricing",
    "ModelRegistry": "bedrock_ops.model_registry",
    "ModelSpec": "bedrock_ops.model_registry",
    "MonitoredModel": "bedrock_ops.monitoring",
    "PricingTable": "bedrock_ops.pricing",
    "ProvisionedThroughput": "bedrock_ops.provisioned_throughput",
    "TrainingDataBucket": "bedrock_ops.training_bucket",
    "UnknownModelError": "bedrock_ops.model_catalog",
    "ValidationIssue": "bedrock_ops.dataset_validation",
    "ValidationReport": "bedrock_ops.dataset_validation",
    "load_model_catalog": "bedrock_ops.model_catalog",
    "load_pricing_table": "bedrock_ops.pricing",
    "validate_file": "bedrock_ops.dataset_validation",
}

if TYPE_CHECKING:
    from bedrock_ops.content_filter import ContentFilteredCountMetricFilter
    from bedrock_ops.dataset_validation import DatasetSplit, ValidationIssue, ValidationReport, validate_file
    from bedrock_ops.dataset_validator import DatasetValidator
    from bedrock_ops.evaluation import (
        BuiltinDataset,
        EvaluationDataset,
        EvaluationKind,
        EvaluationTaskType,
        HumanMetric,
        HumanRatingMethod,
        JudgeMetric,
        ModelEvaluation,
        PrecomputedResponses,
    )
    from bedrock_ops.github_oidc import GitHubOidcDeployRoles
    from bedrock_ops.invocation_logging import InvocationLogging
    from bedrock_ops.kms import BedrockKmsKey
    from bedrock_ops.local_datasets import DatasetValidationError, LocalDataset, LocalDatasets
    from bedrock_ops.metrics import BedrockLoggingMetrics, BedrockModelMetrics, BedrockOpsMetrics, GuardrailMetrics
    from bedrock_ops.model_access import ModelAccess
    from bedrock_ops.model_catalog import CatalogModel, ModelCatalog, UnknownModelError, load_model_catalog
    from bedrock_ops.model_customization import CustomizationHyperparameters, ModelCustomizationWorkflow
    from bedrock_ops.model_registry import (
        CustomizationType,
        DatasetFormat,
        HyperparameterSpec,
        ModelRegistry,
        ModelSpec,
    )
    from bedrock_ops.monitoring import AlarmThresholds, BedrockMonitoring, MonitoredModel
    from bedrock_ops.pricing import HOURS_PER_MONTH, Commitment, ModelPrice, PricingTable, load_pricing_table
    from bedrock_ops.provisioned_throughput import ProvisionedThroughput
    from bedrock_ops.service_role import BedrockJobType, BedrockServiceRole
    from bedrock_ops.training_bucket import TrainingDataBucket

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
    "BuiltinDataset",
    "CatalogModel",
    "Commitment",
    "ContentFilteredCountMetricFilter",
    "CustomizationHyperparameters",
    "CustomizationType",
    "DatasetFormat",
    "DatasetSplit",
    "DatasetValidationError",
    "DatasetValidator",
    "EvaluationDataset",
    "EvaluationKind",
    "EvaluationTaskType",
    "GitHubOidcDeployRoles",
    "GuardrailMetrics",
    "HumanMetric",
    "HumanRatingMethod",
    "HyperparameterSpec",
    "InvocationLogging",
    "JudgeMetric",
    "LocalDataset",
    "LocalDatasets",
    "ModelAccess",
    "ModelCatalog",
    "ModelCustomizationWorkflow",
    "ModelEvaluation",
    "ModelPrice",
    "ModelRegistry",
    "ModelSpec",
    "MonitoredModel",
    "PrecomputedResponses",
    "PricingTable",
    "ProvisionedThroughput",
    "TrainingDataBucket",
    "UnknownModelError",
    "ValidationIssue",
    "ValidationReport",
    "__version__",
    "load_model_catalog",
    "load_pricing_table",
    "validate_file",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_ops' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

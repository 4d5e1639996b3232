"""cdk-bedrock-ops: AWS CDK constructs for running Amazon Bedrock models in production.

The public API is what ``__all__`` lists; modules and names starting with ``_`` are private.

Names are imported on first use (PEP 562): ``import bedrock_ops.data.validation`` or the
``bedrock-ops`` command line do not start aws-cdk-lib's jsii runtime (Node.js) unless a construct is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "CustomModel": "bedrock_ops.serving.custom_model",
    "ICustomModel": "bedrock_ops.serving.custom_model",
    "IProvisionedThroughput": "bedrock_ops.serving.provisioned_throughput",
    "IInvocationLogging": "bedrock_ops.observability.invocation_logging",
    "BatchInference": "bedrock_ops.batch.workflow",
    "BuiltinDataset": "bedrock_ops.evaluation.types",
    "EvaluationDataset": "bedrock_ops.evaluation.types",
    "EvaluationGate": "bedrock_ops.evaluation.gate",
    "EvaluationKind": "bedrock_ops.evaluation.types",
    "EvaluationTaskType": "bedrock_ops.evaluation.types",
    "HumanMetric": "bedrock_ops.evaluation.types",
    "HumanRatingMethod": "bedrock_ops.evaluation.types",
    "JudgeMetric": "bedrock_ops.evaluation.types",
    "ModelEvaluation": "bedrock_ops.evaluation.model_evaluation",
    "PrecomputedResponses": "bedrock_ops.evaluation.types",
    "HOURS_PER_MONTH": "bedrock_ops.cost.pricing",
    "AlarmThresholds": "bedrock_ops.observability.monitoring_props",
    "ApplicationInferenceProfile": "bedrock_ops.serving.inference_profile",
    "BedrockJobType": "bedrock_ops.roles.service_role",
    "BedrockKmsKey": "bedrock_ops.data.kms",
    "BedrockLoggingMetrics": "bedrock_ops.observability.metrics",
    "BedrockModelMetrics": "bedrock_ops.observability.metrics",
    "BedrockMonitoring": "bedrock_ops.observability.monitoring",
    "BedrockOpsMetrics": "bedrock_ops.observability.metrics",
    "BedrockServiceRole": "bedrock_ops.roles.service_role",
    "Commitment": "bedrock_ops.cost.pricing",
    "ContentFilteredCountMetricFilter": "bedrock_ops.observability.content_filter",
    "CustomizationHyperparameters": "bedrock_ops.customization.workflow",
    "CustomModelDeployment": "bedrock_ops.serving.deployment",
    "ICustomModelDeployment": "bedrock_ops.serving.deployment",
    "ImportedModel": "bedrock_ops.serving.imported_model",
    "ModelCopy": "bedrock_ops.serving.model_copy",
    "EndpointKind": "bedrock_ops.serving.stable_endpoint",
    "IStableEndpoint": "bedrock_ops.serving.stable_endpoint",
    "StableEndpoint": "bedrock_ops.serving.stable_endpoint",
    "BatchLimits": "bedrock_ops.models.facts",
    "CustomizationType": "bedrock_ops.models.facts",
    "DatasetFormat": "bedrock_ops.models.facts",
    "DatasetSplit": "bedrock_ops.data.validation",
    "DatasetValidationError": "bedrock_ops.data.local_datasets",
    "DatasetValidator": "bedrock_ops.data.validator",
    "GitHubOidcDeployRoles": "bedrock_ops.delivery.github_oidc",
    "GuardrailMetrics": "bedrock_ops.observability.metrics",
    "HyperparameterSpec": "bedrock_ops.models.hyperparameters",
    "InvocationLogging": "bedrock_ops.observability.invocation_logging",
    "LocalDataset": "bedrock_ops.data.local_datasets",
    "LocalDatasets": "bedrock_ops.data.local_datasets",
    "AnthropicUseCaseForm": "bedrock_ops.access.model_access",
    "ModelAccess": "bedrock_ops.access.model_access",
    "ModelCustomizationWorkflow": "bedrock_ops.customization.workflow",
    "ModelEntry": "bedrock_ops.models.facts",
    "ModelKnowledgeBase": "bedrock_ops.models.knowledge",
    "ModelPrice": "bedrock_ops.cost.pricing",
    "ModelReference": "bedrock_ops.models.ids",
    "ModelsFileError": "bedrock_ops.models.knowledge",
    "MonitoredModel": "bedrock_ops.observability.monitoring_props",
    "PriceSource": "bedrock_ops.cost.pricing",
    "PricingTable": "bedrock_ops.cost.pricing",
    "ProvisionedThroughput": "bedrock_ops.serving.provisioned_throughput",
    "ReferenceKind": "bedrock_ops.models.ids",
    "ReinforcementFineTuningWorkflow": "bedrock_ops.customization.rft",
    "RewardFunction": "bedrock_ops.customization.reward_function",
    "RewardTemplate": "bedrock_ops.customization.reward_function",
    "RftHyperparameters": "bedrock_ops.customization.rft",
    "TrainingDataBucket": "bedrock_ops.data.training_bucket",
    "TrainingDataBucketBase": "bedrock_ops.data.training_bucket",
    "DataPrefixes": "bedrock_ops.data.training_bucket",
    "UnknownModelError": "bedrock_ops.models.knowledge",
    "ValidationIssue": "bedrock_ops.data.validation",
    "ValidationReport": "bedrock_ops.data.validation",
    "load_models": "bedrock_ops.models.knowledge",
    "load_pricing_table": "bedrock_ops.cost.pricing",
    "validate_file": "bedrock_ops.data.validation",
}

if TYPE_CHECKING:
    from bedrock_ops.access.model_access import AnthropicUseCaseForm, ModelAccess
    from bedrock_ops.batch.workflow import BatchInference
    from bedrock_ops.cost.pricing import (
        HOURS_PER_MONTH,
        Commitment,
        ModelPrice,
        PriceSource,
        PricingTable,
        load_pricing_table,
    )
    from bedrock_ops.customization.reward_function import RewardFunction, RewardTemplate
    from bedrock_ops.customization.rft import ReinforcementFineTuningWorkflow, RftHyperparameters
    from bedrock_ops.customization.workflow import CustomizationHyperparameters, ModelCustomizationWorkflow
    from bedrock_ops.data.kms import BedrockKmsKey
    from bedrock_ops.data.local_datasets import DatasetValidationError, LocalDataset, LocalDatasets
    from bedrock_ops.data.training_bucket import DataPrefixes, TrainingDataBucket, TrainingDataBucketBase
    from bedrock_ops.data.validation import DatasetSplit, ValidationIssue, ValidationReport, validate_file
    from bedrock_ops.data.validator import DatasetValidator
    from bedrock_ops.delivery.github_oidc import GitHubOidcDeployRoles
    from bedrock_ops.evaluation.gate import EvaluationGate
    from bedrock_ops.evaluation.model_evaluation import ModelEvaluation
    from bedrock_ops.evaluation.types import (
        BuiltinDataset,
        EvaluationDataset,
        EvaluationKind,
        EvaluationTaskType,
        HumanMetric,
        HumanRatingMethod,
        JudgeMetric,
        PrecomputedResponses,
    )
    from bedrock_ops.models.facts import BatchLimits, CustomizationType, DatasetFormat, ModelEntry
    from bedrock_ops.models.hyperparameters import HyperparameterSpec
    from bedrock_ops.models.ids import ModelReference, ReferenceKind
    from bedrock_ops.models.knowledge import ModelKnowledgeBase, ModelsFileError, UnknownModelError, load_models
    from bedrock_ops.observability.content_filter import ContentFilteredCountMetricFilter
    from bedrock_ops.observability.invocation_logging import IInvocationLogging, InvocationLogging
    from bedrock_ops.observability.metrics import (
        BedrockLoggingMetrics,
        BedrockModelMetrics,
        BedrockOpsMetrics,
        GuardrailMetrics,
    )
    from bedrock_ops.observability.monitoring import BedrockMonitoring
    from bedrock_ops.observability.monitoring_props import AlarmThresholds, MonitoredModel
    from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
    from bedrock_ops.serving.custom_model import CustomModel, ICustomModel
    from bedrock_ops.serving.deployment import CustomModelDeployment, ICustomModelDeployment
    from bedrock_ops.serving.imported_model import ImportedModel
    from bedrock_ops.serving.inference_profile import ApplicationInferenceProfile
    from bedrock_ops.serving.model_copy import ModelCopy
    from bedrock_ops.serving.provisioned_throughput import IProvisionedThroughput, ProvisionedThroughput
    from bedrock_ops.serving.stable_endpoint import EndpointKind, IStableEndpoint, StableEndpoint

__all__ = [
    "HOURS_PER_MONTH",
    "AlarmThresholds",
    "AnthropicUseCaseForm",
    "ApplicationInferenceProfile",
    "BatchInference",
    "BatchLimits",
    "BedrockJobType",
    "BedrockKmsKey",
    "BedrockLoggingMetrics",
    "BedrockModelMetrics",
    "BedrockMonitoring",
    "BedrockOpsMetrics",
    "BedrockServiceRole",
    "BuiltinDataset",
    "Commitment",
    "ContentFilteredCountMetricFilter",
    "CustomModel",
    "CustomModelDeployment",
    "CustomizationHyperparameters",
    "CustomizationType",
    "DataPrefixes",
    "DatasetFormat",
    "DatasetSplit",
    "DatasetValidationError",
    "DatasetValidator",
    "EndpointKind",
    "EvaluationDataset",
    "EvaluationGate",
    "EvaluationKind",
    "EvaluationTaskType",
    "GitHubOidcDeployRoles",
    "GuardrailMetrics",
    "HumanMetric",
    "HumanRatingMethod",
    "HyperparameterSpec",
    "ICustomModel",
    "ICustomModelDeployment",
    "IInvocationLogging",
    "IProvisionedThroughput",
    "IStableEndpoint",
    "ImportedModel",
    "InvocationLogging",
    "JudgeMetric",
    "LocalDataset",
    "LocalDatasets",
    "ModelAccess",
    "ModelCopy",
    "ModelCustomizationWorkflow",
    "ModelEntry",
    "ModelEvaluation",
    "ModelKnowledgeBase",
    "ModelPrice",
    "ModelReference",
    "ModelsFileError",
    "MonitoredModel",
    "PrecomputedResponses",
    "PriceSource",
    "PricingTable",
    "ProvisionedThroughput",
    "ReferenceKind",
    "ReinforcementFineTuningWorkflow",
    "RewardFunction",
    "RewardTemplate",
    "RftHyperparameters",
    "StableEndpoint",
    "TrainingDataBucket",
    "TrainingDataBucketBase",
    "UnknownModelError",
    "ValidationIssue",
    "ValidationReport",
    "__version__",
    "load_models",
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

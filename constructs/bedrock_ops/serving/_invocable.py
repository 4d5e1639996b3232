"""What a deployment and a provisioned throughput have in common: one ARN callers invoke, and the ``AWS/Bedrock``
metrics of one ``ModelId``."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from bedrock_ops.observability.metrics import BEDROCK_NAMESPACE, MODEL_ID_DIMENSION, _metric
from constructs import Construct

__all__ = ["InvocableModel"]


class InvocableModel(Construct):
    """A served model: ``grant_invoke`` on :meth:`_invoke_arn` and ``metric_*`` of ``ModelId`` =
    :meth:`_metrics_model_id` (defaults: Sum over 5 minutes, InvocationLatency Average)."""

    def _invoke_arn(self) -> str:
        raise NotImplementedError

    def _metrics_model_id(self) -> str:
        raise NotImplementedError

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the model (InvokeModel and InvokeModelWithResponseStream, which also
        authorize Converse and ConverseStream) on its ARN only: the Service Authorization Reference lists
        ``provisioned-model`` and ``custom-model-deployment`` as resource types of both actions."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            resource_arns=[self._invoke_arn()],
        )

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """An ``AWS/Bedrock`` metric of this model (dimension ModelId; Sum over 5 minutes unless ``props`` say
        otherwise)."""
        statistic = str(props.pop("statistic", "Sum"))
        return _metric(
            BEDROCK_NAMESPACE,
            metric_name,
            dimensions={MODEL_ID_DIMENSION: self._metrics_model_id()},
            statistic=statistic,
            options=props,
        )

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Invocations (Sum over 5 minutes)."""
        return self.metric("Invocations", **props)

    def metric_invocation_latency(self, **props: Any) -> cloudwatch.Metric:
        """InvocationLatency in milliseconds (Average over 5 minutes)."""
        return self.metric("InvocationLatency", **{"statistic": "Average", **props})

    def metric_invocation_client_errors(self, **props: Any) -> cloudwatch.Metric:
        """InvocationClientErrors (Sum over 5 minutes)."""
        return self.metric("InvocationClientErrors", **props)

    def metric_invocation_server_errors(self, **props: Any) -> cloudwatch.Metric:
        """InvocationServerErrors (Sum over 5 minutes)."""
        return self.metric("InvocationServerErrors", **props)

    def metric_invocation_throttles(self, **props: Any) -> cloudwatch.Metric:
        """InvocationThrottles (Sum over 5 minutes); for a provisioned throughput: its model units are
        saturated."""
        return self.metric("InvocationThrottles", **props)

    def metric_input_token_count(self, **props: Any) -> cloudwatch.Metric:
        """InputTokenCount (Sum over 5 minutes)."""
        return self.metric("InputTokenCount", **props)

    def metric_output_token_count(self, **props: Any) -> cloudwatch.Metric:
        """OutputTokenCount (Sum over 5 minutes)."""
        return self.metric("OutputTokenCount", **props)

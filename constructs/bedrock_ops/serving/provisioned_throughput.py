"""ProvisionedThroughput: Bedrock provisioned model throughput as a resource, with a cost guard."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, CustomResource, Duration, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.arns import require_arn
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.limits import MODEL_UNITS
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.cost.deployment import compare_deployment
from bedrock_ops.cost.pricing import HOURS_PER_MONTH, Commitment, PricingTable, load_pricing_table
from bedrock_ops.models.facts import ModelEntry
from bedrock_ops.models.ids import ReferenceKind
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models
from bedrock_ops.serving._invocable import InvocableModel
from constructs import Construct

__all__ = ["IProvisionedThroughput", "ProvisionedThroughput", "commitment_cost_guard", "parse_commitment"]

_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
_CUSTOM_MODEL_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{12}:custom-model/")
_FOUNDATION_MODEL_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model/(?P<id>.+)$")
_MODEL_ARN_ATTRIBUTES = ("custom_model_arn", "output_model_arn", "model_arn")


class IProvisionedThroughput(InvocableModel):
    """A provisioned throughput, created here or imported with :meth:`ProvisionedThroughput.from_provisioned_model_arn`:
    what callers invoke (``provisioned_model_arn`` is the ``modelId`` of InvokeModel / Converse) and its metrics."""

    provisioned_model_arn: str
    """ARN of the provisioned model: the ``modelId`` of InvokeModel / Converse and the ``ModelId`` of its metrics."""

    def _invoke_arn(self) -> str:
        return self.provisioned_model_arn

    def _metrics_model_id(self) -> str:
        return self.provisioned_model_arn


class ProvisionedThroughput(IProvisionedThroughput):
    """A provisioned throughput (dedicated model units) for a foundation or custom model.

    Billed hourly per model unit until deleted; a committed throughput (one or six months) cannot
    be deleted before its term ends. Committing therefore needs ``acknowledge_commitment_cost=True``
    (else the synth fails with the estimated cost of the term), and a committed throughput is
    retained when removed from the stack unless ``removal_policy`` says otherwise.

    Model units need a quota: request them through AWS Support before deploying.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: Any,
        model_units: int = 1,
        commitment: Commitment | str = Commitment.NO_COMMITMENT,
        provisioned_model_name: str | None = None,
        base_model_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        acknowledge_commitment_cost: bool = False,
        removal_policy: RemovalPolicy | None = None,
        pricing_table: PricingTable | None = None,
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Create the throughput.

        :param model: a context variant of a foundation model (e.g. ``amazon.titan-text-express-v1:0:8k``,
            ``amazon.nova-lite-v1:0:24k``; a plain id fails with the variants that can be bought), its
            foundation-model ARN, a custom model ARN, or a construct
            exposing ``custom_model_arn`` / ``output_model_arn`` / ``model_arn`` (the customization
            construct's output).
        :param model_units: model units, 1-100 (the ``provisioned_throughput.model_units`` bound; default: 1).
            They need a service quota.
        :param commitment: a ``Commitment`` or its value or name: ``NoCommitment`` (default), ``OneMonth`` or
            ``SixMonths`` (``"ONE_MONTH"``, ``"six-months"`` too). Models the knowledge base
            marks ``provisioned_throughput.no_commitment: false`` (Titan Image Generator G1 and G1 v2) need a
            commitment.
        :param provisioned_model_name: 1-63 characters (default: derived from the construct path).
        :param base_model_id: the base foundation model of a custom model, for the cost estimate
            (default: the model's own id, or the ``base_model_id`` attribute of ``model``).
        :param tags: tags on the throughput (default: none).
        :param acknowledge_commitment_cost: must be True for a committed throughput (default: False).
        :param removal_policy: default RETAIN for a committed throughput, DESTROY without commitment.
        :param pricing_table: prices for the estimate (default: the packaged table).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for the throughput to be InService
            (default: 35 minutes; 5-60 minutes). The provider is shared by every throughput of the
            stack and polls for the first throughput's timeout minus 2 minutes.
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.commitment = parse_enum(Commitment, commitment, param="commitment")
        self.model_units = model_units
        MODEL_UNITS.check("model_units", model_units)
        timeout = timeout or Duration.minutes(35)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(f"timeout must be 5-60 minutes, got {timeout.to_minutes()} minutes")

        self.model_id, model_resource_arns, foundation_id = self._resolve_model(model, stack, load_models(models_file))
        priced_id = base_model_id or getattr(model, "base_model_id", None) or foundation_id

        name = provisioned_model_name or _default_name(self)
        if not Token.is_unresolved(name) and (len(name) > 63 or not _NAME_PATTERN.match(name)):
            raise ValueError(
                f"provisioned_model_name must be 1-63 letters, digits, '-' or '_' "
                f"(no two separators in a row, starting with a letter or digit), got {name!r}"
            )
        self.provisioned_model_name = name

        table = pricing_table or load_pricing_table()
        self.estimated_hourly_cost = self._hourly_cost(table, priced_id)
        self.estimated_monthly_cost = (
            None if self.estimated_hourly_cost is None else self.estimated_hourly_cost * HOURS_PER_MONTH
        )
        self._cost_guard(table, priced_id, acknowledge_commitment_cost)

        if removal_policy is None:
            committed = self.commitment is not Commitment.NO_COMMITMENT
            removal_policy = RemovalPolicy.RETAIN if committed else RemovalPolicy.DESTROY
        elif removal_policy is RemovalPolicy.DESTROY and self.commitment is not Commitment.NO_COMMITMENT:
            Annotations.of(self).add_warning_v2(
                "bedrock-ops:committed-throughput-destroy",
                "A committed throughput cannot be deleted before its term ends: removing it from the stack "
                "will fail until then. RemovalPolicy.RETAIN is the safe choice.",
            )

        handle = singleton_provider(
            self,
            kind="ProvisionedThroughput",
            handler="provisioned_throughput",
            description="Custom::BedrockProvisionedThroughput: create, update and delete Bedrock provisioned "
            "model throughput",
            is_complete=True,
            query_interval=Duration.seconds(30),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        self._grant_provider(handle.on_event_role, stack, model_resource_arns)

        properties: dict[str, Any] = {
            "ModelId": self.model_id,
            "ModelUnits": model_units,
            "CommitmentDuration": self.commitment.value,
            "ProvisionedModelName": name,
        }
        if tags:
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        self.resource: CustomResource = handle.resource(
            self,
            "Resource",
            resource_type="Custom::BedrockProvisionedThroughput",
            properties=properties,
            service_timeout=timeout,
            removal_policy=removal_policy,
        )
        self.provisioned_model_arn = self.resource.ref
        """ARN of the provisioned model: use it as the modelId of InvokeModel/Converse."""

        CfnOutput(
            self,
            "EstimatedCost",
            description=f"Estimated cost of provisioned throughput {name} (pricing table as of "
            f"{table.as_of.isoformat()}, {table.region}; {table.source})",
            value=self._cost_summary(table, priced_id),
        )

    # -- public verbs ----------------------------------------------------------------------------

    @staticmethod
    def from_provisioned_model_arn(
        scope: Construct, id: str, provisioned_model_arn: str, *, models_file: str | Path | None = None
    ) -> IProvisionedThroughput:
        """A provisioned throughput created elsewhere, by its ARN (``grant_invoke`` and ``metric_*``).

        :param provisioned_model_arn: ``arn:aws:bedrock:<region>:<account>:provisioned-model/<id>`` (tokens
            allowed), checked by the model knowledge base's ``reference()``.
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        """
        require_arn(
            provisioned_model_arn,
            ReferenceKind.PROVISIONED_MODEL,
            param="provisioned_model_arn",
            models_file=models_file,
        )
        return _ImportedThroughput(scope, id, provisioned_model_arn)

    # -- internals -------------------------------------------------------------------------------

    def _resolve_model(
        self, model: Any, stack: Stack, catalog: ModelKnowledgeBase
    ) -> tuple[str, list[str], str | None]:
        """(model id for the API, model ARNs for IAM, foundation model id if known)."""
        if not isinstance(model, str):
            for attribute in _MODEL_ARN_ATTRIBUTES:
                value = getattr(model, attribute, None)
                if isinstance(value, str):
                    return value, [value], None
            raise ValueError(
                f"model must be a model id, a model ARN or a construct with one of "
                f"{', '.join(_MODEL_ARN_ATTRIBUTES)}, got {type(model).__name__}"
            )
        if Token.is_unresolved(model) or _CUSTOM_MODEL_ARN.match(model):
            return model, [model], None
        arn_match = _FOUNDATION_MODEL_ARN.match(model)
        foundation_id = arn_match.group("id") if arn_match else model
        entry = catalog.resolve(foundation_id, prop="model")
        if not entry.provisioned_throughput:
            raise ValueError(
                f"model {model!r} ({entry.name}) is not offered with provisioned throughput; "
                "use on-demand inference or a model whose knowledge base entry has "
                "provisioned_throughput.supported=true"
            )
        self._check_purchasable(model, foundation_id, entry)
        # The id as given (possibly context-suffixed) and the plain id: IAM sees one of them.
        arns = [
            stack.format_arn(service="bedrock", account="", resource="foundation-model", resource_name=model_id)
            for model_id in dict.fromkeys([foundation_id, entry.model_id])
        ]
        return model, arns, foundation_id

    def _check_purchasable(self, model: str, foundation_id: str, entry: ModelEntry) -> None:
        """The knowledge base's provisioned_throughput group: the context variants that can be bought (a base
        model is bought by a context variant, UG prov-thru-purchase) and whether without a commitment."""
        variants = entry.provisioned_throughput_variants
        if foundation_id.lower() not in {v.lower() for v in variants}:
            allowed = ", ".join(variants)
            raise ValueError(
                f"model {model!r}: {foundation_id} needs a context variant for provisioned throughput: "
                f"one of {allowed} ({entry.name}; knowledge base group provisioned_throughput.variants)"
            )
        no_commitment = entry.provisioned_throughput_no_commitment
        if self.commitment is Commitment.NO_COMMITMENT and no_commitment is False:
            committed = ", ".join(c.value for c in Commitment if c is not Commitment.NO_COMMITMENT)
            raise ValueError(
                f"model {model!r} ({entry.name}) cannot be bought without a commitment: commitment must be one of "
                f"{committed} (with acknowledge_commitment_cost=True), got {self.commitment.value}"
            )
        if self.commitment is Commitment.NO_COMMITMENT and no_commitment is None:
            Annotations.of(self).add_warning_v2(
                "bedrock-ops:no-commitment-unconfirmed",
                f"The documentation does not say whether {entry.name} ({foundation_id}) can be bought without a "
                "commitment (knowledge base: provisioned_throughput.no_commitment is unconfirmed); the purchase "
                "may fail. Set it in a models file (models_file=) once known.",
            )

    def _hourly_cost(self, table: PricingTable, priced_id: str | None) -> float | None:
        if priced_id is None or Token.is_unresolved(self.model_units):
            return None
        price = table.price(priced_id)
        return None if price is None else price.provisioned_hourly_cost(self.commitment, self.model_units)

    def _cost_summary(self, table: PricingTable, priced_id: str | None) -> str:
        if self.estimated_hourly_cost is None or self.estimated_monthly_cost is None:
            if priced_id is None:
                return (
                    f"unknown: the base model of this custom model is not known, so no {self.commitment.value} rate "
                    f"can be looked up (pricing table as of {table.as_of.isoformat()}); pass base_model_id"
                )
            return (
                f"unknown: no {self.commitment.value} rate for {priced_id} in the pricing table (as of "
                f"{table.as_of.isoformat()}); add one in a pricing file (pricing_table=load_pricing_table(path))"
            )
        price = table.price(priced_id) if priced_id is not None else None
        summary = (
            f"{table.currency} {self.estimated_hourly_cost:,.2f}/hour, "
            f"{table.currency} {self.estimated_monthly_cost:,.2f}/month "
            f"({self.model_units} model unit(s), {self.commitment.value})"
        )
        if price is None:
            return summary
        summary += f"; rate {table.describe(price.source_of('provisioned'))}"
        custom = Token.is_unresolved(self.model_id) or bool(_CUSTOM_MODEL_ARN.match(self.model_id))
        if not custom:
            return summary
        try:
            deployable = load_models().resolve(price.model_id).custom_model_deployment
        except ValueError:
            return summary
        if deployable is False:
            return summary
        comparison = compare_deployment(price, deployable=deployable, model_units=self.model_units)
        per_1k = comparison.deployment_per_1k
        threshold = comparison.break_even_tokens_month.get(self.commitment)
        if per_1k is None or threshold is None:
            return (
                f"{summary}. Or on demand by a custom model deployment ({price.model_id} is deployable): charged per "
                "input and output token, rates not in the pricing table (unconfirmed), so no break-even"
            )
        return (
            f"{summary}. Or on demand by a custom model deployment: {table.currency} "
            f"{comparison.deployment_input_per_1k:g}/1k input, "
            f"{comparison.deployment_output_per_1k:g}/1k output tokens "
            f"(prices {table.describe(price.source_of('deployment'))}); the throughput is cheaper above "
            f"{threshold:,.0f} tokens/month at 25% output"
        )

    def _cost_guard(self, table: PricingTable, priced_id: str | None, acknowledged: bool) -> None:
        commitment_cost_guard(
            path=self.node.path,
            commitment=self.commitment,
            model_units=self.model_units,
            hourly_cost=self.estimated_hourly_cost,
            table=table,
            priced_id=priced_id,
            subject=priced_id or self.model_id,
            acknowledged=acknowledged,
        )

    def _grant_provider(self, role: iam.IRole, stack: Stack, model_arns: list[str]) -> None:
        provisioned_models = stack.format_arn(service="bedrock", resource="provisioned-model", resource_name="*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "bedrock:CreateProvisionedModelThroughput",
                    "bedrock:UpdateProvisionedModelThroughput",
                ],
                resources=model_arns,
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                # CreateProvisionedModelThroughput applies to the model only (first statement): the Service
                # Authorization Reference lists no provisioned-model resource for it.
                actions=[
                    "bedrock:GetProvisionedModelThroughput",
                    "bedrock:UpdateProvisionedModelThroughput",
                    "bedrock:DeleteProvisionedModelThroughput",
                    "bedrock:TagResource",
                    "bedrock:UntagResource",
                ],
                resources=[provisioned_models],
            )
        )
        nag.acknowledge(
            role,
            nag.iam5_resource_finding(self, provisioned_models),
            "Provisioned model ARNs end in an id Bedrock generates at creation, so the handler can only be "
            "scoped to this account's and Region's provisioned models.",
        )
        if any(Token.is_unresolved(arn) or _CUSTOM_MODEL_ARN.match(arn) for arn in model_arns):
            # Moving a custom-model throughput in place needs the base model of the old and the new custom
            # model (GetCustomModel); the old one is whatever the previous deployment used.
            custom_models = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["bedrock:GetCustomModel"], resources=[custom_models])
            )
            nag.acknowledge(
                role,
                nag.iam5_resource_finding(self, custom_models),
                "GetCustomModel (read-only) on this account's custom models: an in-place model change compares "
                "the base model of the previous deployment's custom model, which the template cannot name.",
            )


def commitment_cost_guard(
    *,
    path: str,
    commitment: Commitment,
    model_units: int,
    hourly_cost: float | None,
    table: PricingTable,
    priced_id: str | None,
    acknowledged: bool,
    subject: str | None = None,
) -> None:
    """The synth-time cost guard of committed throughput (ProvisionedThroughput and StableEndpoint): a
    commitment without ``acknowledged`` fails with the estimated cost of the whole term (``subject``: what is
    bought, default ``priced_id``)."""
    if commitment is Commitment.NO_COMMITMENT or acknowledged:
        return
    months = commitment.term_months
    if hourly_cost is None:
        estimate = (
            f"the pricing table (as of {table.as_of.isoformat()}) has no {commitment.value} "
            f"rate for {priced_id or 'this model'}, so the cost of the term is unknown"
        )
    else:
        term_cost = hourly_cost * commitment.term_hours
        price = table.price(priced_id) if priced_id is not None else None
        rate = (
            f"{table.region} rate {table.describe(price.source_of('provisioned'))}"
            if price is not None
            else f"pricing table as of {table.as_of.isoformat()}, {table.region}"
        )
        estimate = (
            f"estimated {table.currency} {hourly_cost:,.2f}/hour, "
            f"{table.currency} {term_cost:,.2f} for the {months}-month term ({rate})"
        )
    raise ValueError(
        f"{path}: commitment {commitment.value} buys {model_units} model unit(s) of "
        f"{subject or priced_id or 'this model'} for {months} month(s) that cannot be cancelled: {estimate}. "
        "Set acknowledge_commitment_cost=True (config key "
        "provisioned_throughput.acknowledge_commitment_cost: true) to proceed."
    )


def parse_commitment(value: Commitment | str) -> Commitment:
    """``value`` as a :class:`Commitment` (its API value or member name; the error lists the allowed values)."""
    return parse_enum(Commitment, value, param="commitment")


def _default_name(scope: Construct) -> str:
    return Names.unique_resource_name(scope, max_length=63, separator="-")


class _ImportedThroughput(IProvisionedThroughput):
    def __init__(self, scope: Construct, id: str, provisioned_model_arn: str) -> None:
        super().__init__(scope, id)
        self.provisioned_model_arn = provisioned_model_arn

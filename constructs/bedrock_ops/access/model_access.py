"""ModelAccess: Bedrock model access as it works since 2025 (availability checks, the one Anthropic use-case form,
agreements accepted in advance on request)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops._core.sequences import require_list
from bedrock_ops.models.facts import ModelEntry
from bedrock_ops.models.knowledge import load_models
from constructs import Construct

__all__ = ["MARKETPLACE_SUBSCRIPTION_ACTIONS", "USE_CASE_FORM_FIELDS", "AnthropicUseCaseForm", "ModelAccess"]

USE_CASE_FORM_FIELDS = (
    "companyName",
    "companyWebsite",
    "intendedUsers",
    "industryOption",
    "otherIndustryOption",
    "useCases",
)
"""Fields of the Anthropic use-case form (PutUseCaseForModelAccess formData)."""

MARKETPLACE_SUBSCRIPTION_ACTIONS = (
    "aws-marketplace:Subscribe",
    "aws-marketplace:Unsubscribe",
    "aws-marketplace:ViewSubscriptions",
)
"""What a role that invokes a third-party model for the first time needs (user guide, model-access), so that
Bedrock can subscribe the account through AWS Marketplace."""

_REQUIRED_FORM_FIELDS = ("companyName", "companyWebsite", "useCases")
_INTENDED_USERS = ("0", "1", "2")
_OFFER_TYPES = ("PUBLIC", "ALL")
_MAX_FORM_BYTES = 16384  # PutUseCaseForModelAccess formData: 10-16384 bytes (API reference)
_FORM_ID = "BedrockOpsAnthropicUseCaseForm"
_ACCOUNT_LEVEL = (
    "are account-level: the Service Authorization Reference lists no resource type for them, so they can only be "
    "granted on '*'."
)


class AnthropicUseCaseForm(Construct):
    """The account's one Anthropic use-case form (``Custom::BedrockUseCaseForm``).

    Adopts a form already on file (``GetUseCaseForModelAccess``) and submits this one only when the account has
    none; never submits again on update (a changed form is reported by the ``FormChanged`` attribute, not sent);
    removing it does nothing, because a form cannot be deleted. Use :meth:`of` to get the stack's one form.
    """

    def __init__(self, scope: Construct, id: str, *, form: Mapping[str, str]) -> None:
        """Submit or adopt ``form``.

        :param form: companyName, companyWebsite, intendedUsers ("0" internal, "1" external, "2" both; default
            "0"), industryOption, otherIndustryOption, useCases (companyName, companyWebsite and useCases
            required).
        """
        super().__init__(scope, id)
        self.form_data: dict[str, str] = _validate_form(form)
        """The form as submitted (every field, strings)."""
        handle = singleton_provider(
            self,
            kind="UseCaseForm",
            handler="use_case_form",
            description="Custom::BedrockUseCaseForm: the account's Anthropic use-case form (adopt or submit once)",
        )
        handle.on_event_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:GetUseCaseForModelAccess", "bedrock:PutUseCaseForModelAccess"], resources=["*"]
            )
        )
        nag.acknowledge(
            handle.on_event_role,
            "AwsSolutions-IAM5[Resource::*]",
            f"GetUseCaseForModelAccess and PutUseCaseForModelAccess {_ACCOUNT_LEVEL}",
        )
        self.resource: CustomResource = handle.resource(
            self, "Resource", resource_type="Custom::BedrockUseCaseForm", properties={"FormData": self.form_data}
        )

    @classmethod
    def of(cls, scope: Construct, form: Mapping[str, str]) -> AnthropicUseCaseForm:
        """The stack's one form: created on first use; a different form in the same stack is an error."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(_FORM_ID)
        if existing is None:
            return cls(stack, _FORM_ID, form=form)
        assert isinstance(existing, AnthropicUseCaseForm)
        if _validate_form(form) != existing.form_data:
            raise ValueError(
                f"use_case_form: stack {stack.stack_name} already has an Anthropic use-case form "
                f"{json.dumps(existing.form_data)}, and an account has only one; got a different form "
                f"{json.dumps(_validate_form(form))}"
            )
        return existing

    @property
    def adopted(self) -> str:
        """ "true" when a form was already on file and was adopted, "false" when this one was submitted."""
        return self.resource.get_att_string("Adopted")


class ModelAccess(Construct):
    """Makes sure this account can use the given foundation models in the stack's Region.

    Since 2025 serverless models are enabled by default and third-party models subscribe through AWS Marketplace
    on their first invocation, so by default nothing is bought or accepted: one ``Custom::BedrockModelAccess``
    resource per model calls ``GetFoundationModelAvailability`` once and fails the deployment at once, saying
    what to check, when the model is not offered in the Region, is not authorized (an IAM policy or SCP denies
    it), has no Marketplace entitlement, or its agreement is in error. ``use_case_form`` adds the account's one
    Anthropic use-case form (:class:`AnthropicUseCaseForm`); ``accept_agreements`` accepts the Marketplace
    models' agreements in advance and waits, bounded by ``timeout``, until they are available. Removing the
    construct leaves access in place: it is account-wide, and the next invocation would subscribe again anyway;
    restrict models with IAM policies or SCPs. Unknown model ids fail the synth with suggestions.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        models: Sequence[str],
        use_case_form: Mapping[str, str] | None = None,
        accept_agreements: bool = False,
        offer_type: str = "PUBLIC",
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Check (and on request prepare) access to ``models``.

        :param models: foundation model ids, plain or context-suffixed (at least one).
        :param use_case_form: the Anthropic use-case form, submitted once per account if none is on file
            (default: none; the synth warns when an Anthropic model is listed without it). Keys: companyName,
            companyWebsite, intendedUsers ("0" internal, "1" external, "2" both), industryOption,
            otherIndustryOption, useCases.
        :param accept_agreements: accept the agreement of each model the knowledge base marks
            ``access.marketplace_subscription`` in advance (ListFoundationModelAgreementOffers,
            CreateFoundationModelAgreement) and wait until it is AVAILABLE (default: False, the first
            invocation subscribes).
        :param offer_type: agreement offers to consider, ``PUBLIC`` (default) or ``ALL``.
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for a resource (default: 20 minutes; 5-60 minutes). An
            accepted agreement that is not AVAILABLE 4 minutes before fails with its last status (Marketplace
            subscriptions take up to 15 minutes). The provider is shared by every ModelAccess of the stack and
            polls for the first one's timeout minus 2 minutes.
        """
        super().__init__(scope, id)
        require_list(models, param="models", of="foundation model ids")
        if not models:
            raise ValueError("models must list at least one foundation model id, got []")
        if offer_type not in _OFFER_TYPES:
            raise ValueError(f"offer_type must be one of {', '.join(_OFFER_TYPES)}, got {offer_type!r}")
        timeout = timeout or Duration.minutes(20)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(f"timeout must be 5-60 minutes, got {timeout.to_minutes()} minutes")
        catalog = load_models(models_file)
        entries: dict[str, ModelEntry] = {}
        for index, model_id in enumerate(models):
            entry = catalog.resolve(model_id, prop=f"models[{index}]")
            entries.setdefault(entry.model_id, entry)
        self.use_case_form: AnthropicUseCaseForm | None = (
            AnthropicUseCaseForm.of(self, use_case_form) if use_case_form is not None else None
        )
        """The stack's Anthropic use-case form resource (None without ``use_case_form``)."""
        anthropic = [m for m, e in entries.items() if e.anthropic_use_case_form]
        if anthropic and self.use_case_form is None:
            Annotations.of(self).add_warning_v2(
                "bedrock-ops:anthropic-use-case-form",
                f"{', '.join(anthropic)} need(s) the Anthropic use-case form, once per account (or organization): "
                "set use_case_form (config key model_access.use_case_form) unless the account has submitted it.",
            )
        agreements = {m: accept_agreements and e.marketplace_subscription is not False for m, e in entries.items()}

        handle = singleton_provider(
            self,
            kind="ModelAccess",
            handler="model_access",
            description="Custom::BedrockModelAccess: model availability checks and agreements accepted in advance",
            is_complete=True,
            query_interval=Duration.seconds(30),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        _grant_provider(handle.on_event_role, agreements=any(agreements.values()))

        self.model_ids: tuple[str, ...] = tuple(entries)
        """The plain ids of the models, in the order given, without duplicates."""
        self.resources: dict[str, CustomResource] = {}
        wait_seconds = int(timeout.minus(Duration.minutes(4)).to_seconds())
        for model_id, entry in entries.items():
            properties: dict[str, Any] = {
                "ModelId": model_id,
                "AcceptAgreement": agreements[model_id],
                "OfferType": offer_type,
                "AgreementWaitSeconds": max(wait_seconds, 60),
                "RequiresUseCaseForm": entry.anthropic_use_case_form,
            }
            resource = handle.resource(
                self,
                _construct_id(model_id),
                resource_type="Custom::BedrockModelAccess",
                properties=properties,
                service_timeout=timeout,
            )
            if entry.anthropic_use_case_form and self.use_case_form is not None:
                resource.node.add_dependency(self.use_case_form)
            self.resources[model_id] = resource

    @staticmethod
    def grant_marketplace_subscription(grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` (a role that invokes third-party models) what Bedrock's first-invocation AWS
        Marketplace subscription needs: ``aws-marketplace:Subscribe``, ``Unsubscribe``, ``ViewSubscriptions``
        on ``*`` (they have no resource type)."""
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(MARKETPLACE_SUBSCRIPTION_ACTIONS), resource_arns=["*"]
        )
        principal = grantee.grant_principal
        policy = principal.node.try_find_child("DefaultPolicy") if isinstance(principal, iam.Role) else None
        if policy is not None:
            nag.acknowledge(
                policy, "AwsSolutions-IAM5[Resource::*]", f"The AWS Marketplace subscription actions {_ACCOUNT_LEVEL}"
            )
        return grant

    def _attribute(self, model_id: str, name: str) -> str:
        resource = self.resources.get(model_id)
        if resource is None:
            raise ValueError(f"model_id must be one of {', '.join(self.model_ids)}, got {model_id!r}")
        return resource.get_att_string(name)

    def agreement_status(self, model_id: str) -> str:
        """The agreement status Bedrock reported for ``model_id`` (AVAILABLE once an accepted agreement is)."""
        return self._attribute(model_id, "AgreementStatus")

    def authorization_status(self, model_id: str) -> str:
        """The authorization status of ``model_id`` (AUTHORIZED once deployed)."""
        return self._attribute(model_id, "AuthorizationStatus")

    def entitlement_availability(self, model_id: str) -> str:
        """The Marketplace entitlement availability of ``model_id``."""
        return self._attribute(model_id, "EntitlementAvailability")

    def region_availability(self, model_id: str) -> str:
        """Whether ``model_id`` is offered in the stack's Region (AVAILABLE once deployed)."""
        return self._attribute(model_id, "RegionAvailability")


def _construct_id(model_id: str) -> str:
    return "Access" + "".join(part.capitalize() for part in model_id.replace(":", "-").replace(".", "-").split("-"))


def _validate_form(form: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(form) - set(USE_CASE_FORM_FIELDS))
    if unknown:
        allowed = ", ".join(USE_CASE_FORM_FIELDS)
        raise ValueError(f"use_case_form has unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    missing = [name for name in _REQUIRED_FORM_FIELDS if not form.get(name)]
    if missing:
        raise ValueError(f"use_case_form must set {', '.join(missing)}")
    intended = str(form.get("intendedUsers", "0"))
    if intended not in _INTENDED_USERS:
        raise ValueError(
            f"use_case_form.intendedUsers must be 0 (internal), 1 (external) or 2 (both), got {intended!r}"
        )
    data = {name: str(form.get(name, "0" if name == "intendedUsers" else "")) for name in USE_CASE_FORM_FIELDS}
    size = len(json.dumps(data).encode("utf-8"))
    if size > _MAX_FORM_BYTES:
        raise ValueError(f"use_case_form must encode to at most {_MAX_FORM_BYTES} bytes, got {size}")
    return data


def _grant_provider(role: iam.IRole, *, agreements: bool) -> None:
    bedrock_actions = ["bedrock:GetFoundationModelAvailability"]
    if agreements:
        bedrock_actions += ["bedrock:ListFoundationModelAgreementOffers", "bedrock:CreateFoundationModelAgreement"]
    role.add_to_principal_policy(iam.PolicyStatement(actions=bedrock_actions, resources=["*"]))
    if agreements:
        # Creating the agreement subscribes the account through AWS Marketplace.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"], resources=["*"]
            )
        )
    nag.acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        f"Model availability, agreement and AWS Marketplace subscription actions {_ACCOUNT_LEVEL}",
    )

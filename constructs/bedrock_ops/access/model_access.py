"""ModelAccess: Bedrock model access (Anthropic use-case form, Marketplace agreements) as resources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.models.facts import ModelEntry
from bedrock_ops.models.knowledge import load_models
from constructs import Construct

__all__ = ["USE_CASE_FORM_FIELDS", "ModelAccess"]

USE_CASE_FORM_FIELDS = (
    "companyName",
    "companyWebsite",
    "intendedUsers",
    "industryOption",
    "otherIndustryOption",
    "useCases",
)
"""Fields of the Anthropic use-case form (PutUseCaseForModelAccess formData)."""

_REQUIRED_FORM_FIELDS = ("companyName", "companyWebsite", "useCases")
_INTENDED_USERS = ("0", "1", "2")
_OFFER_TYPES = ("PUBLIC", "ALL")


class ModelAccess(Construct):
    """Makes sure this account can use the given foundation models in the stack's Region.

    For each model: checks ``GetFoundationModelAvailability``; submits the Anthropic use-case form
    (from ``use_case_form``) when the account has none; creates the Marketplace agreement from the
    first offer when none exists; waits until the model is available and authorized. Model access
    is account-wide, so removing the resource leaves it in place unless
    ``revoke_agreement_on_delete`` is set. Unknown model ids fail the synth with suggestions.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        models: Sequence[str],
        use_case_form: Mapping[str, str] | None = None,
        revoke_agreement_on_delete: bool = False,
        offer_type: str = "PUBLIC",
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Request access to ``models``.

        :param models: foundation model ids, plain or context-suffixed (at least one).
        :param use_case_form: the Anthropic use-case form (default: none; deploying an Anthropic model
            then fails if the account has not submitted the form). Keys: companyName, companyWebsite,
            intendedUsers ("0" internal, "1" external, "2" both), industryOption, otherIndustryOption,
            useCases.
        :param revoke_agreement_on_delete: delete the model agreements when the resources are removed
            (default: False, access stays).
        :param offer_type: agreement offers to consider, ``PUBLIC`` (default) or ``ALL``.
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for access (default: 25 minutes; Marketplace
            subscriptions take up to 15; 5-60 minutes).
        """
        super().__init__(scope, id)
        if not models:
            raise ValueError("models must list at least one foundation model id, got []")
        if offer_type not in _OFFER_TYPES:
            raise ValueError(f"offer_type must be one of {', '.join(_OFFER_TYPES)}, got {offer_type!r}")
        timeout = timeout or Duration.minutes(25)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(f"timeout must be 5-60 minutes, got {timeout.to_minutes()} minutes")
        catalog = load_models(models_file)
        entries: dict[str, ModelEntry] = {}
        for index, model_id in enumerate(models):
            entry = catalog.resolve(model_id, prop=f"models[{index}]")
            entries.setdefault(entry.model_id, entry)
        form = _validate_form(use_case_form) if use_case_form is not None else None
        needs_form = any(entry.anthropic_use_case_form for entry in entries.values())

        handle = singleton_provider(
            self,
            kind="ModelAccess",
            handler="model_access",
            description="Custom::BedrockModelAccess: model availability, use-case form and agreements",
            is_complete=True,
            query_interval=Duration.seconds(30),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        _grant_provider(handle.on_event_role, needs_form=needs_form, revoke=revoke_agreement_on_delete)

        self.model_ids: tuple[str, ...] = tuple(entries)
        """The plain ids of the models, in the order given, without duplicates."""
        self.resources: dict[str, CustomResource] = {}
        for model_id, entry in entries.items():
            properties: dict[str, Any] = {
                "ModelId": model_id,
                "RequiresUseCaseForm": entry.anthropic_use_case_form,
                "OfferType": offer_type,
                "RevokeAgreementOnDelete": revoke_agreement_on_delete,
            }
            if form is not None and entry.anthropic_use_case_form:
                properties["UseCaseForm"] = dict(form)
            self.resources[model_id] = handle.resource(
                self,
                _construct_id(model_id),
                resource_type="Custom::BedrockModelAccess",
                properties=properties,
                service_timeout=timeout,
            )

    def _attribute(self, model_id: str, name: str) -> str:
        resource = self.resources.get(model_id)
        if resource is None:
            raise ValueError(f"model_id must be one of {', '.join(self.model_ids)}, got {model_id!r}")
        return resource.get_att_string(name)

    def agreement_status(self, model_id: str) -> str:
        """The final agreement status of ``model_id`` (AVAILABLE once deployed)."""
        return self._attribute(model_id, "AgreementStatus")

    def authorization_status(self, model_id: str) -> str:
        """The final authorization status of ``model_id`` (AUTHORIZED once deployed)."""
        return self._attribute(model_id, "AuthorizationStatus")

    def entitlement_availability(self, model_id: str) -> str:
        """The Marketplace entitlement availability of ``model_id``."""
        return self._attribute(model_id, "EntitlementAvailability")

    def region_availability(self, model_id: str) -> str:
        """Whether ``model_id`` is offered in the stack's Region."""
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
    return {name: str(form.get(name, "0" if name == "intendedUsers" else "")) for name in USE_CASE_FORM_FIELDS}


def _grant_provider(role: iam.IRole, *, needs_form: bool, revoke: bool) -> None:
    bedrock_actions = [
        "bedrock:GetFoundationModelAvailability",
        "bedrock:ListFoundationModelAgreementOffers",
        "bedrock:CreateFoundationModelAgreement",
    ]
    marketplace_actions = ["aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"]
    if needs_form:
        bedrock_actions += ["bedrock:GetUseCaseForModelAccess", "bedrock:PutUseCaseForModelAccess"]
    if revoke:
        bedrock_actions.append("bedrock:DeleteFoundationModelAgreement")
        marketplace_actions.append("aws-marketplace:Unsubscribe")
    role.add_to_principal_policy(iam.PolicyStatement(actions=bedrock_actions, resources=["*"]))
    role.add_to_principal_policy(iam.PolicyStatement(actions=marketplace_actions, resources=["*"]))
    nag.acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Model availability, use-case form and agreement actions and the Marketplace subscription actions are "
        "account-level: the Service Authorization Reference lists no resource type for them.",
    )

"""A stateful stand-in for the Bedrock control plane, for the CloudFormation lifecycle harness.

botocore's ``Stubber`` answers a fixed script of calls; the lifecycle harness needs a service that remembers
what was bought, so that a retried, replayed or rolled-back request can be seen to buy nothing twice. This
fake keeps provisioned throughputs in memory and behaves as the Bedrock API reference documents:

- every request is validated against botocore's bedrock service model (names, types, required members, and
  the patterns of top-level strings, which the service answers with a ``ValidationException``) and every
  response's keys against the operation's output shape, as Stubber does;
- ``clientRequestToken``: a request whose token was seen before returns the original resource and buys
  nothing (API reference: "If this token matches a previous request, Amazon Bedrock ignores the request,
  but does not return an error");
- two live throughputs may not share a name (``ValidationException``; unconfirmed in the docs, the fake is
  strict so that a replacement created under the name of the throughput it replaces is caught);
- a new throughput is ``Creating`` for ``polls_until_in_service`` reads, then ``InService`` (or ``Failed``
  with a ``failureMessage`` when the model id is listed in ``failing_models``);
- ``UpdateProvisionedModelThroughput`` ``desiredModelId`` is accepted only for a throughput of a custom
  model, to a custom model of the same base model (API reference: "You can only change the model to a base
  model or a custom model that is derived from the same base model" — the integrator's reading: the model
  of a base-model throughput cannot be changed);
- a committed throughput cannot be deleted before its term ends (``ValidationException``);
- unknown ids give ``ResourceNotFoundException``.

Model access (``models``: what ``GetFoundationModelAvailability`` answers per model id, see :class:`Availability`):

- ``CreateFoundationModelAgreement`` needs an ``offerToken`` that ``ListFoundationModelAgreementOffers`` gave and
  is accepted only while the agreement is ``NOT_AVAILABLE`` (else ``ConflictException``: the fake is strict, so
  that an agreement requested twice is caught); the agreement is then ``PENDING`` for ``polls_until_agreement``
  reads, then ``AVAILABLE`` with the entitlement ``AVAILABLE`` (every agreement created is in ``agreements``);
- the account's one use-case form: ``GetUseCaseForModelAccess`` answers ``ResourceNotFoundException`` until
  ``PutUseCaseForModelAccess`` stores it; every submission is kept in ``form_submissions``; there is no delete.

Sources: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateProvisionedModelThroughput.html,
API_UpdateProvisionedModelThroughput.html, API_DeleteProvisionedModelThroughput.html,
API_GetFoundationModelAvailability.html, API_CreateFoundationModelAgreement.html, API_PutUseCaseForModelAccess.html
(read 2026-12-01); the status values are botocore's bedrock service model.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

ACCOUNT = "123456789012"
REGION = "us-east-1"
_MODEL = botocore.session.get_session().get_service_model("bedrock")


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


def client_error(code: str, message: str, operation: str) -> ClientError:
    """A botocore ClientError as the service would raise it."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@dataclass
class Throughput:
    """One provisioned throughput as the fake remembers it."""

    arn: str
    name: str
    model_id: str
    units: int
    commitment: str | None
    token: str | None
    tags: dict[str, str]
    created: dt.datetime
    reads_left: int
    failing: bool
    deleted: bool = False

    def model_arn(self) -> str:
        if self.model_id.startswith("arn:"):
            return self.model_id
        return f"arn:aws:bedrock:{REGION}::foundation-model/{self.model_id}"


@dataclass
class EvaluationJob:
    """One evaluation job as the fake remembers it (every job is billed: it runs models)."""

    arn: str
    name: str
    token: str | None
    request: dict[str, Any]
    created: dt.datetime
    status: str = "InProgress"


@dataclass
class Availability:
    """What GetFoundationModelAvailability answers for one model (every field as the API spells it)."""

    region: str = "AVAILABLE"
    authorization: str = "AUTHORIZED"
    entitlement: str = "AVAILABLE"
    agreement: str = "AVAILABLE"
    error_message: str | None = None
    offer_tokens: tuple[str, ...] = ("offer-token-1",)
    reads_until_available: int = 0


@dataclass
class FakeBedrock:
    """The Bedrock control plane, in memory (see the module docstring)."""

    polls_until_in_service: int = 2
    failing_models: set[str] = field(default_factory=set)
    now: Callable[[], dt.datetime] = lambda: dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    throughputs: dict[str, Throughput] = field(default_factory=dict)
    evaluation_jobs: dict[str, EvaluationJob] = field(default_factory=dict)
    custom_models: dict[str, str] = field(default_factory=dict)
    """Custom model ARN -> its base model ARN (what ``GetCustomModel`` answers)."""
    models: dict[str, Availability] = field(default_factory=dict)
    """Model id -> its availability (models not listed: ResourceNotFoundException)."""
    polls_until_agreement: int = 2
    agreements: list[str] = field(default_factory=list)
    """The model ids whose agreement was created, in order."""
    use_case_form: bytes | None = None
    form_submissions: list[bytes] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ plumbing

    def __getattr__(self, method: str) -> Any:
        implementation = getattr(type(self), f"_{method}", None)
        if implementation is None:
            raise AttributeError(f"FakeBedrock does not implement {method}")
        operation = _operation_name(method)

        def call(**params: Any) -> dict[str, Any]:
            shape = _MODEL.operation_model(operation).input_shape
            report = ParamValidator().validate(params, shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
            for member, value in params.items():
                pattern = shape.members[member].metadata.get("pattern")
                if isinstance(value, str) and pattern and not re.fullmatch(pattern, value):
                    # The service (not botocore) enforces patterns, answering with a ValidationException.
                    raise client_error("ValidationException", f"{member} {value!r} does not match {pattern}", operation)
            self.calls.append((method, params))
            result: dict[str, Any] = implementation(self, operation, **params)
            output = _MODEL.operation_model(operation).output_shape
            allowed = set(output.members) if output is not None else set()
            unknown = set(result) - allowed
            assert not unknown, f"{operation} answered with keys its output shape lacks: {sorted(unknown)}"
            return result

        return call

    def purchases(self) -> list[Throughput]:
        """Every throughput bought, deleted or not, in order."""
        return list(self.throughputs.values())

    def live(self) -> list[Throughput]:
        """Throughputs still billed."""
        return [t for t in self.throughputs.values() if not t.deleted]

    def _find(self, operation: str, identifier: str) -> Throughput:
        for throughput in self.throughputs.values():
            if identifier in (throughput.arn, throughput.name) and not throughput.deleted:
                return throughput
        raise client_error("ResourceNotFoundException", f"Provisioned model {identifier} not found", operation)

    # ------------------------------------------------------------------ provisioned throughput

    def _create_provisioned_model_throughput(
        self,
        operation: str,
        *,
        modelUnits: int,
        provisionedModelName: str,
        modelId: str,
        clientRequestToken: str | None = None,
        commitmentDuration: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        if clientRequestToken is not None:
            for throughput in self.throughputs.values():
                if throughput.token == clientRequestToken:
                    return {"provisionedModelArn": throughput.arn}
        if any(t.name == provisionedModelName and not t.deleted for t in self.throughputs.values()):
            raise client_error(
                "ValidationException", f"A provisioned model named {provisionedModelName} already exists", operation
            )
        arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/pt{next(self._ids):010d}"
        self.throughputs[arn] = Throughput(
            arn=arn,
            name=provisionedModelName,
            model_id=modelId,
            units=modelUnits,
            commitment=commitmentDuration,
            token=clientRequestToken,
            tags={t["key"]: t["value"] for t in tags or []},
            created=self.now(),
            reads_left=self.polls_until_in_service,
            failing=modelId in self.failing_models,
        )
        return {"provisionedModelArn": arn}

    def _get_provisioned_model_throughput(self, operation: str, *, provisionedModelId: str) -> dict[str, Any]:
        throughput = self._find(operation, provisionedModelId)
        if throughput.reads_left > 0:
            throughput.reads_left -= 1
            status = "Creating"
        else:
            status = "Failed" if throughput.failing else "InService"
        answer: dict[str, Any] = {
            "modelUnits": throughput.units,
            "desiredModelUnits": throughput.units,
            "provisionedModelName": throughput.name,
            "provisionedModelArn": throughput.arn,
            "modelArn": throughput.model_arn(),
            "desiredModelArn": throughput.model_arn(),
            "foundationModelArn": throughput.model_arn(),
            "status": status,
            "creationTime": throughput.created,
            "lastModifiedTime": throughput.created,
        }
        if status == "Failed":
            answer["failureMessage"] = "Insufficient capacity for the requested model units"
        if throughput.commitment:
            months = 1 if throughput.commitment == "OneMonth" else 6
            answer["commitmentDuration"] = throughput.commitment
            answer["commitmentExpirationTime"] = throughput.created + dt.timedelta(days=30 * months)
        return answer

    def _list_provisioned_model_throughputs(self, operation: str, **filters: Any) -> dict[str, Any]:
        contains = filters.get("nameContains")
        summaries = [
            {
                "provisionedModelName": t.name,
                "provisionedModelArn": t.arn,
                "modelArn": t.model_arn(),
                "desiredModelArn": t.model_arn(),
                "foundationModelArn": t.model_arn(),
                "modelUnits": t.units,
                "desiredModelUnits": t.units,
                "status": "InService",
                "creationTime": t.created,
                "lastModifiedTime": t.created,
                **({"commitmentDuration": t.commitment} if t.commitment else {}),
            }
            for t in self.live()
            if contains is None or contains in t.name
        ]
        return {"provisionedModelSummaries": summaries}

    def _update_provisioned_model_throughput(
        self,
        operation: str,
        *,
        provisionedModelId: str,
        desiredProvisionedModelName: str | None = None,
        desiredModelId: str | None = None,
    ) -> dict[str, Any]:
        throughput = self._find(operation, provisionedModelId)
        if desiredModelId is not None:
            if ":custom-model/" not in throughput.model_id or ":custom-model/" not in desiredModelId:
                raise client_error(
                    "ValidationException",
                    "desiredModelId can only be changed for a provisioned throughput of a custom model, to a "
                    "custom model of the same base model",
                    operation,
                )
            throughput.model_id = desiredModelId
        if desiredProvisionedModelName is not None:
            throughput.name = desiredProvisionedModelName
        return {}

    def _delete_provisioned_model_throughput(self, operation: str, *, provisionedModelId: str) -> dict[str, Any]:
        throughput = self._find(operation, provisionedModelId)
        if throughput.commitment:
            raise client_error(
                "ValidationException", "A provisioned throughput with a commitment cannot be deleted", operation
            )
        throughput.deleted = True
        return {}

    def _get_custom_model(self, operation: str, *, modelIdentifier: str) -> dict[str, Any]:
        base = self.custom_models.get(modelIdentifier)
        if base is None:
            raise client_error("ResourceNotFoundException", f"Custom model {modelIdentifier} not found", operation)
        return {
            "modelArn": modelIdentifier,
            "modelName": modelIdentifier.rsplit("/", 1)[-1],
            "baseModelArn": base,
            "creationTime": self.now(),
        }

    # ------------------------------------------------------------------ evaluation jobs

    def started_jobs(self) -> list[EvaluationJob]:
        """Every evaluation job started, in order."""
        return list(self.evaluation_jobs.values())

    def _create_evaluation_job(self, operation: str, **request: Any) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        for job in self.evaluation_jobs.values():
            if token is not None and job.token == token:
                return {"jobArn": job.arn}
        name = request["jobName"]
        if any(job.name == name for job in self.evaluation_jobs.values()):
            raise client_error("ConflictException", f"An evaluation job named {name} already exists", operation)
        arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:evaluation-job/ej{next(self._ids):010d}"
        self.evaluation_jobs[arn] = EvaluationJob(arn, name, token, request, self.now())
        return {"jobArn": arn}

    def _find_job(self, operation: str, identifier: str) -> EvaluationJob:
        job = self.evaluation_jobs.get(identifier)
        if job is None:
            raise client_error("ResourceNotFoundException", f"Evaluation job {identifier} not found", operation)
        return job

    def _get_evaluation_job(self, operation: str, *, jobIdentifier: str) -> dict[str, Any]:
        job = self._find_job(operation, jobIdentifier)
        request = job.request
        return {
            "jobName": job.name,
            "status": job.status,
            "jobArn": job.arn,
            "roleArn": request["roleArn"],
            "jobType": "Human" if "human" in request["evaluationConfig"] else "Automated",
            "evaluationConfig": request["evaluationConfig"],
            "inferenceConfig": request["inferenceConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "creationTime": job.created,
        }

    def _list_evaluation_jobs(self, operation: str, **filters: Any) -> dict[str, Any]:
        contains = filters.get("nameContains")
        summaries = [
            {
                "jobArn": job.arn,
                "jobName": job.name,
                "status": job.status,
                "creationTime": job.created,
                "jobType": "Automated",
                "evaluationTaskTypes": ["Generation"],
            }
            for job in self.evaluation_jobs.values()
            if contains is None or contains in job.name
        ]
        # The service model gives jobSummaries a minimum length of 1: an empty answer omits it.
        return {"jobSummaries": summaries} if summaries else {}

    def _stop_evaluation_job(self, operation: str, *, jobIdentifier: str) -> dict[str, Any]:
        job = self._find_job(operation, jobIdentifier)
        if job.status != "InProgress":
            raise client_error("ValidationException", f"Evaluation job {job.name} is {job.status}", operation)
        job.status = "Stopping"
        return {}

    def _tag_resource(self, operation: str, *, resourceARN: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        self._find(operation, resourceARN).tags.update({t["key"]: t["value"] for t in tags})
        return {}

    def _untag_resource(self, operation: str, *, resourceARN: str, tagKeys: list[str]) -> dict[str, Any]:
        throughput = self._find(operation, resourceARN)
        for key in tagKeys:
            throughput.tags.pop(key, None)
        return {}

    # ------------------------------------------------------------------ model access

    def writes(self) -> list[str]:
        """The calls that changed something (every call whose name does not start with get_ or list_)."""
        return [name for name, _ in self.calls if not name.startswith(("get_", "list_"))]

    def _availability(self, operation: str, model_id: str) -> Availability:
        availability = self.models.get(model_id)
        if availability is None:
            raise client_error("ResourceNotFoundException", f"Model {model_id} not found", operation)
        return availability

    def _get_foundation_model_availability(self, operation: str, *, modelId: str) -> dict[str, Any]:
        availability = self._availability(operation, modelId)
        if availability.agreement == "PENDING":
            if availability.reads_until_available > 0:
                availability.reads_until_available -= 1
            else:
                availability.agreement, availability.entitlement = "AVAILABLE", "AVAILABLE"
        agreement: dict[str, Any] = {"status": availability.agreement}
        if availability.error_message is not None:
            agreement["errorMessage"] = availability.error_message
        return {
            "modelId": modelId,
            "agreementAvailability": agreement,
            "authorizationStatus": availability.authorization,
            "entitlementAvailability": availability.entitlement,
            "regionAvailability": availability.region,
        }

    def _list_foundation_model_agreement_offers(
        self, operation: str, *, modelId: str, offerType: str = "ALL"
    ) -> dict[str, Any]:
        availability = self._availability(operation, modelId)
        offers = [
            {
                "offerId": f"offer-{index}",
                "offerToken": token,
                "termDetails": {
                    "usageBasedPricingTerm": {"rateCard": []},
                    "legalTerm": {"url": "https://example.com/eula"},
                    "supportTerm": {"refundPolicyDescription": "none"},
                },
            }
            for index, token in enumerate(availability.offer_tokens, 1)
        ]
        return {"modelId": modelId, "offers": offers}

    def _create_foundation_model_agreement(self, operation: str, *, offerToken: str, modelId: str) -> dict[str, Any]:
        availability = self._availability(operation, modelId)
        if offerToken not in availability.offer_tokens:
            message = f"offerToken {offerToken!r} is not an offer of {modelId}"
            raise client_error("ValidationException", message, operation)
        if availability.agreement != "NOT_AVAILABLE":
            raise client_error(
                "ConflictException", f"The agreement for {modelId} is already {availability.agreement}", operation
            )
        availability.agreement = "PENDING"
        availability.reads_until_available = self.polls_until_agreement
        self.agreements.append(modelId)
        return {"modelId": modelId}

    def _get_use_case_for_model_access(self, operation: str) -> dict[str, Any]:
        if self.use_case_form is None:
            raise client_error("ResourceNotFoundException", "No use case for model access on file", operation)
        return {"formData": self.use_case_form}

    def _put_use_case_for_model_access(self, operation: str, *, formData: bytes) -> dict[str, Any]:
        self.use_case_form = formData
        self.form_submissions.append(formData)
        return {}

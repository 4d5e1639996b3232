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
  model, to a custom model of the same base model (checked when ``custom_models`` knows both) (API reference:
  "You can only change the model to a base model or a custom model that is derived from the same base model"
  — the integrator's reading: the model of a base-model throughput cannot be changed);
- a committed throughput cannot be deleted before its term ends (``ValidationException``);
- unknown ids give ``ResourceNotFoundException``.

Model access (``models``: what ``GetFoundationModelAvailability`` answers per model id, see :class:`Availability`):

- ``CreateFoundationModelAgreement`` needs an ``offerToken`` that ``ListFoundationModelAgreementOffers`` gave and
  is accepted only while the agreement is ``NOT_AVAILABLE`` (else ``ConflictException``: the fake is strict, so
  that an agreement requested twice is caught); the agreement is then ``PENDING`` for ``polls_until_agreement``
  reads, then ``AVAILABLE`` with the entitlement ``AVAILABLE`` (every agreement created is in ``agreements``);
- the account's one use-case form: ``GetUseCaseForModelAccess`` answers ``ResourceNotFoundException`` until
  ``PutUseCaseForModelAccess`` stores it; every submission is kept in ``form_submissions``; there is no delete.

Custom model deployments (API_CreateCustomModelDeployment.html, API_UpdateCustomModelDeployment.html,
API_GetCustomModelDeployment.html, API_DeleteCustomModelDeployment.html; read 2026-12-01): the same token rule;
names unique per account and Region (the API reference: "The name must be unique within your Amazon Web
Services account and Region"; the fake answers a duplicate with ``ValidationException``); a new deployment is
``Creating`` for ``polls_until_in_service`` reads, then ``Active`` (``Failed`` for a model in
``failing_models``); ``UpdateCustomModelDeployment`` reports ``updateDetails.updateStatus`` ``Updating`` for as
many reads, then ``UpdateCompleted`` with the new ``modelArn``; the model must be a known custom model when
``custom_models`` lists any.

Model copy jobs (API_CreateModelCopyJob.html, API_GetModelCopyJob.html): one fake per Region (``region``); a
copy job is ``InProgress`` for ``polls_until_in_service`` reads, then ``Completed`` with its target custom model
(``Failed`` for a source in ``failing_models``); ``DeleteCustomModel`` removes a copied model.

Sources: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateProvisionedModelThroughput.html,
API_UpdateProvisionedModelThroughput.html, API_DeleteProvisionedModelThroughput.html,
API_GetFoundationModelAvailability.html, API_CreateFoundationModelAgreement.html, API_PutUseCaseForModelAccess.html
(read 2026-12-01); the status values are botocore's bedrock service model.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
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
class Deployment:
    """One custom model deployment as the fake remembers it (billed per token while it exists)."""

    arn: str
    name: str
    model_arn: str
    description: str
    token: str | None
    tags: dict[str, str]
    created: dt.datetime
    reads_left: int
    failing: bool
    update_to: str | None = None
    update_reads_left: int = 0
    deleted: bool = False


@dataclass
class CopyJob:
    """One model copy job and the custom model it creates in the fake's Region."""

    arn: str
    source: str
    target_name: str
    target_arn: str
    token: str | None
    created: dt.datetime
    reads_left: int
    failing: bool
    tags: dict[str, str] = field(default_factory=dict)
    model_deleted: bool = False


@dataclass
class ImportJob:
    """One model import job and the imported model it creates (billed in Custom Model Units while it exists)."""

    arn: str
    name: str
    model_name: str
    model_arn: str
    role: str
    s3_uri: str
    token: str | None
    created: dt.datetime
    reads_left: int
    failing: bool
    model_deleted: bool = False


@dataclass
class FakeBedrock:
    """The Bedrock control plane, in memory (see the module docstring)."""

    polls_until_in_service: int = 2
    failing_models: set[str] = field(default_factory=set)
    now: Callable[[], dt.datetime] = lambda: dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    throughputs: dict[str, Throughput] = field(default_factory=dict)
    evaluation_jobs: dict[str, EvaluationJob] = field(default_factory=dict)
    custom_models: dict[str, str] = field(default_factory=dict)
    """Custom model ARN -> its base model ARN (what ``GetCustomModel`` answers); ``DeleteCustomModel`` removes
    one (``ConflictException`` while a live deployment or throughput serves it) and lists it in ``deleted_models``."""
    deleted_models: list[str] = field(default_factory=list)
    models: dict[str, Availability] = field(default_factory=dict)
    """Model id -> its availability (models not listed: ResourceNotFoundException)."""
    polls_until_agreement: int = 2
    agreements: list[str] = field(default_factory=list)
    """The model ids whose agreement was created, in order."""
    use_case_form: bytes | None = None
    form_submissions: list[bytes] = field(default_factory=list)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    copy_jobs: dict[str, CopyJob] = field(default_factory=dict)
    import_jobs: dict[str, ImportJob] = field(default_factory=dict)
    region: str = REGION
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
            bases = (self.custom_models.get(throughput.model_id), self.custom_models.get(desiredModelId))
            different_bases = None not in bases and bases[0] != bases[1]
            if ":custom-model/" not in throughput.model_id or ":custom-model/" not in desiredModelId or different_bases:
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
        for job in self.live_copies():
            if modelIdentifier in (job.target_arn, job.target_name):
                return {
                    "modelArn": job.target_arn,
                    "modelName": job.target_name,
                    "baseModelArn": self.custom_models.get(job.source, job.source),
                    "creationTime": job.created,
                }
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

    def _tagged(self, operation: str, arn: str) -> Throughput | Deployment:
        if ":custom-model-deployment/" in arn:
            return self._find_deployment(operation, arn)
        return self._find(operation, arn)

    def _tag_resource(self, operation: str, *, resourceARN: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        self._tagged(operation, resourceARN).tags.update({t["key"]: t["value"] for t in tags})
        return {}

    def _untag_resource(self, operation: str, *, resourceARN: str, tagKeys: list[str]) -> dict[str, Any]:
        resource = self._tagged(operation, resourceARN)
        for key in tagKeys:
            resource.tags.pop(key, None)
        return {}

    # ------------------------------------------------------------------ custom model deployments

    def live_deployments(self) -> list[Deployment]:
        """Deployments that still exist."""
        return [d for d in self.deployments.values() if not d.deleted]

    def _find_deployment(self, operation: str, identifier: str) -> Deployment:
        for deployment in self.deployments.values():
            if identifier in (deployment.arn, deployment.name) and not deployment.deleted:
                return deployment
        raise client_error("ResourceNotFoundException", f"Custom model deployment {identifier} not found", operation)

    def _check_custom_model(self, operation: str, model_arn: str) -> None:
        if self.custom_models and model_arn not in self.custom_models:
            raise client_error("ResourceNotFoundException", f"Custom model {model_arn} not found", operation)

    def _create_custom_model_deployment(
        self,
        operation: str,
        *,
        modelDeploymentName: str,
        modelArn: str,
        description: str | None = None,
        tags: list[dict[str, str]] | None = None,
        clientRequestToken: str | None = None,
    ) -> dict[str, Any]:
        if clientRequestToken is not None:
            for deployment in self.deployments.values():
                if deployment.token == clientRequestToken:
                    return {"customModelDeploymentArn": deployment.arn}
        if any(d.name == modelDeploymentName for d in self.live_deployments()):
            raise client_error(
                "ValidationException",
                f"A custom model deployment named {modelDeploymentName} already exists",
                operation,
            )
        self._check_custom_model(operation, modelArn)
        arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:custom-model-deployment/{next(self._ids):012d}"
        self.deployments[arn] = Deployment(
            arn=arn,
            name=modelDeploymentName,
            model_arn=modelArn,
            description=description or "",
            token=clientRequestToken,
            tags={t["key"]: t["value"] for t in tags or []},
            created=self.now(),
            reads_left=self.polls_until_in_service,
            failing=modelArn in self.failing_models,
        )
        return {"customModelDeploymentArn": arn}

    def _get_custom_model_deployment(self, operation: str, *, customModelDeploymentIdentifier: str) -> dict[str, Any]:
        deployment = self._find_deployment(operation, customModelDeploymentIdentifier)
        if deployment.reads_left > 0:
            deployment.reads_left -= 1
            status = "Creating"
        else:
            status = "Failed" if deployment.failing else "Active"
        answer: dict[str, Any] = {
            "customModelDeploymentArn": deployment.arn,
            "modelDeploymentName": deployment.name,
            "modelArn": deployment.model_arn,
            "createdAt": deployment.created,
            "status": status,
        }
        if deployment.description:
            answer["description"] = deployment.description
        if status == "Failed":
            answer["failureMessage"] = "The custom model cannot be deployed for on-demand inference"
        if deployment.update_to is not None:
            if deployment.update_reads_left > 0:
                deployment.update_reads_left -= 1
                answer["updateDetails"] = {"modelArn": deployment.update_to, "updateStatus": "Updating"}
            else:
                deployment.model_arn = deployment.update_to
                answer["modelArn"] = deployment.model_arn
                answer["updateDetails"] = {"modelArn": deployment.update_to, "updateStatus": "UpdateCompleted"}
                deployment.update_to = None
        return answer

    def _update_custom_model_deployment(
        self, operation: str, *, customModelDeploymentIdentifier: str, modelArn: str
    ) -> dict[str, Any]:
        deployment = self._find_deployment(operation, customModelDeploymentIdentifier)
        self._check_custom_model(operation, modelArn)
        if deployment.update_to is not None:
            raise client_error("ConflictException", f"Deployment {deployment.name} is already updating", operation)
        deployment.update_to = modelArn
        deployment.update_reads_left = self.polls_until_in_service
        return {"customModelDeploymentArn": deployment.arn}

    def _delete_custom_model_deployment(
        self, operation: str, *, customModelDeploymentIdentifier: str
    ) -> dict[str, Any]:
        self._find_deployment(operation, customModelDeploymentIdentifier).deleted = True
        return {}

    # ------------------------------------------------------------------ model copy jobs (in self.region)

    def live_copies(self) -> list[CopyJob]:
        """Copy jobs whose target model still exists (it is billed for storage)."""
        return [job for job in self.copy_jobs.values() if not job.model_deleted]

    def _create_model_copy_job(
        self,
        operation: str,
        *,
        sourceModelArn: str,
        targetModelName: str,
        modelKmsKeyId: str | None = None,
        targetModelTags: list[dict[str, str]] | None = None,
        clientRequestToken: str | None = None,
    ) -> dict[str, Any]:
        if clientRequestToken is not None:
            for job in self.copy_jobs.values():
                if job.token == clientRequestToken:
                    return {"jobArn": job.arn}
        if any(job.target_name == targetModelName for job in self.live_copies()):
            raise client_error(
                "ValidationException", f"A custom model named {targetModelName} already exists", operation
            )
        number = next(self._ids)
        arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:model-copy-job/{number:012d}"
        base = sourceModelArn.split(":custom-model/", 1)[-1].rsplit("/", 1)[0]
        target = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:custom-model/{base}/{number:012d}"
        self.copy_jobs[arn] = CopyJob(
            arn=arn,
            source=sourceModelArn,
            target_name=targetModelName,
            target_arn=target,
            token=clientRequestToken,
            created=self.now(),
            reads_left=self.polls_until_in_service,
            failing=sourceModelArn in self.failing_models,
            tags={t["key"]: t["value"] for t in targetModelTags or []},
        )
        return {"jobArn": arn}

    def _get_model_copy_job(self, operation: str, *, jobArn: str) -> dict[str, Any]:
        job = self.copy_jobs.get(jobArn)
        if job is None:
            raise client_error("ResourceNotFoundException", f"Model copy job {jobArn} not found", operation)
        if job.reads_left > 0:
            job.reads_left -= 1
            status = "InProgress"
        else:
            status = "Failed" if job.failing else "Completed"
        answer: dict[str, Any] = {
            "jobArn": job.arn,
            "status": status,
            "creationTime": job.created,
            "targetModelArn": job.target_arn,
            "targetModelName": job.target_name,
            "sourceAccountId": ACCOUNT,
            "sourceModelArn": job.source,
        }
        if status == "Failed":
            job.model_deleted = True  # a failed copy leaves no model behind
            answer["failureMessage"] = "The source model cannot be copied to this Region"
        return answer

    def _list_model_copy_jobs(self, operation: str, **filters: Any) -> dict[str, Any]:
        summaries = [
            {
                "jobArn": job.arn,
                "status": "Completed" if job.reads_left == 0 and not job.failing else "InProgress",
                "creationTime": job.created,
                "targetModelArn": job.target_arn,
                "targetModelName": job.target_name,
                "sourceAccountId": ACCOUNT,
                "sourceModelArn": job.source,
                "targetModelTags": [{"key": k, "value": v} for k, v in sorted(job.tags.items())],
            }
            for job in self.copy_jobs.values()
            if filters.get("sourceModelArnEquals") in (None, job.source)
            and filters.get("targetModelNameContains", "") in job.target_name
        ]
        wanted = filters.get("statusEquals")
        return {"modelCopyJobSummaries": [s for s in summaries if wanted in (None, s["status"])]}

    def _delete_custom_model(self, operation: str, *, modelIdentifier: str) -> dict[str, Any]:
        if modelIdentifier in self.custom_models:
            serving = [d.arn for d in self.live_deployments() if d.model_arn == modelIdentifier]
            serving += [t.arn for t in self.live() if t.model_id == modelIdentifier]
            if serving:
                raise client_error("ConflictException", f"Custom model {modelIdentifier} is in use", operation)
            del self.custom_models[modelIdentifier]
            self.deleted_models.append(modelIdentifier)
            return {}
        for job in self.live_copies():
            if modelIdentifier in (job.target_arn, job.target_name):
                if any(d.model_arn == job.target_arn for d in self.live_deployments()):
                    raise client_error("ConflictException", f"Custom model {modelIdentifier} is deployed", operation)
                job.model_deleted = True
                return {}
        raise client_error("ResourceNotFoundException", f"Custom model {modelIdentifier} not found", operation)

    # ------------------------------------------------------------------ model import jobs

    def live_imports(self) -> list[ImportJob]:
        """Imported models that still exist (each is billed)."""
        return [job for job in self.import_jobs.values() if not job.model_deleted and job.reads_left == 0]

    def _import_status(self, job: ImportJob) -> str:
        if job.reads_left > 0:
            return "InProgress"
        return "Failed" if job.failing else "Completed"

    def _create_model_import_job(self, operation: str, **request: Any) -> dict[str, Any]:
        token = request.get("clientRequestToken")
        for job in self.import_jobs.values():
            if token is not None and job.token == token:
                return {"jobArn": job.arn}
        name = request["importedModelName"]
        if any(job.model_name == name and not job.model_deleted for job in self.import_jobs.values()):
            raise client_error("ValidationException", f"An imported model named {name} already exists", operation)
        if any(job.name == request["jobName"] for job in self.import_jobs.values()):
            raise client_error("ValidationException", f"A job named {request['jobName']} already exists", operation)
        number = next(self._ids)
        arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:model-import-job/{number:012d}"
        uri = request["modelDataSource"]["s3DataSource"]["s3Uri"]
        self.import_jobs[arn] = ImportJob(
            arn=arn,
            name=request["jobName"],
            model_name=name,
            model_arn=f"arn:aws:bedrock:{self.region}:{ACCOUNT}:imported-model/{number:012d}",
            role=request["roleArn"],
            s3_uri=uri,
            token=token,
            created=self.now(),
            reads_left=self.polls_until_in_service,
            failing=uri in self.failing_models,
        )
        return {"jobArn": arn}

    def _find_import(self, operation: str, identifier: str) -> ImportJob:
        for job in self.import_jobs.values():
            if identifier in (job.arn, job.name):
                return job
        raise client_error("ResourceNotFoundException", f"Model import job {identifier} not found", operation)

    def _get_model_import_job(self, operation: str, *, jobIdentifier: str) -> dict[str, Any]:
        job = self._find_import(operation, jobIdentifier)
        status = self._import_status(job)
        if job.reads_left > 0:
            job.reads_left -= 1
        answer: dict[str, Any] = {
            "jobArn": job.arn,
            "jobName": job.name,
            "importedModelName": job.model_name,
            "roleArn": job.role,
            "modelDataSource": {"s3DataSource": {"s3Uri": job.s3_uri}},
            "status": status,
            "creationTime": job.created,
        }
        if status == "Completed":
            answer["importedModelArn"] = job.model_arn
        if status == "Failed":
            job.model_deleted = True
            answer["failureMessage"] = "The model architecture is not supported"
        return answer

    def _list_model_import_jobs(self, operation: str, **filters: Any) -> dict[str, Any]:
        summaries = [
            {
                "jobArn": job.arn,
                "jobName": job.name,
                "status": self._import_status(job),
                "creationTime": job.created,
                "importedModelName": job.model_name,
                **({"importedModelArn": job.model_arn} if self._import_status(job) == "Completed" else {}),
            }
            for job in self.import_jobs.values()
            if filters.get("nameContains", "") in job.name
        ]
        wanted = filters.get("statusEquals")
        return {"modelImportJobSummaries": [s for s in summaries if wanted in (None, s["status"])]}

    def _imported(self, operation: str, identifier: str) -> ImportJob:
        for job in self.live_imports():
            if identifier in (job.model_arn, job.model_name) and not job.failing:
                return job
        raise client_error("ResourceNotFoundException", f"Imported model {identifier} not found", operation)

    def _get_imported_model(self, operation: str, *, modelIdentifier: str) -> dict[str, Any]:
        job = self._imported(operation, modelIdentifier)
        return {"modelArn": job.model_arn, "modelName": job.model_name, "jobArn": job.arn, "creationTime": job.created}

    def _delete_imported_model(self, operation: str, *, modelIdentifier: str) -> dict[str, Any]:
        self._imported(operation, modelIdentifier).model_deleted = True
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


class BesideMoto:
    """One Bedrock client for handlers that need both: the fake's endpoints and custom models, and moto's
    backend (``moto``: a boto3 Bedrock client inside ``mock_aws``) for the rest, e.g. the customization jobs a
    Step Functions ``.sync`` task created there."""

    def __init__(self, fake: FakeBedrock, moto: Any) -> None:
        self._fake, self._moto = fake, moto

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._fake, name)
        except AttributeError:
            return getattr(self._moto, name)


class ScriptedEvaluations:
    """The fake Bedrock, with each evaluation job reaching ``outcome`` after ``after_polls`` GetEvaluationJob
    calls (its results written to S3 when it completes) and ``lose_creates`` CreateEvaluationJob responses
    lost (the job is started, the caller sees ServiceUnavailableException). The results are ``results``
    (the metric as the output names it -> the mean of three records, +-0.01), in moto's S3 (inside ``mock_aws``)."""

    def __init__(self, fake: FakeBedrock, *, results: Mapping[str, float | None]) -> None:
        self.fake = fake
        self.outcome = "Completed"
        self.failure = ""
        self.after_polls = 2
        self.results: Mapping[str, float | None] = results
        self.lose_creates = 0
        self.polls: dict[str, int] = defaultdict(int)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)

    def create_evaluation_job(self, **request: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.fake.create_evaluation_job(**request)
        if self.lose_creates:
            self.lose_creates -= 1
            raise client_error("ServiceUnavailableException", "Service unavailable", "CreateEvaluationJob")
        return response

    def get_evaluation_job(self, **params: Any) -> dict[str, Any]:
        job = self.fake.evaluation_jobs[params["jobIdentifier"]]
        self.polls[job.arn] += 1
        if job.status == "InProgress" and self.polls[job.arn] >= self.after_polls:
            job.status = self.outcome
            if self.outcome == "Completed":
                self._write_results(job)
        response: dict[str, Any] = self.fake.get_evaluation_job(**params)
        if job.status in ("Failed", "Stopped") and self.failure:
            response["failureMessages"] = [self.failure]
        return response

    def _write_results(self, job: EvaluationJob) -> None:
        bucket, _, prefix = job.request["outputDataConfig"]["s3Uri"][5:].partition("/")
        key = (
            f"{prefix}{job.name}/0f1e2d3c-uuid/models/abcdefghijkl/taskTypes/Summarization/datasets/"
            "Builtin.Gigaword/5a6b7c8d-uuid_output.jsonl"
        )
        lines = []
        for i in range(3):  # three records; the mean is the value given (+-0.01 symmetric)
            offset = (i - 1) * 0.01
            scores = [{"metricName": m, "result": None if v is None else v + offset} for m, v in self.results.items()]
            lines.append(json.dumps({"automatedEvaluationResult": {"scores": scores}, "inputRecord": {"prompt": i}}))
        boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())

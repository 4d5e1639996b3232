"""The evaluation gate a workflow runs on a newly trained model before promoting it.

:class:`EvaluationGate` holds what to evaluate (datasets, task type, automatic metrics or an LLM judge) and
what passes (a threshold per metric, optionally "better than the current model"); :meth:`EvaluationGate.gate_chain`
renders the Step Functions states that run it for a model named at run time:

start the evaluation job (the ``CreateEvaluationJob`` request built by the same code as :class:`ModelEvaluation`,
the model identifier taken from the execution's input) -> Wait / check (``GetEvaluationJob``), a bounded loop ->
read the scores from the job's output in S3 and apply the gate -> ``on_pass`` or ``on_fail``, with ``$.gate`` =
``{"passed", "scores", "reasons", "jobArn"}``. A failed, stopped or timed-out job goes to ``on_fail`` with the reason.

The Bedrock calls are made by the gate's Lambda function (``lambda/evaluation_gate``), not by ``aws-sdk:bedrock``
integrations: the function derives the job name and ``clientRequestToken`` from the execution and the model (a
retried state never starts a second job), finds a job a lost response started, and answers "cannot evaluate this
model" with a reason instead of failing the execution. Bedrock publishes no EventBridge event for evaluation jobs
(knowledge base ``evaluation_results.state_change_events``), so the states poll.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops.evaluation._request import _dataset_configs, evaluation_request
from bedrock_ops.evaluation._role import allow_evaluation_models, allow_output_uploads
from bedrock_ops.evaluation.model_evaluation import _allow_create_job, _job_name_prefix, check_evaluation
from bedrock_ops.evaluation.types import EvaluationDataset, EvaluationTaskType, JudgeMetric
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.models.queries import evaluation_results
from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
from constructs import Construct

__all__ = ["EvaluationGate"]

_PATH_RE = re.compile(r"^\$(\.[A-Za-z0-9_-]+)+$")
#: Step Functions Standard workflows run at most one year; the gate's loop cannot outlast its execution.
_MAX_TIMEOUT = Duration.days(365)
_RETRY_ERRORS = ["BedrockUnavailable"]


class _BucketLocation:
    """``key`` datasets of the gate: objects under ``prefix`` of ``bucket``."""

    def __init__(self, bucket: s3.IBucket, prefix: str) -> None:
        self.bucket = bucket
        self.evaluation_prefix = prefix

    def s3_uri(self, prefix: str = "", key: str = "") -> str:
        return f"s3://{self.bucket.bucket_name}/{prefix}{key}"


def _prefix(name: str, value: str) -> str:
    if Token.is_unresolved(value):
        raise ValueError(f"{name} must be a literal string, not a token")
    cleaned = value.strip("/")
    if not re.fullmatch(r"[-!_*'().a-zA-Z0-9]+(/[-!_*'().a-zA-Z0-9]+)*", cleaned):
        raise ValueError(f"{name} must be a key prefix of letters, digits and -!_*'(). separated by '/', got {value!r}")
    return f"{cleaned}/"


class EvaluationGate(Construct):
    """An evaluation of a model named at run time, and the thresholds it must meet to be promoted.

    Builds the evaluation service role (:class:`BedrockServiceRole`, evaluation type, trusted only for this
    account's ``evaluation-job/*``, with the same model and output grants as :class:`ModelEvaluation`) and one
    Lambda function; :meth:`gate_chain` renders the states (call it once per state machine).

    Example::

        gate = EvaluationGate(
            self, "Gate",
            datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)],
            thresholds={"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1},
            output_bucket=bucket,
            must_beat_current=True,
        )
        chain = gate.gate_chain(self, "Evaluate", model_arn_path="$.model.arn",
                                current_scores_path="$.endpoint.currentScores",
                                on_pass=promote, on_fail=notify)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        datasets: Sequence[EvaluationDataset],
        thresholds: Mapping[str, float],
        output_bucket: s3.IBucket,
        output_prefix: str = "evaluation/gate/",
        dataset_prefix: str = "evaluation/",
        task_type: EvaluationTaskType | str | None = None,
        evaluator_model: str | None = None,
        judge_metrics: Sequence[JudgeMetric] = (),
        must_beat_current: bool = False,
        evaluated_models: Sequence[str] = (),
        encryption_key: kms.IKey | None = None,
        timeout: Duration = Duration.hours(24),
        poll_interval: Duration = Duration.minutes(5),
        inference_params: Mapping[str, Any] | None = None,
        job_name: str | None = None,
        models_file: str | Path | None = None,
    ) -> None:
        """
        :param datasets: 1-5 prompt datasets, as :class:`ModelEvaluation` takes them: built-in (automatic
            evaluation only), ``key`` (an object under ``dataset_prefix`` of ``output_bucket``) or ``s3_uri``
            (grant the :attr:`service_role` read access to it yourself).
        :param thresholds: metric -> bound, at least one. Whether a score must be at least or at most the bound
            follows from the metric (knowledge base ``evaluation_results.metric_directions``: Accuracy and the
            judge quality metrics higher-is-better; Robustness and Toxicity lower-is-better); your
            ``judge_metrics`` are higher-is-better (give their rating scales ascending values). A metric the job
            does not compute, or whose direction the documentation does not give, fails the synth.
        :param output_bucket: where the job writes its results and the gate reads them.
        :param output_prefix: the results prefix: ``<prefix><job name>/...`` (default: ``evaluation/gate/``).
        :param dataset_prefix: the prefix of ``key`` datasets in ``output_bucket`` (default: ``evaluation/``).
        :param task_type: the task type of datasets that name none (default: a built-in dataset's own task type,
            else ``Generation``).
        :param evaluator_model: the judge, a model of the documented evaluator list (checked against the
            knowledge base as :class:`ModelEvaluation` checks it); makes this an LLM-as-a-judge evaluation
            (default: none, an automatic evaluation).
        :param judge_metrics: metrics of your own the judge rates (default: none).
        :param must_beat_current: also require the new model to be better than the current one: no thresholded
            metric worse than the current model's score and at least one better; the current scores are read
            from the execution's input at ``current_scores_path`` (``{metric: number}``), and when there are
            none (the first model) there is nothing to beat (default: False).
        :param evaluated_models: ARNs or ARN patterns the evaluated model may have, which the service role may
            invoke and the function may name in CreateEvaluationJob (default: this account's
            ``provisioned-model/*`` and ``imported-model/*`` in this Region: how a trained or imported model is
            served in a form CreateEvaluationJob accepts; it takes no custom-model or custom-model-deployment
            ARN).
        :param encryption_key: the KMS key of ``output_bucket`` (SSE-KMS), granted to the service role
            (``kms:Decrypt``, ``kms:GenerateDataKey``) and to the function (``kms:Decrypt``) (default: the
            bucket's own ``encryption_key``, if any).
        :param timeout: how long the gate waits for the job before stopping it and failing; the documentation
            gives no maximum job duration (knowledge base ``evaluation_results.max_job_duration_hours``, null
            unless a models file sets it), so it is bounded by that value when set, else by the one-year limit
            of a Standard workflow (default: 24 hours).
        :param poll_interval: the wait between two checks of the job, 1 minute-1 day (default: 5 minutes).
        :param inference_params: the evaluated model's inference parameters (as :class:`ModelEvaluation`)
            (default: the model's defaults).
        :param job_name: the job name prefix; each job gets ``-<8 hex>`` of the execution and model appended
            (default: derived from the construct path).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        """
        super().__init__(scope, id)
        if not 1 <= len(datasets) <= 5:
            raise ValueError(f"datasets must have 1-5 entries, got {len(datasets)}")
        if task_type is not None:
            datasets = [d if d.task_type is not None else dataclasses.replace(d, task_type=task_type) for d in datasets]
        placeholder = sfn.JsonPath.string_at("$.modelArn")
        self.kind = check_evaluation(
            models=[placeholder],
            datasets=datasets,
            evaluator_model=evaluator_model,
            judge_metrics=judge_metrics,
            models_file=models_file,
        )
        catalog = load_models(models_file)
        self._results = evaluation_results(catalog)
        self.output_bucket = output_bucket
        self.output_prefix = _prefix("output_prefix", output_prefix)
        self.dataset_prefix = _prefix("dataset_prefix", dataset_prefix)
        self.job_name_prefix = _job_name_prefix(job_name, self)
        self.must_beat_current = must_beat_current
        self.datasets = list(datasets)
        self.evaluator_model = evaluator_model
        self.judge_metrics = list(judge_metrics)
        self.inference_params = dict(inference_params) if inference_params is not None else None
        location = _BucketLocation(output_bucket, self.dataset_prefix)
        self._dataset_configs = _dataset_configs(
            self.kind, self.datasets, location, (), judge_metrics, models_file=models_file
        )
        self.thresholds = dict(thresholds)
        self.directions = self._directions(self.thresholds)
        self.max_polls = self._max_polls(timeout, poll_interval)
        self.poll_interval = poll_interval
        self.timeout = timeout

        stack = Stack.of(self)
        self.evaluated_models = list(evaluated_models) or [
            stack.format_arn(service="bedrock", resource=r, resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME)
            for r in ("provisioned-model", "imported-model")
        ]
        self.service_role = BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.EVALUATION,
            description=f"Amazon Bedrock evaluation gate jobs {self.job_name_prefix}-*",
        )
        self.output_s3_uri = f"s3://{output_bucket.bucket_name}/{self.output_prefix}"
        key = encryption_key or output_bucket.encryption_key
        self._grant_service_role(key)
        self.function = HandlerFunction(
            self,
            "Function",
            handler="evaluation_gate",
            entry="index.handler",
            description="cdk-bedrock-ops: starts, checks and scores the evaluation gate's Bedrock evaluation jobs",
            timeout=Duration.minutes(5),
            memory_size=512,
        )
        self._grant_function(key)

    # ------------------------------------------------------------------------------------------ states

    def gate_chain(
        self,
        scope: Construct,
        id: str,
        *,
        model_arn_path: str,
        current_scores_path: str | None,
        on_pass: sfn.IChainable,
        on_fail: sfn.IChainable,
    ) -> sfn.IChainable:
        """The gate's states, for the model whose identifier is at ``model_arn_path`` of the state's input.

        :param scope: where the states are created (their names start with ``id``).
        :param model_arn_path: a ``$.a.b`` path to the model's identifier (a provisioned throughput or imported
            model ARN, ...); a model CreateEvaluationJob cannot take goes to ``on_fail`` with the reason.
        :param current_scores_path: a ``$.a.b`` path to the current model's ``{metric: number}`` (e.g. the
            stable endpoint's ``currentScores``), read when ``must_beat_current``; absent there: nothing to beat.
        :param on_pass: runs when every threshold is met, ``$.gate`` = ``{"passed": true, "scores", "reasons": []}``.
        :param on_fail: runs otherwise (a threshold missed, not better than the current model, the job failed,
            was stopped or timed out, the request was refused), ``$.gate.reasons`` saying why.
        """
        for name, path in (("model_arn_path", model_arn_path), ("current_scores_path", current_scores_path)):
            if path is not None and not _PATH_RE.match(path):
                raise ValueError(f"{name} must be a JSON path of names, e.g. '$.model.arn', got {path!r}")
        if self.must_beat_current and current_scores_path is None:
            raise ValueError("must_beat_current needs current_scores_path (where the current model's scores are)")
        request = evaluation_request(
            self.kind,
            models=[sfn.JsonPath.string_at(model_arn_path)],
            dataset_configs=self._dataset_configs,
            role_arn=self.service_role.role_arn,
            output_s3_uri=self.output_s3_uri,
            evaluator_model=self.evaluator_model,
            judge_metrics=self.judge_metrics,
            inference_params=self.inference_params,
        )
        function = self.function.function

        def invoke(name: str, payload: Mapping[str, Any]) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(
                scope,
                f"{id}{name}",
                lambda_function=function,
                payload=sfn.TaskInput.from_object(dict(payload)),
                payload_response_only=True,
                result_path="$.gate",
            )
            task.add_retry(errors=_RETRY_ERRORS, interval=Duration.seconds(10), max_attempts=5, backoff_rate=2)
            return task

        start = invoke(
            "Start",
            {
                "action": "start",
                "request": request,
                "modelArn": sfn.JsonPath.string_at(model_arn_path),
                "executionId": sfn.JsonPath.string_at("$$.Execution.Id"),
                "jobNamePrefix": self.job_name_prefix,
                "maxPolls": self.max_polls,
                "evaluableResources": list(self._results.evaluable_model_resources),
            },
        )
        check = invoke(
            "Check",
            {
                "action": "check",
                "jobArn": sfn.JsonPath.string_at("$.gate.jobArn"),
                "jobName": sfn.JsonPath.string_at("$.gate.jobName"),
                "polls": sfn.JsonPath.number_at("$.gate.polls"),
                "maxPolls": sfn.JsonPath.number_at("$.gate.maxPolls"),
            },
        )
        score = invoke(
            "Score",
            {
                "action": "score",
                "jobArn": sfn.JsonPath.string_at("$.gate.jobArn"),
                "jobName": sfn.JsonPath.string_at("$.gate.jobName"),
                "outputS3Uri": sfn.JsonPath.string_at("$.gate.outputS3Uri"),
                "thresholds": self.thresholds,
                "directions": self.directions,
                "mustBeatCurrent": self.must_beat_current,
                "currentScoresPath": current_scores_path or "",
                "input": sfn.JsonPath.object_at("$"),
                "format": {
                    "result_suffix": self._results.result_suffix,
                    "scores_key": self._results.scores_key,
                    "score_list": self._results.score_list,
                    "score_name": self._results.score_name or "metricName",
                    "score_value": self._results.score_value,
                },
            },
        )
        wait = sfn.Wait(scope, f"{id}Wait", time=sfn.WaitTime.duration(self.poll_interval))
        failed = sfn.Pass(
            scope,
            f"{id}NotPassed",
            parameters={
                "passed": False,
                "scores": sfn.JsonPath.object_at("$.gate.scores"),
                "reasons": sfn.JsonPath.list_at("$.gate.reasons"),
                "jobArn": sfn.JsonPath.string_at("$.gate.jobArn"),
            },
            result_path="$.gate",
        )
        failed.next(on_fail)
        started = sfn.Choice(scope, f"{id}Started").when(sfn.Condition.boolean_equals("$.gate.started", False), failed)
        started.otherwise(wait)
        wait.next(check)
        status = (
            sfn.Choice(scope, f"{id}JobStatus")
            .when(sfn.Condition.string_equals("$.gate.status", "Completed"), score)
            .when(
                sfn.Condition.or_(
                    *(sfn.Condition.string_equals("$.gate.status", s) for s in ("Failed", "Stopped", "TimedOut"))
                ),
                failed,
            )
            .otherwise(wait)
        )
        check.next(status)
        decision = sfn.Choice(scope, f"{id}Passed").when(sfn.Condition.boolean_equals("$.gate.passed", True), on_pass)
        decision.otherwise(on_fail)
        score.next(decision)
        start.next(started)
        return sfn.Chain.custom(start, decision.afterwards().end_states, decision)

    # ------------------------------------------------------------------------------------------ grants

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the gate's results prefix."""
        return self.output_bucket.grant_read(grantee, f"{self.output_prefix}*")

    # ------------------------------------------------------------------------------------------ internals

    def _job_metrics(self) -> list[str]:
        return list(dict.fromkeys(m for config in self._dataset_configs for m in config["metricNames"]))

    def _directions(self, thresholds: Mapping[str, float]) -> dict[str, str]:
        if not thresholds:
            raise ValueError("thresholds must name at least one metric the evaluation computes")
        computed = self._job_metrics()
        custom = {m.name for m in self.judge_metrics}
        directions: dict[str, str] = {}
        for metric, bound in thresholds.items():
            if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
                raise ValueError(f"thresholds: {metric} must be a number, got {bound!r}")
            if metric not in computed:
                close = difflib.get_close_matches(metric, computed, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise ValueError(
                    f"thresholds: {metric!r} is not a metric this evaluation computes; {hint}allowed: "
                    f"{', '.join(computed)}"
                )
            directions[metric] = "higher" if metric in custom else self._results.direction(metric)
        return directions

    def _max_polls(self, timeout: Duration, poll_interval: Duration) -> int:
        interval = poll_interval.to_seconds()
        if not 60 <= interval <= 86400:
            raise ValueError(f"poll_interval must be 1 minute-1 day, got {interval} seconds")
        limit_hours = self._results.max_job_duration_hours
        limit = (Duration.seconds(limit_hours * 3600) if limit_hours is not None else _MAX_TIMEOUT).to_seconds()
        seconds = timeout.to_seconds()
        if not interval <= seconds <= limit:
            source = (
                f"the knowledge base's max_job_duration_hours ({limit_hours})"
                if limit_hours is not None
                else "a Standard workflow's one-year limit (no maximum job duration is documented)"
            )
            raise ValueError(f"timeout must be poll_interval ({interval} s) to {limit} s ({source}), got {seconds} s")
        return math.ceil(seconds / interval)

    def _grant_service_role(self, key: kms.IKey | None) -> None:
        role = self.service_role.role
        bucket = self.output_bucket
        prefixes = [self.output_prefix]
        if any(d.key is not None for d in self.datasets):
            prefixes.append(self.dataset_prefix)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListTheGatePrefixes",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            )
        )
        readable = [bucket.arn_for_objects(f"{p}*") for p in prefixes]
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadDatasetsAndResults", actions=["s3:GetObject"], resources=readable)
        )
        results = bucket.arn_for_objects(f"{self.output_prefix}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="WriteResults", actions=["s3:PutObject"], resources=[results])
        )
        allow_output_uploads(self.service_role, bucket, self.output_prefix)
        invoked = [*self.evaluated_models, *([self.evaluator_model] if self.evaluator_model else [])]
        allow_evaluation_models(self, self.service_role, self.kind, invoked)
        if key is not None:
            key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for arn in {*readable, results}:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, arn),
                "Bedrock names the result objects of each job at run time (<job name>/<job uuid>/...); the role "
                "reads and writes only the gate's dataset and results prefixes.",
            )
        for arn in self.evaluated_models:
            if arn.endswith("/*"):
                nag.acknowledge(
                    policy,
                    nag.iam5_resource_finding(self, arn),
                    "The gate evaluates a model a workflow trains at run time: the role may invoke this account's "
                    "provisioned throughputs or imported models of this Region only (evaluated_models narrows it).",
                )

    def _grant_function(self, key: kms.IKey | None) -> None:
        role = self.function.role
        bucket = self.output_bucket
        results = bucket.arn_for_objects(f"{self.output_prefix}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListTheResults",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self.output_prefix}*"]}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadTheResults", actions=["s3:GetObject"], resources=[results])
        )
        if key is not None:
            key.grant(role, "kms:Decrypt")
        invoked = [*self.evaluated_models, *([self.evaluator_model] if self.evaluator_model else [])]
        _allow_create_job(role, self, invoked)
        self.service_role.grant_pass_role(role)
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(self, results),
            "The function reads the result files Bedrock writes under the gate's results prefix, named at run "
            "time; nothing else in the bucket.",
        )

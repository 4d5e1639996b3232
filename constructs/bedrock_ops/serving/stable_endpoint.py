"""StableEndpoint: one endpoint that new custom models are promoted into (and rolled back from).

The endpoint is a custom model deployment where the base model may be deployed on demand, else a provisioned
throughput. Its state (endpoint ARN, current and previous model, their scores) is one SSM parameter written by
the promoter Lambda (``lambda/serving_promoter`` running ``bedrock_ops.serving.promotion``), which
:meth:`StableEndpoint.promotion_chain` invokes from a state machine and ``bedrock-ops promote`` / ``rollback``
run from a workstation.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from aws_cdk import Annotations, CfnOutput, Duration, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.providers import ProviderHandle
from bedrock_ops._core.staging import StagedFile, handler_code
from bedrock_ops.cost.pricing import Commitment, PricingTable, load_pricing_table
from bedrock_ops.models.facts import ModelEntry
from bedrock_ops.models.knowledge import PACKAGED, ModelKnowledgeBase, load_models
from bedrock_ops.observability.fleet import metrics_insights_query
from bedrock_ops.serving import promotion
from bedrock_ops.serving.provisioned_throughput import commitment_cost_guard, parse_commitment
from constructs import Construct

if TYPE_CHECKING:
    from bedrock_ops.evaluation.gate import EvaluationGate

__all__ = ["EndpointKind", "IStableEndpoint", "StableEndpoint"]

HANDLER = "serving_promoter"
TAG_KEY = "bedrock-ops:stable-endpoint"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Status polls of the wait loop before a promotion that is still Creating / Updating fails the execution.
DEFAULT_MAX_POLLS = 60


class EndpointKind(StrEnum):
    """What serves the stable endpoint."""

    AUTO = "auto"
    """A deployment where the knowledge base marks the base model deployable on demand, else a throughput."""
    DEPLOYMENT = promotion.DEPLOYMENT
    """An on-demand custom model deployment (CreateCustomModelDeployment), billed per token."""
    PROVISIONED_THROUGHPUT = promotion.PROVISIONED_THROUGHPUT
    """A provisioned throughput (CreateProvisionedModelThroughput), billed per model unit and hour."""


class IStableEndpoint(Construct):
    """A stable endpoint, made here or imported by :meth:`StableEndpoint.from_parameter_name`."""

    parameter: ssm.IStringParameter
    """The SSM String parameter holding the endpoint's record (JSON)."""
    endpoint_kind: str
    """``deployment`` or ``provisioned-throughput``."""
    parameter_name: str
    """The record parameter's name (the value of the endpoint's ``bedrock-ops:stable-endpoint`` tag)."""

    def _endpoint_arns(self) -> list[str]:
        stack = Stack.of(self)
        resource = "custom-model-deployment" if self.endpoint_kind == promotion.DEPLOYMENT else "provisioned-model"
        return [stack.format_arn(service="bedrock", resource=resource, resource_name="*")]

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke whichever endpoint the record names (InvokeModel and
        InvokeModelWithResponseStream, which also authorize Converse / ConverseStream): the endpoints of this
        account and Region of the endpoint's kind that carry this endpoint's tag (``aws:ResourceTag``, which the
        Service Authorization Reference lists for both resource types; the promoter tags what it creates)."""
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            resource_arns=self._endpoint_arns(),
            conditions={"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": self.parameter_name}},
        )
        self._acknowledge_grant(grantee)
        return grant

    def grant_read_record(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to read the record: ssm:GetParameter and ssm:GetParameters on the parameter only
        (not the ``ssm:DescribeParameters`` of the CDK's ``grant_read``, which applies to no resource and would
        have to be granted on ``*``)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resource_arns=[self.parameter.parameter_arn],
        )

    def _acknowledge_grant(self, grantee: iam.IGrantable) -> None:
        principal = grantee.grant_principal
        if isinstance(principal, iam.Role):
            policy = principal.node.try_find_child("DefaultPolicy")
            if policy is not None:
                for arn in self._endpoint_arns():
                    nag.acknowledge(
                        policy,
                        nag.iam5_resource_finding(self, arn),
                        "The stable endpoint's ARN is known only after a promotion creates it; the grant is "
                        "narrowed to endpoints carrying this endpoint's tag (aws:ResourceTag condition).",
                    )

    def metric(self, metric_name: str, function: str = "SUM", **props: Any) -> cloudwatch.MathExpression:
        """A Metrics Insights expression of ``AWS/Bedrock`` ``metric_name`` per ``ModelId``: one series per
        model id, over every ModelId of the account and Region. Neither the endpoint's ARN (known at run time
        only) nor the ModelId value Bedrock publishes for a deployment (undocumented: knowledge base
        ``custom_model_deployment.metrics_model_id``) is a literal at synth, so the expression names none; the
        endpoint's series is the one labelled with its ARN (read it from the record)."""
        query = metrics_insights_query("AWS/Bedrock", metric_name, function)
        options: dict[str, Any] = {"period": Duration.minutes(5), "label": f"{metric_name} by ModelId", **props}
        return cloudwatch.MathExpression(expression=query, **options)

    def metric_invocations(self, **props: Any) -> cloudwatch.MathExpression:
        """Invocations per ModelId (SUM over 5 minutes)."""
        return self.metric("Invocations", **props)

    def metric_invocation_latency(self, **props: Any) -> cloudwatch.MathExpression:
        """InvocationLatency per ModelId in milliseconds (AVG over 5 minutes)."""
        return self.metric("InvocationLatency", "AVG", **props)

    def metric_invocation_server_errors(self, **props: Any) -> cloudwatch.MathExpression:
        """InvocationServerErrors per ModelId (SUM over 5 minutes)."""
        return self.metric("InvocationServerErrors", **props)

    def metric_invocation_throttles(self, **props: Any) -> cloudwatch.MathExpression:
        """InvocationThrottles per ModelId (SUM over 5 minutes)."""
        return self.metric("InvocationThrottles", **props)


class StableEndpoint(IStableEndpoint):
    """A stable endpoint for custom models of one base model, with promotion and rollback.

    The record (an SSM String parameter, its name in a stack output) says which endpoint serves which custom
    model; :meth:`promotion_chain` promotes a new model from a state machine (create the endpoint the first
    time, then swap the model in place where Bedrock allows it, else replace the throughput), waits until it is
    Active and notifies ``topic``. Deleting the stack deletes the endpoint it created, except a committed
    throughput, which cannot be deleted before its term ends and is kept (logged, and said in a stack output);
    the recorded custom models are deleted only with ``custom_model_removal_policy=RemovalPolicy.DESTROY``.

    With ``evaluation_gate``, a new model is evaluated before it is promoted. ``CreateEvaluationJob`` takes no
    custom model or custom model deployment ARN (knowledge base ``evaluation_results.evaluable_model_resources``),
    so the model is served for its evaluation by a **candidate** provisioned throughput without commitment
    (:attr:`candidate`, a stable endpoint of its own, billed per hour while it exists: the synth needs
    ``acknowledge_candidate_cost=True``), which the chain deletes after the evaluation on every path: passed,
    not passed, and any error. One evaluation runs at a time: the candidate serves one execution (its record's
    ``owner``), and another that reaches the evaluation meanwhile fails (``CandidateBusy``) without touching it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        base_model_id: str,
        kind: EndpointKind | str = EndpointKind.AUTO,
        endpoint_name: str | None = None,
        model_units: int = 1,
        commitment: Commitment | str = Commitment.NO_COMMITMENT,
        acknowledge_commitment_cost: bool = False,
        topic: sns.ITopic | None = None,
        custom_model_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        models_file: str | Path | None = None,
        pricing_table: PricingTable | None = None,
        evaluation_gate: EvaluationGate | None = None,
        candidate_model_units: int = 1,
        acknowledge_candidate_cost: bool = False,
    ) -> None:
        """
        :param base_model_id: the base model of every custom model promoted here (e.g. ``amazon.nova-micro-v1:0``),
            checked against the knowledge base.
        :param kind: ``auto`` (default: a deployment where the knowledge base marks the base model deployable
            on demand in this Region, else a provisioned throughput), ``deployment`` or
            ``provisioned-throughput``; a kind the model does not allow fails with the allowed ones.
        :param endpoint_name: the deployment's or throughput's name, 1-63 letters, digits, ``-``, ``_``
            (default: derived from the construct path).
        :param model_units: model units of a provisioned throughput, >= 1 (default: 1; ignored for deployments).
        :param commitment: ``NoCommitment`` (default), ``OneMonth`` or ``SixMonths`` (provisioned throughput only).
        :param acknowledge_commitment_cost: must be True for a committed throughput (default: False): the same
            synth-time cost guard as ProvisionedThroughput.
        :param topic: where promotion and rollback notices go (default: a new topic encrypted with the AWS managed
            key of SNS, SSL only). A topic encrypted with a customer managed key needs ``topic.grant_publish`` for
            the state machine that runs :meth:`promotion_chain` (SnsPublish grants ``sns:Publish`` only).
        :param custom_model_removal_policy: DESTROY deletes the recorded custom models (current and previous) on
            stack delete (default: RETAIN).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param pricing_table: prices for the committed-throughput estimate (default: the packaged table).
        :param evaluation_gate: evaluate each new model before promoting it (default: none, every model is
            promoted): :meth:`promotion_chain` serves the model on a candidate throughput, runs the gate on it,
            deletes the candidate, and promotes the model (its scores recorded, for the gate's
            ``must_beat_current`` next time) only if it passed; otherwise it publishes "not promoted" with the
            reasons on ``topic`` and the endpoint stays as it was.
        :param candidate_model_units: model units of the candidate throughput, >= 1 (default: 1).
        :param acknowledge_candidate_cost: must be True with ``evaluation_gate`` (default: False): every
            evaluation buys a no-commitment throughput for the time it takes (the error says the estimate).
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        models = load_models(models_file)
        # The promoter reads these rules at run time: a models file that breaks them fails the synth instead.
        promotion.Rules.from_group(models.document.get("promotion") or {}, str(models_file or "the knowledge base"))
        entry = models.resolve(base_model_id, prop="base_model_id")
        self.base_model_id = entry.model_id
        """The base model (plain id)."""
        self.endpoint_kind = _kind(entry, kind, stack.region, models)
        self.commitment = parse_commitment(commitment)
        if not Token.is_unresolved(model_units) and (not isinstance(model_units, int) or model_units < 1):
            raise ValueError(f"model_units must be an integer >= 1, got {model_units!r}")
        if self.endpoint_kind == promotion.DEPLOYMENT and self.commitment is not Commitment.NO_COMMITMENT:
            raise ValueError(
                f"commitment {self.commitment.value} applies to provisioned throughput only; "
                f"{entry.model_id} is served by a custom model deployment here (kind='provisioned-throughput' "
                "to buy a throughput)"
            )
        self.model_units = model_units
        name = endpoint_name or Names.unique_resource_name(self, max_length=56, separator="-")
        if not Token.is_unresolved(name) and not (
            1 <= len(name) <= 63 and all(c.isalnum() or c in "-_" for c in name) and name[0].isalnum()
        ):
            raise ValueError(f"endpoint_name must be 1-63 letters, digits, '-' or '_', got {name!r}")
        self.endpoint_name = name
        self.hourly_cost: float | None = None
        if self.endpoint_kind == promotion.PROVISIONED_THROUGHPUT:
            table = pricing_table or load_pricing_table()
            price = table.price(entry.model_id)
            self.hourly_cost = None if price is None else price.provisioned_hourly_cost(self.commitment, model_units)
            commitment_cost_guard(
                path=self.node.path,
                commitment=self.commitment,
                model_units=model_units,
                hourly_cost=self.hourly_cost,
                table=table,
                priced_id=entry.model_id,
                subject=f"custom models of {entry.model_id}",
                acknowledged=acknowledge_commitment_cost,
            )

        parameter_name = f"/bedrock-ops/stable-endpoints/{Names.unique_resource_name(self, max_length=200)}"
        self.parameter = ssm.StringParameter(
            self,
            "Record",
            parameter_name=parameter_name,
            description=f"Stable endpoint record ({self.endpoint_kind}) of {entry.model_id} custom models",
            string_value=promotion.initial_record().dumps(),
        )
        self.parameter_name = parameter_name
        """The parameter's name (a literal: the promoter, the CLI and the grants use it)."""
        self.topic: sns.ITopic = topic or self._new_topic()
        self.evaluation_gate = evaluation_gate
        """The gate each new model passes before it is promoted (None: every model is promoted)."""
        self.candidate: StableEndpoint | None = None
        """The candidate endpoint (a no-commitment provisioned throughput) a gated model is evaluated on."""
        if evaluation_gate is not None:
            self.candidate = self._candidate(
                evaluation_gate,
                model_units=candidate_model_units,
                acknowledged=acknowledge_candidate_cost,
                models=models,
                pricing_table=pricing_table,
                models_file=models_file,
            )

        handle = ProviderHandle(
            self,
            "Promoter",
            handler=HANDLER,
            description=f"Stable endpoint {name}: promotion, rollback and stack-delete clean-up",
            is_complete=False,
            query_interval=Duration.seconds(30),
            total_timeout=Duration.minutes(15),
            timeout=Duration.minutes(10),
            environment={"PARAMETER_NAME": parameter_name},
            code=promoter_code(models_file),
        )
        self.promoter: lambda_.IFunction = handle.on_event_function.function
        """The promoter Lambda (Step Functions tasks ``promote`` / ``rollback`` / ``status`` / ``record`` /
        ``release``)."""
        destroy = custom_model_removal_policy is RemovalPolicy.DESTROY
        self._grant_promoter(handle.on_event_role, stack, destroy)
        self.resource = handle.resource(
            self,
            "Resource",
            resource_type="Custom::BedrockStableEndpoint",
            properties={
                "ParameterName": parameter_name,
                "EndpointKind": self.endpoint_kind,
                "EndpointName": name,
                "ModelUnits": model_units,
                "Commitment": self.commitment.value,
                "BaseModelId": entry.model_id,
                "CustomModelRemovalPolicy": "destroy" if destroy else "retain",
                "TagKey": TAG_KEY,
            },
            service_timeout=Duration.minutes(15),
        )
        self.resource.node.add_dependency(self.parameter)
        CfnOutput(self, "RecordParameter", description=f"SSM parameter of stable endpoint {name}", value=parameter_name)
        if self.commitment is not Commitment.NO_COMMITMENT:
            CfnOutput(
                self,
                "CommittedThroughputNote",
                description=f"Stable endpoint {name}: what stack delete keeps",
                value=f"{self.commitment.value} throughputs bought by promotions are never deleted by this stack "
                "(they cannot be deleted before their term ends): delete them after the term",
            )
            Annotations.of(self).add_info(
                f"{name}: committed throughputs ({self.commitment.value}) are kept when the stack is deleted"
            )

    # ---------------------------------------------------------------------------------------------- chain

    def promotion_chain(
        self,
        scope: Construct,
        id: str,
        *,
        model_arn_path: str,
        scores_path: str | None = None,
        poll_interval: Duration | None = None,
        max_polls: int = DEFAULT_MAX_POLLS,
        notify: bool = True,
        state_prefix: str = "",
    ) -> sfn.Chain:
        """States that promote the model at ``model_arn_path`` (e.g. ``$.report.customModelArn``) into this
        endpoint: Promote (the promoter Lambda) -> wait until the endpoint is Active (Wait + Choice, at most
        ``max_polls`` polls of ``poll_interval``, default 60 x 1 minute) -> publish the endpoint ARN, the current
        and the previous model on the topic. An endpoint that goes Failed, or is still not Active after the
        last poll, ends in a Fail state (error ``PromotionFailed``, Bedrock's failure message as the cause).
        Results land in ``$.promotion`` and ``$.promotionStatus``; the chain can be continued with ``.next()``.

        With an ``evaluation_gate``, the promotion is preceded by the evaluation (see the class): the candidate's
        states (``Candidate...``), the gate's (``Gate...``) in ``EvaluateCandidate`` (a Parallel state), whose
        outcome lands in ``$.evaluation`` (``{"gate": {"passed", "scores", "reasons", ...},
        "candidateEndpointArn"}``), then ``ReleaseCandidate``; a model that did not pass ends in
        ``NotifyNotPromoted``, an error in the evaluation in ``ReleaseCandidateAfterError`` -> Fail
        ``CandidateEvaluationFailed``. The recorded scores are then the gate's. A state machine of your own that
        runs this chain should also get :meth:`release_candidate_on_stop` (the workflow's gets it).

        :param scores_path: where the new model's scores are (``{metric: number}``; default: none recorded, or
            the gate's scores with an ``evaluation_gate``).
        :param notify: publish the promotion on the topic (default: True; False ends at ``EndpointReady``).
        :param state_prefix: put before every state name, so that two chains can share a state machine
            (default: none; a state machine holds one chain of each prefix).
        """
        if not 1 <= max_polls <= 1000:
            raise ValueError(f"max_polls must be 1-1000, got {max_polls}")
        if self.evaluation_gate is not None:
            if scores_path is not None:
                raise ValueError("scores_path: with an evaluation_gate the recorded scores are the gate's")
            return self._gated_chain(
                scope,
                id,
                model_arn_path=model_arn_path,
                poll_interval=poll_interval,
                max_polls=max_polls,
                notify=notify,
                state_prefix=state_prefix,
            )
        chain = self._promotion_states(
            scope,
            id,
            model_arn_path=model_arn_path,
            scores_path=scores_path,
            poll_interval=poll_interval,
            max_polls=max_polls,
            notify=notify,
            state_prefix=state_prefix,
        )
        self._acknowledge_invoke(scope, self.promoter)
        return chain

    def _promotion_states(
        self,
        scope: Construct,
        id: str,
        *,
        model_arn_path: str,
        scores_path: str | None,
        poll_interval: Duration | None,
        max_polls: int,
        notify: bool,
        state_prefix: str,
        owned: bool = False,
    ) -> sfn.Chain:
        interval = poll_interval or Duration.minutes(1)
        group = Construct(scope, id)
        payload: dict[str, Any] = {"action": "promote", "modelArn": sfn.JsonPath.string_at(model_arn_path)}
        payload["scores"] = sfn.JsonPath.object_at(scores_path) if scores_path else None
        if owned:  # the endpoint serves this execution only (an evaluation candidate)
            payload["owner"] = sfn.JsonPath.execution_id
        promote = self._task(group, "Promote", self.promoter, payload, "$.promotion")
        init = sfn.Pass(group, "StartWaiting", result=sfn.Result.from_number(0), result_path="$.promotionPolls")
        wait = sfn.Wait(group, "WaitForEndpoint", time=sfn.WaitTime.duration(interval))
        count = sfn.Pass(
            group,
            "CountPoll",
            parameters={"value.$": "States.MathAdd($.promotionPolls, 1)"},
            result_path="$.promotionPollCount",
        )
        keep = sfn.Pass(group, "KeepCount", input_path="$.promotionPollCount.value", result_path="$.promotionPolls")
        check = self._task(group, "EndpointStatus", self.promoter, {"action": "status"}, "$.promotionStatus")
        failed = sfn.Fail(
            group, "PromotionFailed", error="PromotionFailed", cause_path="$.promotionStatus.failureMessage"
        )
        timed_out = sfn.Fail(
            group,
            "PromotionTimedOut",
            error="PromotionFailed",
            cause=f"the endpoint was not Active after {max_polls} status checks",
        )
        end: tasks.SnsPublish | sfn.Pass
        if notify:
            end = self._notice(
                group,
                "NotifyPromotion",
                "model promoted",
                {
                    "endpointArn": sfn.JsonPath.string_at("$.promotionStatus.endpointArn"),
                    "endpointKind": self.endpoint_kind,
                    "currentModelArn": sfn.JsonPath.string_at("$.promotionStatus.currentModelArn"),
                    "previousModelArn": sfn.JsonPath.string_at("$.promotionStatus.previousModelArn"),
                    "changed": sfn.JsonPath.string_at("$.promotion.changed"),
                },
            )
        else:
            end = sfn.Pass(group, "EndpointReady")
        choice = (
            sfn.Choice(group, "EndpointActive?")
            .when(sfn.Condition.string_equals("$.promotionStatus.status", "Active"), end)
            .when(sfn.Condition.string_equals("$.promotionStatus.status", "Failed"), failed)
            .when(sfn.Condition.number_greater_than_equals("$.promotionPolls", max_polls), timed_out)
            .otherwise(wait)
        )
        wait.next(count).next(keep).next(check)
        check.next(choice)
        first_check = self._task(group, "FirstStatus", self.promoter, {"action": "status"}, "$.promotionStatus")
        first_check.next(choice)
        promote.next(init).next(first_check)
        if state_prefix:
            sfn.State.prefix_states(group, state_prefix)
        return sfn.Chain.custom(promote, [end], end)

    def release_candidate_on_stop(self, state_machine: sfn.IStateMachine) -> events.Rule | None:
        """Delete the evaluation candidate when an execution of ``state_machine`` (one that runs
        :meth:`promotion_chain`) is aborted, times out or fails outside the chain's own error handling: an
        EventBridge rule on its "Step Functions Execution Status Change" events invokes the candidate's promoter
        with ``release`` for that execution: a candidate serving another execution is left alone, and releasing
        when nothing is bought deletes nothing. Returns the rule (None without an
        ``evaluation_gate``). :class:`~bedrock_ops.ModelCustomizationWorkflow` calls it for its own state
        machine."""
        if self.candidate is None:
            return None
        # In the state machine's stack (which refers to this endpoint's stack already, never the reverse); the
        # target's invoke permission goes beside the rule.
        rule = events.Rule(
            cast(Construct, state_machine),  # every IStateMachine is a construct
            f"ReleaseCandidate{Names.node_unique_id(self.node)[-8:]}",
            description=f"Delete stable endpoint {self.endpoint_name}'s evaluation candidate when an execution stops",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["ABORTED", "TIMED_OUT", "FAILED"],
                    "stateMachineArn": [state_machine.state_machine_arn],
                },
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                self.candidate.promoter,
                event=events.RuleTargetInput.from_object(
                    {"action": "release", "owner": events.EventField.from_path("$.detail.executionArn")}
                ),
                retry_attempts=8,
                max_event_age=Duration.hours(2),
            )
        )
        return rule

    def _gated_chain(
        self,
        scope: Construct,
        id: str,
        *,
        model_arn_path: str,
        poll_interval: Duration | None,
        max_polls: int,
        notify: bool,
        state_prefix: str,
    ) -> sfn.Chain:
        gate, candidate = self.evaluation_gate, self.candidate
        assert gate is not None and candidate is not None
        group = Construct(scope, f"{id}Evaluation")
        serve = candidate._promotion_states(
            group,
            "Candidate",
            model_arn_path=model_arn_path,
            scores_path=None,
            poll_interval=poll_interval,
            max_polls=max_polls,
            notify=False,
            state_prefix="Candidate",
            owned=True,
        )
        current_scores_path = None
        if gate.must_beat_current:
            read = self._task(group, "ReadServingRecord", self.promoter, {"action": "record"}, "$.servingRecord")
            serve = serve.next(read)
            current_scores_path = "$.servingRecord.currentScores"
        # What the branch hands on: the gate's answer and the candidate it was reached on.
        outcome = {"gate.$": "$.gate", "candidateEndpointArn.$": "$.promotionStatus.endpointArn"}
        evaluated = serve.next(
            gate.gate_chain(
                group,
                "Gate",
                model_arn_path="$.promotionStatus.endpointArn",
                current_scores_path=current_scores_path,
                on_pass=sfn.Pass(group, "EvaluationPassed", parameters=outcome),
                on_fail=sfn.Pass(group, "EvaluationNotPassed", parameters=outcome),
            )
        )
        evaluate = sfn.Parallel(
            group,
            "EvaluateCandidate",
            comment="Serve the new model on the candidate throughput and run the evaluation gate on it",
            result_path="$.evaluation",
        )
        evaluate.branch(evaluated)
        # The one branch's outcome, out of the Parallel state's one-element array.
        unwrap = sfn.Pass(group, "KeepEvaluation", input_path="$.evaluation[0]", result_path="$.evaluation")
        release = {"action": "release", "owner": sfn.JsonPath.execution_id}
        after_error = self._task(group, "ReleaseCandidateAfterError", candidate.promoter, release, "$.candidateRelease")
        after_error.next(
            sfn.Fail(
                group,
                "CandidateEvaluationFailed",
                error="CandidateEvaluationFailed",
                cause_path="$.evaluationError.Cause",
            )
        )
        evaluate.add_catch(after_error, errors=["States.ALL"], result_path="$.evaluationError")
        released = self._task(group, "ReleaseCandidate", candidate.promoter, release, "$.candidateRelease")
        not_promoted = self._notice(
            group,
            "NotifyNotPromoted",
            "model not promoted",
            {
                "modelArn": sfn.JsonPath.string_at(model_arn_path),
                "reasons": sfn.JsonPath.list_at("$.evaluation.gate.reasons"),
                "scores": sfn.JsonPath.object_at("$.evaluation.gate.scores"),
            },
        )
        promote = self._promotion_states(
            scope,
            id,
            model_arn_path=model_arn_path,
            scores_path="$.evaluation.gate.scores",
            poll_interval=poll_interval,
            max_polls=max_polls,
            notify=notify,
            state_prefix=state_prefix,
        )
        decide = (
            sfn.Choice(group, "PromoteCandidate?")
            .when(sfn.Condition.boolean_equals("$.evaluation.gate.passed", True), promote)
            .otherwise(not_promoted)
        )
        evaluate.next(unwrap).next(released).next(decide)
        if state_prefix:
            sfn.State.prefix_states(group, state_prefix)
        for function in (self.promoter, candidate.promoter, gate.function.function):
            self._acknowledge_invoke(scope, function)
        return sfn.Chain.custom(evaluate, [*promote.end_states, not_promoted], not_promoted)

    def _notice(self, scope: Construct, id: str, what: str, message: dict[str, Any]) -> tasks.SnsPublish:
        """A notice on the endpoint's topic: ``message`` and the record parameter's name, as JSON."""
        return tasks.SnsPublish(
            scope,
            id,
            topic=self.topic,
            subject=f"Stable endpoint {self.endpoint_name}: {what}"[:100],
            message=sfn.TaskInput.from_object({**message, "parameter": self.parameter_name}),
            result_path=sfn.JsonPath.DISCARD,
        )

    def _task(
        self, scope: Construct, id: str, function: lambda_.IFunction, payload: dict[str, Any], result_path: str
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            scope,
            id,
            lambda_function=function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path=result_path,
        )
        task.add_retry(
            errors=["PromotionRetryableError"], interval=Duration.seconds(30), max_attempts=3, backoff_rate=2
        )
        return task

    def _acknowledge_invoke(self, scope: Construct, function: lambda_.IFunction) -> None:
        # The state machine's role (made by the caller) gets lambda:InvokeFunction on <function>:* from LambdaInvoke.
        nag.acknowledge(
            Stack.of(scope),
            nag.iam5_resource_finding(self, f"{function.function_arn}:*"),
            "Step Functions' LambdaInvoke grants invoke on the versions and aliases (<arn>:*) of one function of "
            "the stable endpoint (its promoter, its candidate's promoter or its evaluation gate's function)",
        )

    # ------------------------------------------------------------------------------------------ importers

    @staticmethod
    def from_parameter_name(
        scope: Construct, id: str, name: str, *, kind: EndpointKind | str = EndpointKind.DEPLOYMENT
    ) -> IStableEndpoint:
        """A stable endpoint made elsewhere, by its record parameter's name (grants and metrics only; ``kind``
        says which endpoint ARNs ``grant_invoke`` covers, default ``deployment``)."""
        if not Token.is_unresolved(name) and not name.startswith("/"):
            raise ValueError(f"name must be the record parameter's name (starting with '/'), got {name!r}")
        value = EndpointKind(kind)
        if value is EndpointKind.AUTO:
            raise ValueError("kind must be 'deployment' or 'provisioned-throughput' for an imported endpoint")
        return _ImportedStableEndpoint(scope, id, name=name, kind=value.value)

    # ------------------------------------------------------------------------------------------ internals

    def _candidate(
        self,
        gate: EvaluationGate,
        *,
        model_units: int,
        acknowledged: bool,
        models: ModelKnowledgeBase,
        pricing_table: PricingTable | None,
        models_file: str | Path | None,
    ) -> StableEndpoint:
        """The candidate endpoint of ``evaluation_gate``, after its cost guard."""
        from bedrock_ops.evaluation.gate import EvaluationGate
        from bedrock_ops.models.queries import evaluation_results

        if not isinstance(gate, EvaluationGate):
            raise TypeError(f"evaluation_gate must be an EvaluationGate, got {type(gate).__name__}")
        evaluable = evaluation_results(models).evaluable_model_resources
        if "provisioned-model" not in evaluable:
            raise ValueError(
                f"evaluation_gate: the knowledge base says CreateEvaluationJob evaluates none of a custom model's "
                f"serving forms (evaluation_results.evaluable_model_resources: {', '.join(evaluable) or 'none'}; "
                "a trained model is evaluated through a provisioned-model)"
            )
        name = None if Token.is_unresolved(self.endpoint_name) else f"{self.endpoint_name[:53]}-candidate"
        try:
            candidate = StableEndpoint(
                self,
                "Candidate",
                base_model_id=self.base_model_id,
                kind=EndpointKind.PROVISIONED_THROUGHPUT,
                endpoint_name=name,
                model_units=model_units,
                topic=self.topic,
                models_file=models_file,
                pricing_table=pricing_table,
            )
        except ValueError as exc:
            raise ValueError(
                f"evaluation_gate: a trained model is evaluated on a candidate provisioned throughput "
                f"(CreateEvaluationJob takes no custom-model or custom-model-deployment ARN), but: {exc}"
            ) from None
        estimate = self._candidate_estimate(gate, candidate, pricing_table or load_pricing_table())
        if not acknowledged:
            raise ValueError(
                f"{self.node.path}: evaluation_gate evaluates every new model on a candidate provisioned "
                f"throughput ({candidate.model_units} model unit(s), no commitment, custom models of "
                f"{self.base_model_id}), billed per hour from its creation until the workflow deletes it after "
                f"the evaluation (passed, not passed or failed): {estimate}. CreateEvaluationJob takes no "
                "custom-model or custom-model-deployment ARN (knowledge base "
                "evaluation_results.evaluable_model_resources), so the model needs a throughput of its own for "
                "the evaluation. Set acknowledge_candidate_cost=True (config key "
                "customization.jobs[].serving.acknowledge_candidate_cost: true) to proceed."
            )
        Annotations.of(self).add_info(
            f"{self.endpoint_name}: each evaluation buys a candidate provisioned throughput (no commitment), "
            f"deleted after it: {estimate}"
        )
        return candidate

    def _candidate_estimate(self, gate: EvaluationGate, candidate: StableEndpoint, table: PricingTable) -> str:
        """What one evaluation's candidate costs, from the pricing table's no-commitment rate."""
        price = table.price(self.base_model_id)
        hourly = (
            None if price is None else price.provisioned_hourly_cost(Commitment.NO_COMMITMENT, candidate.model_units)
        )
        if price is None or hourly is None:
            return (
                f"the pricing table (as of {table.as_of.isoformat()}) has no no-commitment rate for "
                f"{self.base_model_id}, so the cost is unknown"
            )
        hours = gate.timeout.to_hours()
        return (
            f"estimated {table.currency} {hourly:,.2f}/hour ({table.region} rate "
            f"{table.describe(price.source_of('provisioned'))}), up to {table.currency} {hourly * hours:,.2f} for "
            f"the gate's timeout of {hours:g} hours, plus the time the throughput takes to become Active"
        )

    def _new_topic(self) -> sns.Topic:
        # The AWS managed key of SNS: its key policy lets every principal of the account that may publish use it
        # through SNS, so the caller's state machine (whose role promotion_chain cannot see) needs sns:Publish only,
        # which SnsPublish grants. A customer managed key would need kms:GenerateDataKey* and kms:Decrypt on it.
        key = kms.Alias.from_alias_name(self, "TopicKey", "alias/aws/sns")
        return sns.Topic(
            self,
            "Notices",
            display_name=f"Stable endpoint {self.endpoint_name}"[:100],
            master_key=key,
            enforce_ssl=True,
        )

    def _grant_promoter(self, role: iam.Role, stack: Stack, destroy: bool) -> None:
        self.grant_read_record(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[self.parameter.parameter_arn])
        )
        custom_models = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
        tagged = {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": self.parameter_name}}
        model_actions = ["bedrock:GetCustomModel"]
        if self.endpoint_kind == promotion.DEPLOYMENT:
            model_actions += ["bedrock:CreateCustomModelDeployment", "bedrock:UpdateCustomModelDeployment"]
            endpoint_actions = [
                "bedrock:GetCustomModelDeployment",
                "bedrock:UpdateCustomModelDeployment",
                "bedrock:DeleteCustomModelDeployment",
            ]
        else:
            model_actions += ["bedrock:CreateProvisionedModelThroughput", "bedrock:UpdateProvisionedModelThroughput"]
            endpoint_actions = [
                "bedrock:GetProvisionedModelThroughput",
                "bedrock:UpdateProvisionedModelThroughput",
                "bedrock:DeleteProvisionedModelThroughput",
            ]
        if destroy:
            model_actions.append("bedrock:DeleteCustomModel")
        role.add_to_principal_policy(iam.PolicyStatement(actions=model_actions, resources=[custom_models]))
        (endpoints,) = self._endpoint_arns()
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=endpoint_actions, resources=[endpoints], conditions=tagged)
        )
        # Tags are set by the create call (tags=): TagResource on the new endpoint, with this endpoint's tag only.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:TagResource"],
                resources=[endpoints],
                conditions={"StringEquals": {f"aws:RequestTag/{TAG_KEY}": self.parameter_name}},
            )
        )
        nag.acknowledge(
            role,
            nag.iam5_resource_finding(self, custom_models),
            "The custom models promoted here are known only at run time (a workflow's output); the promoter reads "
            "their base model and serves them, in this account and Region only.",
        )
        nag.acknowledge(
            role,
            nag.iam5_resource_finding(self, endpoints),
            "The endpoint's ARN ends in an id Bedrock generates when a promotion creates it; every statement on it "
            "is narrowed to endpoints carrying this endpoint's tag.",
        )


class _ImportedStableEndpoint(IStableEndpoint):
    def __init__(self, scope: Construct, id: str, *, name: str, kind: str) -> None:
        super().__init__(scope, id)
        self.parameter = ssm.StringParameter.from_string_parameter_name(self, "Record", name)
        self.parameter_name = name
        self.endpoint_kind = kind


def _kind(entry: ModelEntry, kind: EndpointKind | str, region: str, models: ModelKnowledgeBase) -> str:
    try:
        wanted = EndpointKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in EndpointKind)
        raise ValueError(f"kind must be one of {allowed}, got {kind!r}") from None
    regions = entry.custom_model_deployment_regions
    in_region = Token.is_unresolved(region) or regions is None or region in regions
    deployable = entry.custom_model_deployment is True and in_region
    allowed_kinds = [
        k
        for k, ok in (
            (promotion.DEPLOYMENT, deployable),
            (promotion.PROVISIONED_THROUGHPUT, entry.provisioned_throughput),
        )
        if ok
    ]
    if wanted is EndpointKind.AUTO:
        if not allowed_kinds:
            raise ValueError(
                f"base_model_id {entry.model_id} ({entry.name}): its custom models can be served neither by a "
                f"deployment (knowledge base custom_model_deployment: {entry.custom_model_deployment}, Regions "
                f"{', '.join(regions or ('any',))}) nor by provisioned throughput here; correct it with a models file"
            )
        return allowed_kinds[0]
    if wanted.value not in allowed_kinds:
        raise ValueError(
            f"kind {wanted.value!r} is not allowed for custom models of {entry.model_id} ({entry.name}) in "
            f"{region}: allowed {', '.join(allowed_kinds) or 'none'} (knowledge base groups custom_model_deployment "
            "and provisioned_throughput)"
        )
    return wanted.value


def compact_rules(models_file: Path | None = None) -> str:
    """The knowledge base's ``promotion`` group (``models_file`` merged in) as the promoter's asset holds it."""
    if models_file is None:
        document: dict[str, Any] = json.loads(PACKAGED.read_text(encoding="utf-8"))
    else:
        from bedrock_ops.models._files import merged_document

        document = merged_document(models_file)
    return json.dumps({"promotion": document["promotion"]}, separators=(",", ":"), ensure_ascii=False) + "\n"


def promoter_files(models_file: Path | None = None) -> list[StagedFile]:
    """The files the promoter's asset holds besides its handler and the runtime: ``serving/promotion.py`` and the
    knowledge base reduced to its ``promotion`` group (``models_file`` merged in)."""
    return [
        StagedFile("bedrock_ops/serving/promotion.py", _PACKAGE_DIR / "serving" / "promotion.py"),
        StagedFile("bedrock_ops/models/data/models.json", PACKAGED, lambda _text: compact_rules(models_file)),
    ]


def promoter_code(models_file: str | Path | None = None) -> lambda_.Code:
    """The promoter's asset: its handler, the runtime and :func:`promoter_files`, staged at synth."""
    extra = Path(models_file).resolve() if models_file is not None else None
    if extra is not None and not extra.is_file():
        raise ValueError(f"models_file must be an existing models JSON file, got {str(models_file)!r}")
    return handler_code(HANDLER, promoter_files(extra))

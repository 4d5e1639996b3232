"""StableEndpoint: the endpoint kind from the knowledge base, the cost guard, the record parameter, the promoter's
least privilege, grants, metrics without a literal id, the importer and the promotion chain's states."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from bedrock_ops import EndpointKind, StableEndpoint
from tests.support import nag_findings, new_stack

NOVA = "amazon.nova-micro-v1:0"
TITAN = "amazon.titan-text-express-v1"


def policy_statements(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"]["Roles"])
        if role_fragment in roles:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_a_deployable_base_model_gets_a_deployment() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    assert endpoint.endpoint_kind == "deployment"
    Template.from_stack(stack).has_resource_properties(
        "Custom::BedrockStableEndpoint", {"EndpointKind": "deployment", "BaseModelId": NOVA}
    )


def test_a_model_that_cannot_be_deployed_on_demand_gets_a_provisioned_throughput() -> None:
    endpoint = StableEndpoint(new_stack(), "Summaries", base_model_id=TITAN)
    assert endpoint.endpoint_kind == "provisioned-throughput"


def test_a_forced_kind_the_model_does_not_allow_fails_with_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"kind 'deployment' is not allowed .* allowed provisioned-throughput"):
        StableEndpoint(new_stack(), "Summaries", base_model_id=TITAN, kind=EndpointKind.DEPLOYMENT)


def test_an_unknown_kind_fails_with_the_kinds() -> None:
    with pytest.raises(ValueError, match="kind must be one of auto, deployment, provisioned-throughput, got 'ec2'"):
        StableEndpoint(new_stack(), "Chat", base_model_id=NOVA, kind="ec2")


def test_an_unknown_base_model_fails_with_suggestions() -> None:
    with pytest.raises(ValueError, match=r"base_model_id .amazon\.nova-micro. is not a known Bedrock foundation model"):
        StableEndpoint(new_stack(), "Chat", base_model_id="amazon.nova-micro")


def test_a_committed_throughput_needs_the_cost_acknowledgment() -> None:
    with pytest.raises(ValueError, match=r"commitment OneMonth buys 1 model unit.*acknowledge_commitment_cost=True"):
        StableEndpoint(new_stack(), "Summaries", base_model_id=TITAN, commitment="OneMonth")


def test_an_acknowledged_committed_throughput_says_the_stack_will_keep_it() -> None:
    stack = new_stack()
    StableEndpoint(stack, "Summaries", base_model_id=TITAN, commitment="OneMonth", acknowledge_commitment_cost=True)
    outputs = Template.from_stack(stack).find_outputs("*", {"Value": Match.string_like_regexp("never deleted")})
    assert len(outputs) == 1


def test_a_commitment_on_a_deployment_is_refused() -> None:
    with pytest.raises(ValueError, match="commitment OneMonth applies to provisioned throughput only"):
        StableEndpoint(new_stack(), "Chat", base_model_id=NOVA, commitment="OneMonth", acknowledge_commitment_cost=True)


def test_model_units_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="model_units must be an integer >= 1, got 0"):
        StableEndpoint(new_stack(), "Summaries", base_model_id=TITAN, model_units=0)


def test_the_record_parameter_is_named_in_an_output_and_starts_empty() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    template = Template.from_stack(stack)
    (parameter,) = template.find_resources("AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == endpoint.parameter_name
    assert json.loads(parameter["Properties"]["Value"])["endpointArn"] is None
    assert template.find_outputs("*", {"Value": endpoint.parameter_name})


def test_the_clean_up_resource_depends_on_the_record_so_that_it_is_deleted_first() -> None:
    stack = new_stack()
    StableEndpoint(stack, "Chat", base_model_id=NOVA)
    template = Template.from_stack(stack)
    (parameter_id,) = template.find_resources("AWS::SSM::Parameter")
    resources = template.to_json()["Resources"]
    (resource,) = [r for r in resources.values() if r["Type"] == "Custom::BedrockStableEndpoint"]
    assert parameter_id in resource["DependsOn"]


def test_the_promoter_of_a_deployment_may_touch_only_tagged_deployments_and_never_delete_models_by_default() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    statements = policy_statements(Template.from_stack(stack), "ChatPromoterOnEventRole")
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "bedrock:CreateCustomModelDeployment" in actions and "bedrock:DeleteCustomModelDeployment" in actions
    assert "bedrock:DeleteCustomModel" not in actions
    assert not any("ProvisionedModelThroughput" in a for a in actions)
    deletes = [s for s in statements if "bedrock:DeleteCustomModelDeployment" in s["Action"]]
    assert deletes[0]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/bedrock-ops:stable-endpoint": endpoint.parameter_name}
    }


def test_destroy_lets_the_promoter_delete_custom_models() -> None:
    stack = new_stack()
    StableEndpoint(stack, "Chat", base_model_id=NOVA, custom_model_removal_policy=RemovalPolicy.DESTROY)
    statements = policy_statements(Template.from_stack(stack), "ChatPromoterOnEventRole")
    assert any("bedrock:DeleteCustomModel" in s["Action"] for s in statements)
    Template.from_stack(stack).has_resource_properties(
        "Custom::BedrockStableEndpoint", {"CustomModelRemovalPolicy": "destroy"}
    )


def test_grant_invoke_is_narrowed_to_the_endpoints_tag() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Summaries", base_model_id=TITAN)
    role = iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoint.grant_invoke(role)
    (statement,) = policy_statements(Template.from_stack(stack), "App")
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert ":provisioned-model/*" in json.dumps(statement["Resource"])
    assert statement["Condition"]["StringEquals"] == {
        "aws:ResourceTag/bedrock-ops:stable-endpoint": endpoint.parameter_name
    }


def test_metrics_need_no_literal_endpoint_id() -> None:
    endpoint = StableEndpoint(new_stack(), "Chat", base_model_id=NOVA)
    expression = endpoint.metric_invocation_server_errors().expression
    assert expression.startswith('SELECT SUM(InvocationServerErrors) FROM "AWS/Bedrock" GROUP BY ModelId')
    assert endpoint.metric_invocation_latency().expression.startswith("SELECT AVG(InvocationLatency)")


def test_from_parameter_name_grants_and_reads_the_record() -> None:
    stack = new_stack()
    imported = StableEndpoint.from_parameter_name(stack, "Chat", "/bedrock-ops/stable-endpoints/chat")
    role = iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_invoke(role)
    imported.grant_read_record(role)
    statements = policy_statements(Template.from_stack(stack), "App")
    assert ":custom-model-deployment/*" in json.dumps(statements)
    assert any("ssm:GetParameter" in s["Action"] for s in statements)


def test_from_parameter_name_refuses_a_name_that_is_not_a_parameter_path() -> None:
    with pytest.raises(ValueError, match="starting with '/'"):
        StableEndpoint.from_parameter_name(new_stack(), "Chat", "chat")


def test_the_promotion_chain_promotes_waits_and_notifies() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    chain = endpoint.promotion_chain(stack, "Serve", model_arn_path="$.report.customModelArn", max_polls=5)
    machine = sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    definition = json.dumps(stack.resolve(machine.node.default_child.definition_string))  # type: ignore[union-attr]
    for state in ("Promote", "WaitForEndpoint", "EndpointStatus", "EndpointActive?", "PromotionFailed"):
        assert f'\\"{state}\\"' in definition
    assert "$.report.customModelArn" in definition and "NotifyPromotion" in definition
    assert [s.id for s in chain.end_states] == ["NotifyPromotion"]  # type: ignore[attr-defined]


def test_max_polls_out_of_range_is_refused() -> None:
    endpoint = StableEndpoint(new_stack(), "Chat", base_model_id=NOVA)
    with pytest.raises(ValueError, match="max_polls must be 1-1000, got 0"):
        endpoint.promotion_chain(endpoint, "Serve", model_arn_path="$.m", max_polls=0)


def test_the_stable_endpoint_is_nag_clean() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    endpoint.grant_invoke(iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    assert nag_findings(stack) == []


def test_the_default_topic_uses_the_aws_managed_sns_key_so_the_callers_state_machine_can_publish() -> None:
    # SnsPublish grants sns:Publish only; with a customer managed key the notice would fail with KMS AccessDenied.
    stack = new_stack()
    StableEndpoint(stack, "Chat", base_model_id=NOVA)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.string_like_regexp("alias/aws/sns")})
    template.resource_count_is("AWS::KMS::Key", 0)


def test_a_models_file_that_breaks_the_promotion_rules_fails_the_synth(tmp_path: Path) -> None:
    models_file = tmp_path / "models.json"
    models_file.write_text(json.dumps({"promotion": {"deployment_statuses": {"Active": "Running"}}}))
    with pytest.raises(ValueError, match=r"promotion group is incomplete or wrong"):
        StableEndpoint(new_stack(), "Chat", base_model_id=NOVA, models_file=models_file)


def test_a_workflow_refuses_a_stable_endpoint_of_another_base_model() -> None:
    from bedrock_ops import CustomizationType, ModelCustomizationWorkflow, TrainingDataBucket
    from tests.support import new_stack

    stack = new_stack()
    endpoint = StableEndpoint(stack, "Titan", base_model_id="amazon.titan-text-express-v1")
    with pytest.raises(ValueError, match=r"serving: .*amazon\.titan-text-express-v1.*amazon\.nova-micro-v1:0"):
        ModelCustomizationWorkflow(
            stack,
            "Chat",
            base_model_id="amazon.nova-micro-v1:0",
            customization_type=CustomizationType.FINE_TUNING,
            data_bucket=TrainingDataBucket(stack, "Data"),
            training_data_key="training/chat/train.jsonl",
            custom_model_name="chat",
            serving=endpoint,
            start_on_deploy=False,
        )


# ------------------------------------------------------------------------------------------ evaluation gate


def _gate(stack: Any, must_beat_current: bool = True) -> Any:
    from bedrock_ops import BuiltinDataset, EvaluationDataset, EvaluationGate, TrainingDataBucket

    return EvaluationGate(
        stack,
        "Gate",
        datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)],
        thresholds={"Builtin.Accuracy": 0.6},
        output_bucket=TrainingDataBucket(stack, "Data").bucket,
        must_beat_current=must_beat_current,
    )


def _definition(stack: Any, chain: sfn.IChainable) -> dict[str, Any]:
    machine = sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    parts = stack.resolve(machine.node.default_child.definition_string)["Fn::Join"][1]  # type: ignore[union-attr]
    return dict(json.loads("".join(p if isinstance(p, str) else "ARN" for p in parts)))


def test_an_evaluation_gate_needs_the_candidate_cost_acknowledgment_and_says_the_estimate() -> None:
    stack = new_stack()
    with pytest.raises(ValueError) as error:
        StableEndpoint(stack, "Chat", base_model_id=NOVA, evaluation_gate=_gate(stack))
    message = str(error.value)
    assert message.startswith("Test/Chat: evaluation_gate evaluates every new model on a candidate provisioned")
    assert "1 model unit(s), no commitment" in message and "/hour" in message
    assert "for the gate's timeout of 24 hours" in message
    assert "evaluation_results.evaluable_model_resources" in message
    assert message.endswith("serving.acknowledge_candidate_cost: true) to proceed.")


def test_a_gated_endpoint_has_a_no_commitment_candidate_throughput_sharing_its_topic() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(
        stack,
        "Chat",
        base_model_id=NOVA,
        endpoint_name="desk-chat",
        evaluation_gate=_gate(stack),
        candidate_model_units=2,
        acknowledge_candidate_cost=True,
    )
    candidate = endpoint.candidate
    assert candidate is not None and candidate.evaluation_gate is None
    assert (candidate.endpoint_kind, candidate.commitment.value) == ("provisioned-throughput", "NoCommitment")
    assert (candidate.endpoint_name, candidate.model_units, candidate.topic) == (
        "desk-chat-candidate",
        2,
        endpoint.topic,
    )
    Template.from_stack(stack).resource_count_is("Custom::BedrockStableEndpoint", 2)


def test_the_gated_chain_evaluates_on_the_candidate_releases_it_on_every_path_and_then_promotes() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(
        stack, "Chat", base_model_id=NOVA, evaluation_gate=_gate(stack), acknowledge_candidate_cost=True
    )
    chain = endpoint.promotion_chain(stack, "Serve", model_arn_path="$.report.customModelArn")
    assert sorted(s.id for s in chain.end_states) == ["NotifyNotPromoted", "NotifyPromotion"]  # type: ignore[attr-defined]
    states = _definition(stack, chain)["States"]
    evaluate = states["EvaluateCandidate"]
    assert evaluate["Type"] == "Parallel" and evaluate["ResultPath"] == "$.evaluation"
    assert evaluate["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.evaluationError", "Next": "ReleaseCandidateAfterError"}
    ]
    (branch,) = evaluate["Branches"]
    assert branch["StartAt"] == "CandidatePromote"
    assert branch["States"]["ReadServingRecord"]["Next"] == "GateStart"  # must_beat_current reads the record
    gate_start = json.dumps(branch["States"]["GateStart"]["Parameters"])
    assert '"modelArn.$": "$.promotionStatus.endpointArn"' in gate_start  # the candidate throughput, not the model
    assert states["KeepEvaluation"]["Next"] == "ReleaseCandidate"
    assert states["ReleaseCandidate"]["Next"] == "PromoteCandidate?"
    for release in ("ReleaseCandidate", "ReleaseCandidateAfterError"):
        # Only this execution's candidate: a release never deletes what another execution evaluates on.
        assert states[release]["Parameters"] == {"action": "release", "owner.$": "$$.Execution.Id"}
    assert branch["States"]["CandidatePromote"]["Parameters"]["owner.$"] == "$$.Execution.Id"
    assert states["ReleaseCandidateAfterError"]["Next"] == "CandidateEvaluationFailed"
    choice = states["PromoteCandidate?"]
    assert choice["Choices"][0] == {"Variable": "$.evaluation.gate.passed", "BooleanEquals": True, "Next": "Promote"}
    assert choice["Default"] == "NotifyNotPromoted"
    assert states["Promote"]["Parameters"]["scores.$"] == "$.evaluation.gate.scores"


def test_without_must_beat_current_the_gated_chain_does_not_read_the_record() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(
        stack, "Chat", base_model_id=NOVA, evaluation_gate=_gate(stack, False), acknowledge_candidate_cost=True
    )
    (branch,) = _definition(stack, endpoint.promotion_chain(stack, "Serve", model_arn_path="$.m"))["States"][
        "EvaluateCandidate"
    ]["Branches"]
    assert "ReadServingRecord" not in branch["States"]
    assert branch["States"]["CandidateEndpointReady"]["Next"] == "GateStart"


def test_scores_path_is_refused_with_a_gate_whose_scores_are_recorded() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(
        stack, "Chat", base_model_id=NOVA, evaluation_gate=_gate(stack), acknowledge_candidate_cost=True
    )
    with pytest.raises(ValueError, match="scores_path: with an evaluation_gate the recorded scores are the gate's"):
        endpoint.promotion_chain(stack, "Serve", model_arn_path="$.m", scores_path="$.s")


def test_a_gate_that_is_not_an_evaluation_gate_is_refused() -> None:
    with pytest.raises(TypeError, match="evaluation_gate must be an EvaluationGate, got str"):
        StableEndpoint(new_stack(), "Chat", base_model_id=NOVA, evaluation_gate="gate", acknowledge_candidate_cost=True)  # type: ignore[arg-type]


def test_a_knowledge_base_in_which_no_throughput_is_evaluable_refuses_the_gate(tmp_path: Path) -> None:
    models_file = tmp_path / "models.json"
    models_file.write_text(json.dumps({"evaluation_results": {"evaluable_model_resources": ["foundation-model"]}}))
    stack = new_stack()
    with pytest.raises(ValueError, match=r"evaluable_model_resources: foundation-model; a trained model is evaluated"):
        StableEndpoint(
            stack,
            "Chat",
            base_model_id=NOVA,
            evaluation_gate=_gate(stack),
            acknowledge_candidate_cost=True,
            models_file=models_file,
        )


def test_state_prefix_lets_two_promotion_chains_share_a_state_machine() -> None:
    stack = new_stack()
    first = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    second = StableEndpoint(stack, "Summaries", base_model_id=TITAN)
    chain = first.promotion_chain(stack, "ServeChat", model_arn_path="$.chat").next(
        second.promotion_chain(stack, "ServeSummaries", model_arn_path="$.summaries", state_prefix="Summaries")
    )
    states = _definition(stack, chain)["States"]
    assert {"Promote", "SummariesPromote", "NotifyPromotion", "SummariesNotifyPromotion"} <= set(states)
    assert states["NotifyPromotion"]["Next"] == "SummariesPromote"


def test_notify_false_ends_the_chain_at_endpoint_ready() -> None:
    stack = new_stack()
    chain = StableEndpoint(stack, "Chat", base_model_id=NOVA).promotion_chain(
        stack, "Serve", model_arn_path="$.m", notify=False
    )
    states = _definition(stack, chain)["States"]
    assert "NotifyPromotion" not in states and states["EndpointReady"]["Type"] == "Pass"


def test_a_workflow_with_a_gated_endpoint_releases_the_candidate_when_an_execution_stops_and_is_nag_clean() -> None:
    from bedrock_ops import CustomizationType, ModelCustomizationWorkflow

    stack = new_stack()
    endpoint = StableEndpoint(
        stack, "Chat", base_model_id=NOVA, evaluation_gate=_gate(stack), acknowledge_candidate_cost=True
    )
    ModelCustomizationWorkflow(
        stack,
        "Desk",
        base_model_id=NOVA,
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=endpoint.evaluation_gate.output_bucket,  # type: ignore[union-attr]
        training_data_key="training/desk/train.jsonl",
        custom_model_name="desk",
        serving=endpoint,
        start_on_deploy=False,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.states"],
                "detail": {"status": ["ABORTED", "TIMED_OUT", "FAILED"], "stateMachineArn": Match.any_value()},
            },
            "Targets": [
                Match.object_like(
                    {
                        "InputTransformer": {
                            "InputPathsMap": {"detail-executionArn": "$.detail.executionArn"},
                            "InputTemplate": '{"action":"release","owner":<detail-executionArn>}',
                        }
                    }
                )
            ],
        },
    )
    assert nag_findings(stack) == []


def test_release_candidate_on_stop_without_a_gate_makes_no_rule() -> None:
    stack = new_stack()
    endpoint = StableEndpoint(stack, "Chat", base_model_id=NOVA)
    machine = sfn.StateMachine(stack, "M", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P")))
    assert endpoint.release_candidate_on_stop(machine) is None
    Template.from_stack(stack).resource_count_is("AWS::Events::Rule", 0)


def test_an_acknowledged_gate_says_at_synth_what_each_evaluation_costs() -> None:
    from aws_cdk.assertions import Annotations

    stack = new_stack()
    StableEndpoint(
        stack,
        "Chat",
        base_model_id=NOVA,
        endpoint_name="desk-chat",
        evaluation_gate=_gate(stack),
        acknowledge_candidate_cost=True,
    )
    (info,) = Annotations.from_stack(stack).find_info("*", Match.string_like_regexp("candidate provisioned"))
    assert str(info.entry.data).startswith("desk-chat: each evaluation buys a candidate provisioned throughput")
    assert "/hour" in str(info.entry.data)


def test_the_stop_rule_lives_in_the_state_machines_stack_so_that_stacks_do_not_depend_on_each_other() -> None:
    from aws_cdk import App, Environment, Stack

    from bedrock_ops import CustomizationType, ModelCustomizationWorkflow, TrainingDataBucket
    from tests.support import ACCOUNT, REGION

    serving = new_stack("Serving")
    app = serving.node.root
    assert isinstance(app, App)
    training = Stack(app, "Training", env=Environment(account=ACCOUNT, region=REGION))
    endpoint = StableEndpoint(
        serving, "Chat", base_model_id=NOVA, evaluation_gate=_gate(serving), acknowledge_candidate_cost=True
    )
    ModelCustomizationWorkflow(
        training,
        "Desk",
        base_model_id=NOVA,
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=TrainingDataBucket(training, "Data"),
        training_data_key="training/desk/train.jsonl",
        custom_model_name="desk",
        serving=endpoint,
        start_on_deploy=False,
    )
    assembly = app.synth()
    stacks_depended_on = {d.id for d in assembly.get_stack_artifact(training.artifact_id).dependencies}
    assert "Serving" in stacks_depended_on
    assert "Training" not in {d.id for d in assembly.get_stack_artifact(serving.artifact_id).dependencies}
    Template.from_stack(serving).resource_count_is("AWS::Events::Rule", 0)
    Template.from_stack(training).resource_count_is("AWS::Lambda::Permission", 1)

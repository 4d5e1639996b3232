"""ModelCustomizationWorkflow: the state machine's Bedrock request, IAM, alarm, events and trigger."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops.customization.workflow import (
    CustomizationHyperparameters,
    ModelCustomizationWorkflow,
)
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.models import CustomizationType
from tests.support import nag_findings, new_stack


class Built:
    """One synthesized stack and the pieces the tests look at."""

    def __init__(self, stack: Stack, workflow: ModelCustomizationWorkflow) -> None:
        self.stack = stack
        self.workflow = workflow
        self.template = Template.from_stack(stack)
        machines = self.template.find_resources("AWS::StepFunctions::StateMachine")
        (machine,) = machines.values()
        self.definition: dict[str, Any] = json.loads(_render(stack.resolve(machine["Properties"]["DefinitionString"])))
        self.states: dict[str, Any] = self.definition["States"]


def _render(value: Any) -> str:
    """Flatten an Fn::Join definition, writing tokens as ${Ref}/${Logical.Attr} placeholders."""
    if isinstance(value, str):
        return value
    assert isinstance(value, dict)
    if "Fn::Join" in value:
        return "".join(_render(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return json.dumps(value)


def _fine_tuning(**overrides: Any) -> Built:
    stack = new_stack("Customization")
    data = TrainingDataBucket(stack, "Data")
    key = BedrockKmsKey(stack, "ModelKey")
    validator = HandlerFunction(  # a stand-in: any Lambda answering {"status": ...}
        stack, "Validator", handler="customization_status", entry="index.handler", description="validator"
    ).function
    props: dict[str, Any] = {
        "base_model_id": "amazon.titan-text-express-v1",
        "customization_type": CustomizationType.FINE_TUNING,
        "data_bucket": data,
        "training_data_key": "training/chat/train.jsonl",
        "validation_data_keys": ["validation/chat/validation.jsonl"],
        "custom_model_name": "chat-model",
        "hyperparameters": CustomizationHyperparameters(epoch_count=2, batch_size=1, learning_rate=0.00001),
        "custom_model_key": key,
        "tags": {"team": "ml"},
        "dataset_validator": validator,
        "success_hooks": [sfn.Pass(stack, "ProvisionThroughputHook", result_path=sfn.JsonPath.DISCARD)],
    }
    props.update(overrides)
    workflow = ModelCustomizationWorkflow(stack, "Chat", **props)
    return Built(stack, workflow)


@pytest.fixture(scope="module")
def built() -> Built:
    return _fine_tuning()


def test_create_job_uses_the_sync_integration(built: Built) -> None:
    assert built.states["CreateJob"]["Resource"] == "arn:aws:states:::bedrock:createModelCustomizationJob.sync"


def test_create_job_sends_the_base_model_type_and_data_locations(built: Built) -> None:
    params = built.states["CreateJob"]["Parameters"]

    assert params["BaseModelIdentifier"] == "amazon.titan-text-express-v1:0:8k"  # the fine-tuning table's id
    assert params["CustomizationType"] == "FINE_TUNING"
    assert re.fullmatch(r"s3://\$\{Data\w+\}/training/chat/train.jsonl", params["TrainingDataConfig"]["S3Uri"])
    validators = params["ValidationDataConfig"]["Validators"]
    assert [v["S3Uri"].split("/", 3)[3] for v in validators] == ["validation/chat/validation.jsonl"]
    assert params["OutputDataConfig"]["S3Uri"].endswith("/chat-model/")


def test_job_and_model_names_come_from_the_execution_input(built: Built) -> None:
    params = built.states["CreateJob"]["Parameters"]

    assert params["JobName.$"] == "$.jobName"
    assert params["CustomModelName.$"] == "$.customModelName"


def test_hyperparameters_are_sent_as_api_named_strings(built: Built) -> None:
    params = built.states["CreateJob"]["Parameters"]

    assert params["HyperParameters"] == {"epochCount": "2", "batchSize": "1", "learningRate": "1e-05"}


def test_create_job_passes_the_service_role(built: Built) -> None:
    role_arn = built.states["CreateJob"]["Parameters"]["RoleArn"]

    assert re.fullmatch(r"\$\{ChatServiceRole\w+\.Arn\}", role_arn)


def test_state_machine_may_pass_only_the_service_role_to_bedrock(built: Built) -> None:
    role_arn = built.states["CreateJob"]["Parameters"]["RoleArn"]
    logical_id = role_arn[2:-1].split(".")[0]

    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "iam:PassRole", "Resource": {"Fn::GetAtt": [logical_id, "Arn"]}})]
                )
            }
        },
    )


def test_state_machine_role_can_create_poll_and_stop_jobs(built: Built) -> None:
    policies = built.template.find_resources("AWS::IAM::Policy")
    actions = {
        action
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }

    assert {
        "bedrock:CreateModelCustomizationJob",
        "bedrock:GetModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
    } <= actions


def test_custom_model_key_and_tags_are_sent(built: Built) -> None:
    params = built.states["CreateJob"]["Parameters"]

    assert params["CustomModelKmsKeyId"].startswith("${ModelKey")
    assert params["JobTags"] == [{"Key": "team", "Value": "ml"}]
    assert params["CustomModelTags"] == [{"Key": "team", "Value": "ml"}]


def test_dataset_validation_runs_before_the_job(built: Built) -> None:
    start = built.states[built.definition["StartAt"]]
    validate = built.states[start["Next"]]

    assert validate["Parameters"]["detail"]["object"] == {"key": "training/chat/train.jsonl"}
    assert validate["Catch"][0]["Next"] == "DescribeJobResult"
    assert built.states[validate["Next"]]["Default"] == "CreateJob"


def test_an_invalid_dataset_report_fails_the_workflow_before_the_job(built: Built) -> None:
    choice = built.states["DatasetValid"]
    (rule,) = choice["Choices"]
    invalid = built.states[rule["Next"]]

    assert rule["Or"] == [
        {
            "And": [
                {"Variable": "$.validation.valid", "IsPresent": True},
                {"Variable": "$.validation.valid", "BooleanEquals": False},
            ]
        },
        {
            "And": [
                {"Variable": "$.validation.status", "IsPresent": True},
                {
                    "Or": [
                        {"Variable": "$.validation.status", "StringEquals": "failed"},
                        {"Variable": "$.validation.status", "StringEquals": "missing"},
                    ]
                },
            ]
        },
    ]
    assert invalid["Parameters"] == {
        "Error": "DatasetInvalid",
        "Cause.$": "States.JsonToString($.validation)",
    }
    assert invalid["ResultPath"] == "$.error"
    assert invalid["Next"] == "DescribeJobResult"


def test_only_throttling_of_the_create_call_is_retried(built: Built) -> None:
    (retry,) = built.states["CreateJob"]["Retry"]

    assert retry["ErrorEquals"] == ["Bedrock.ThrottlingException"]
    assert retry["MaxAttempts"] == 4


def test_a_failed_create_job_is_caught_and_described(built: Built) -> None:
    catch = built.states["CreateJob"]["Catch"]

    assert catch == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DescribeJobResult"}]


def test_failure_choice_notifies_with_the_failure_message_then_fails(built: Built) -> None:
    choice = built.states["JobCompleted"]

    assert [(c["Variable"], c["BooleanEquals"]) for c in choice["Choices"]] == [("$.report.succeeded", True)]
    failure = built.states[choice["Default"]]
    assert failure["Resource"].endswith(":states:::sns:publish")
    assert failure["Parameters"]["Message.$"] == "$.report.message"
    assert built.states[failure["Next"]] == {
        "Type": "Fail",
        "Error": "CustomizationFailed",
        "CausePath": "$.report.failureMessage",
    }


def test_success_hooks_run_before_the_success_notification(built: Built) -> None:
    success = built.states["JobCompleted"]["Choices"][0]["Next"]

    assert success == "ProvisionThroughputHook"
    assert built.states[built.states[success]["Next"]]["Resource"].endswith(":states:::sns:publish")


def test_state_machine_is_standard_with_all_logging_and_tracing(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
        },
    )


def test_alarm_fires_on_failed_or_timed_out_executions(built: Built) -> None:
    alarms = built.template.find_resources("AWS::CloudWatch::Alarm")
    (alarm,) = alarms.values()
    metrics = alarm["Properties"]["Metrics"]

    expression = next(m["Expression"] for m in metrics if "Expression" in m)
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
    assert expression == "failed + timedOut"
    assert names == {"ExecutionsFailed", "ExecutionsTimedOut"}
    assert alarm["Properties"]["Threshold"] == 1
    (action,) = alarm["Properties"]["AlarmActions"]
    assert action["Ref"].startswith("ChatNotifications")


def test_job_state_change_events_of_this_workflow_go_to_the_topic(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.bedrock"],
                "detail-type": ["Model Customization Job State Change"],
                "detail": {"jobName": [{"prefix": f"{built.workflow.job_name_prefix}-"}]},
            },
            "Targets": [Match.object_like({"Arn": {"Ref": Match.string_like_regexp("ChatNotifications")}})],
        },
    )


def test_trigger_hashes_the_definition_and_keeps_models_by_default(built: Built) -> None:
    resources = built.template.find_resources("Custom::BedrockModelCustomization")
    (trigger,) = resources.values()
    props = trigger["Properties"]

    assert props["RemovalPolicy"] == "retain"
    assert props["JobNamePrefix"] == built.workflow.job_name_prefix
    assert props["Definition"]["HyperParameters"] == {
        "epochCount": "2",
        "batchSize": "1",
        "learningRate": "1e-05",
    }
    assert [o["Key"] for o in props["DataObjects"]] == [
        "training/chat/train.jsonl",
        "validation/chat/validation.jsonl",
    ]


def test_job_name_prefix_leaves_room_for_the_hash(built: Built) -> None:
    assert len(built.workflow.job_name_prefix) <= 50


def test_nag_reports_nothing_unacknowledged(built: Built) -> None:
    assert nag_findings(built.stack) == []


def test_cfn_lint_reports_nothing(built: Built) -> None:
    from cfnlint.api import lint_all

    matches = lint_all(json.dumps(built.template.to_json()))

    # W3005: CDK's own redundant DependsOn beside a GetAtt (see BEDROCK_FACTS, .cfnlintrc).
    assert [str(m) for m in matches if m.rule.id[0] in "EW" and m.rule.id != "W3005"] == []


def test_distillation_sends_the_teacher_model_config() -> None:
    built = _fine_tuning(
        base_model_id="amazon.nova-micro-v1:0",
        customization_type=CustomizationType.DISTILLATION,
        teacher_model_id="amazon.nova-pro-v1:0",
        max_response_length=1000,
        hyperparameters=None,
        validation_data_keys=[],
    )

    params = built.states["CreateJob"]["Parameters"]
    assert params["CustomizationType"] == "DISTILLATION"
    assert params["CustomizationConfig"] == {
        "DistillationConfig": {
            "TeacherModelConfig": {
                "TeacherModelIdentifier": "amazon.nova-pro-v1:0",
                "MaxResponseLengthForInference": 1000,
            }
        }
    }


def test_destroy_policy_lets_the_trigger_delete_custom_models() -> None:
    built = _fine_tuning(removal_policy=RemovalPolicy.DESTROY)

    (trigger,) = built.template.find_resources("Custom::BedrockModelCustomization").values()
    assert trigger["Properties"]["RemovalPolicy"] == "destroy"
    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Action": "bedrock:DeleteCustomModel"})])
            }
        },
    )


def test_vpc_job_sends_subnets_and_a_security_group_and_stays_nag_clean() -> None:
    from aws_cdk import aws_ec2 as ec2

    stack = new_stack("VpcCustomization")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["us-east-1a", "us-east-1b"],
        private_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    )
    workflow = ModelCustomizationWorkflow(
        stack,
        "Chat",
        base_model_id="amazon.titan-text-express-v1",
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=TrainingDataBucket(stack, "Data"),
        training_data_key="training/chat/train.jsonl",
        custom_model_name="chat-model",
        vpc=vpc,
    )
    built = Built(stack, workflow)

    vpc_config = built.states["CreateJob"]["Parameters"]["VpcConfig"]
    assert vpc_config["SubnetIds"] == ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    assert len(vpc_config["SecurityGroupIds"]) == 1
    built.template.resource_count_is("AWS::EC2::SecurityGroup", 1)
    assert nag_findings(stack) == []


def test_training_data_outside_the_training_prefixes_is_refused() -> None:
    stack = new_stack("BadPrefix")
    with pytest.raises(ValueError, match=r"training_data_key must be under the bucket's 'training/' or"):
        ModelCustomizationWorkflow(
            stack,
            "Chat",
            base_model_id="amazon.titan-text-express-v1",
            customization_type=CustomizationType.FINE_TUNING,
            data_bucket=TrainingDataBucket(stack, "Data"),
            training_data_key="uploads/train.jsonl",
            custom_model_name="chat-model",
        )


@pytest.fixture(scope="module")
def data_triggered() -> Built:
    return _fine_tuning(start_on_new_data=True, removal_policy=RemovalPolicy.DESTROY)


def test_validated_training_data_events_invoke_the_data_trigger(data_triggered: Built) -> None:
    data_triggered.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Tags Added"],
                "detail": {"object": {"key": ["training/chat/train.jsonl"]}, "bucket": {"name": Match.any_value()}},
            },
            "Targets": [
                Match.object_like({"Arn": {"Fn::GetAtt": [Match.string_like_regexp("ChatDataTrigger"), "Arn"]}})
            ],
        },
    )


def test_data_trigger_hashes_the_same_definition_as_the_deploy_trigger(data_triggered: Built) -> None:
    functions = data_triggered.template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "index.on_data_event"}}
    )
    (function,) = functions.values()
    (trigger,) = data_triggered.template.find_resources("Custom::BedrockModelCustomization").values()
    environment = function["Properties"]["Environment"]["Variables"]

    definition = json.loads(_render(data_triggered.stack.resolve(environment["DEFINITION"])))
    assert definition["HyperParameters"] == trigger["Properties"]["Definition"]["HyperParameters"]
    assert environment["JOB_NAME_PREFIX"] == trigger["Properties"]["JobNamePrefix"]


def test_data_trigger_and_destroy_policy_stay_nag_clean(data_triggered: Built) -> None:
    assert nag_findings(data_triggered.stack) == []

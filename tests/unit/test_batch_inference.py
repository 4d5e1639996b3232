"""``BatchInference``: the service role, the workflow's ASL and IAM, cdk-nag and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template
from policy_sentry.querying.actions import get_action_data

from bedrock_ops import BatchInference, TrainingDataBucket
from tests.support import ACCOUNT, REGION, nag_findings, new_stack, run_cfn_lint

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA_PROFILE = "us.amazon.nova-micro-v1:0"


def _stack(**props: Any) -> tuple[Stack, BatchInference]:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    batch = BatchInference(stack, "Batch", bucket=data.bucket, models=[HAIKU, NOVA_PROFILE], **props)
    return stack, batch


@pytest.fixture(scope="module")
def synthesized() -> tuple[Stack, Template]:
    stack, _ = _stack(job_timeout_hours=48)
    return stack, Template.from_stack(stack)


def _definition(template: Template) -> dict[str, Any]:
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else json.dumps(p).replace('"', "'") for p in parts)
    definition: dict[str, Any] = json.loads(text)
    return definition


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if logical_id.startswith(role_prefix):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def test_service_role_is_trusted_by_bedrock_for_this_accounts_batch_jobs(synthesized: tuple[Stack, Template]) -> None:
    _, template = synthesized
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "bedrock.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": ACCOUNT},
                            "ArnEquals": {
                                "aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*"
                            },
                        },
                    }
                ]
            }
        },
    )


def test_service_role_reads_input_prefix_writes_output_prefix_only(synthesized: tuple[Stack, Template]) -> None:
    _, template = synthesized
    statements = {s.get("Sid"): s for s in _statements(template, "BatchServiceRole")}
    assert statements["ReadBatchInput"]["Action"] == "s3:GetObject"
    assert statements["ReadBatchInput"]["Resource"]["Fn::Join"][1][1] == "/batch/input/*"
    assert statements["WriteBatchOutput"]["Action"] == "s3:PutObject"
    assert statements["WriteBatchOutput"]["Resource"]["Fn::Join"][1][1] == "/batch/output/*"
    assert statements["ListBatchPrefixes"]["Condition"] == {
        "StringLike": {"s3:prefix": ["batch/input/*", "batch/output/*"]}
    }
    kms = [s for s in statements.values() if str(s["Action"]).startswith("['kms") or "kms:Decrypt" in s["Action"]]
    assert kms and sorted(kms[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_workflow_starts_the_job_through_the_sdk_integration_and_polls(synthesized: tuple[Stack, Template]) -> None:
    _, template = synthesized
    states = _definition(template)["States"]
    create = states["CreateModelInvocationJob"]
    assert create["Resource"].endswith(":states:::aws-sdk:bedrock:createModelInvocationJob")
    assert not create["Resource"].endswith(".sync")
    assert create["Parameters"]["TimeoutDurationInHours"] == 48
    assert create["Parameters"]["InputDataConfig"]["S3InputDataConfig"] == {
        "S3Uri.$": "$.inputUri",
        "S3InputFormat": "JSONL",
    }
    assert "$$.Execution.Name" in create["Parameters"]["OutputDataConfig"]["S3OutputDataConfig"]["S3Uri.$"]
    assert create["Retry"][0]["ErrorEquals"] == ["Bedrock.ThrottlingException"]
    assert states["GetModelInvocationJob"]["Resource"].endswith(":states:::aws-sdk:bedrock:getModelInvocationJob")
    assert states["WaitForJob"] == {"Type": "Wait", "Seconds": 300, "Next": "GetModelInvocationJob"}
    running = {c["StringEquals"] for c in states["Ended?"]["Choices"][1]["Or"]}
    assert running == {"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"}
    assert states["Ended?"]["Default"] == "Report"
    assert states["Report"]["Parameters"]["job.$"] == "$.describe"  # the counts travel in the report
    assert states["Notify"]["Parameters"]["Message.$"] == "States.JsonToString($.report)"
    ok = {c["StringEquals"] for c in states["Succeeded?"]["Choices"][0]["Or"]}
    assert ok == {"Completed", "PartiallyCompleted"}
    assert states["Succeeded?"]["Default"] == "JobFailed"


def test_workflow_role_is_scoped_to_the_models_and_jobs(synthesized: tuple[Stack, Template]) -> None:
    _, template = synthesized
    statements = _statements(template, "BatchStateMachineRole")
    create = next(s for s in statements if s["Action"] == "bedrock:CreateModelInvocationJob")
    assert sorted(create["Resource"]) == sorted(
        [
            f"arn:aws:bedrock:{REGION}::foundation-model/{HAIKU}",
            "arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0",
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*",
        ]
    )
    passrole = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def _resource_types(service: str, action: str) -> list[str]:
    return [row["resource_arn_format"] for row in get_action_data(service, action)[service]]


def _matches(arn_format: str, arn: str) -> bool:
    import re

    pattern = re.escape(arn_format)
    for placeholder in ("Partition", "Region", "Account", "ResourceId", "JobIdentifier", "RoleNameWithPath"):
        pattern = pattern.replace(re.escape(f"${{{placeholder}}}"), ".*")
    return re.fullmatch(pattern, arn) is not None


def test_every_bedrock_action_and_resource_is_in_the_service_authorization_reference(
    synthesized: tuple[Stack, Template],
) -> None:
    _, template = synthesized
    checked = 0
    for statement in _statements(template, "Batch"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            service, name = action.split(":")
            if service != "bedrock":
                continue
            formats = _resource_types(service, name)
            assert formats, f"{action} is not in the Service Authorization Reference"
            for resource in resources:
                assert isinstance(resource, str)
                assert any(_matches(f, resource) for f in formats if f != "*"), (action, resource, formats)
                checked += 1
    assert checked == 4


def test_nag_and_cfn_lint_are_clean(synthesized: tuple[Stack, Template], tmp_path: Path) -> None:
    stack, template = synthesized
    assert nag_findings(stack) == []
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(template.to_json()), encoding="utf-8")
    result = run_cfn_lint(path)
    assert (result.returncode, result.stdout) == (0, "")


def test_vpc_jobs_get_vpc_config_and_tag_gated_interfaces() -> None:
    stack = new_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="jobs", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    group = ec2.SecurityGroup(stack, "Jobs", vpc=vpc)
    data = TrainingDataBucket(stack, "Data")
    BatchInference(
        stack, "Batch", bucket=data.bucket, models=[HAIKU], subnets=vpc.isolated_subnets, security_groups=[group]
    )
    template = Template.from_stack(stack)
    assert "VpcConfig" in _definition(template)["States"]["CreateModelInvocationJob"]["Parameters"]
    statements = {s.get("Sid"): s for s in _statements(template, "BatchServiceRole")}
    assert statements["CreateBedrockManagedInterfaces"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/BedrockManaged": "true"}
    }
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Sid": "TagInterfacesAtCreation"})])}},
    )
    assert [f for f in nag_findings(stack) if "Batch" in f] == []


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"models": []}, "at least one model"),
        ({"models": ["amazon.nova-mikro-v1:0"]}, "did you mean"),
        (
            {"models": ["arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"]},
            "isn't supported for provisioned models",
        ),
        ({"job_timeout_hours": 12}, "job_timeout_hours must be 24-168"),
        ({"input_prefix": "in"}, "input_prefix must be a key prefix ending in '/'"),
        ({"input_prefix": "batch/", "output_prefix": "batch/out/"}, "must not overlap"),
    ],
)
def test_props_are_validated(props: dict[str, Any], message: str) -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    arguments: dict[str, Any] = {"models": [HAIKU], **props}
    with pytest.raises(ValueError, match=message):
        BatchInference(stack, "Batch", bucket=data.bucket, **arguments)


def test_readme_example_synthesizes() -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (example,) = [b for b in blocks if b.startswith("# README example: batch inference")]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    template = namespace["app"].synth().get_stack_by_name("Batch").template
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::StepFunctions::StateMachine") == 1 and "AWS::SNS::Topic" in types


def test_a_dataset_validator_of_another_bucket_is_refused() -> None:
    from aws_cdk import App, Environment, Stack

    from bedrock_ops import BatchInference, DatasetValidator, TrainingDataBucket

    stack = Stack(App(), "Batch", env=Environment(account="123456789012", region="us-east-1"))
    validator = DatasetValidator(
        stack, "Validator", data_bucket=TrainingDataBucket(stack, "Other"), base_model="amazon.nova-micro-v1:0"
    )
    with pytest.raises(ValueError, match="dataset_validator must watch bucket"):
        BatchInference(
            stack,
            "Batch",
            bucket=TrainingDataBucket(stack, "Data").bucket,
            models=["anthropic.claude-3-haiku-20240307-v1:0"],
            dataset_validator=validator,
        )

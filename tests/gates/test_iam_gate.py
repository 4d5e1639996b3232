"""The IAM gate: every Allow statement of every synthesized template against the Service Authorization Reference,
and every service role Bedrock assumes against the user guide's required permissions."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

from bedrock_ops.models.iam_requirements import load_service_role_requirements
from tests.gates import iam
from tests.support import run_cfn_lint

TemplateSets = dict[str, list[iam.StackTemplate]]


@pytest.fixture(scope="session")
def template_sets(
    default_assembly: cx_api.CloudAssembly,
    example_assemblies: dict[str, cx_api.CloudAssembly],
    pipeline_assembly: cx_api.CloudAssembly,
    all_features_assembly: cx_api.CloudAssembly,
) -> TemplateSets:
    """Every synthesized stack, by the app it belongs to (references resolve within one app)."""
    sets = {
        "app": iam.stacks_of("app", default_assembly),
        "pipeline": iam.stacks_of("pipeline", pipeline_assembly),
        "all-features": iam.stacks_of("all-features", all_features_assembly),
    }
    sets.update({f"examples/{name}": iam.stacks_of(f"examples/{name}", a) for name, a in example_assemblies.items()})
    return sets


def _stack(template: Mapping[str, Any], name: str = "Test") -> iam.StackTemplate:
    return iam.StackTemplate("test", name, name, "us-east-1", "123456789012", template)


def _policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {"Statement": list(statements)},
                    "Roles": [{"Ref": "Role"}],
                },
            },
        }
    }


def _allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


# ------------------------------------------------------------------------------------ the gate on the app


def test_the_gate_reads_every_app_and_many_statements(template_sets: TemplateSets) -> None:
    assert {"app", "pipeline", "all-features"} <= set(template_sets)
    assert {name for name in template_sets if name.startswith("examples/")} >= {
        "examples/model_evaluation",
        "examples/model_customization",
        "examples/reinforcement_fine_tuning",
        "examples/provisioned_throughput",
        "examples/observability",
        "examples/stable_endpoint",
        "examples/train_and_serve",
        "examples/train_evaluate_and_serve",
    }
    kinds = {s.kind for stacks in template_sets.values() for s in iam.statements(stacks)}
    assert {
        "AWS::IAM::Policy",
        "AWS::KMS::Key",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::Lambda::Permission",
    } <= kinds
    assert sum(len(list(iam.statements(stacks))) for stacks in template_sets.values()) > 500


def test_every_allow_statement_grants_existing_actions_on_resources_they_apply_to(
    template_sets: TemplateSets,
) -> None:
    findings = [f for stacks in template_sets.values() for f in iam.check(stacks, iam.CDK_ALLOWLIST)]
    assert findings == []


def test_every_allowlisted_cdk_finding_still_occurs(template_sets: TemplateSets) -> None:
    everything = [f for stacks in template_sets.values() for f in iam.check(stacks)]
    for entry in iam.CDK_ALLOWLIST:
        assert any(f": {entry.action} on " in f for f in everything), f"stale allowlist entry: {entry.statement}"
        assert len(entry.reason) > 80


def test_the_gate_is_fast_once_the_templates_exist(template_sets: TemplateSets) -> None:
    start = time.perf_counter()
    for stacks in template_sets.values():
        iam.check(stacks, iam.CDK_ALLOWLIST)
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------------------------ the gate can fail


def test_create_evaluation_job_on_evaluation_jobs_is_reported() -> None:
    jobs = {"Fn::Join": ["", ["arn:aws:bedrock:us-east-1:", {"Ref": "AWS::AccountId"}, ":evaluation-job/*"]]}
    (finding,) = iam.check([_stack(_policy(_allow(["bedrock:CreateEvaluationJob"], jobs)))])
    assert finding.startswith(
        "test:Test/Policy: bedrock:CreateEvaluationJob on arn:aws:bedrock:us-east-1:123456789012:evaluation-job/*: "
        "bedrock:CreateEvaluationJob applies only to "
    )
    assert "foundation-model" in finding


def test_an_unknown_action_and_a_wildcard_matching_nothing_are_reported() -> None:
    findings = iam.check([_stack(_policy(_allow(["bedrock:InvokeModels", "bedrock:Frobnicate*"], "*")))])
    assert findings == [
        "test:Test/Policy: bedrock:InvokeModels on *: no such action in the Service Authorization Reference",
        "test:Test/Policy: bedrock:Frobnicate* on *: no such action in the Service Authorization Reference",
    ]


def test_wildcards_expand_and_case_does_not_matter() -> None:
    model = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    assert iam.check([_stack(_policy(_allow(["bedrock:invokemodel*", "BEDROCK:Get*"], model)))]) == []
    assert {a.name for a in iam.expand_action("bedrock:InvokeModel*")} >= {
        "InvokeModel",
        "InvokeModelWithResponseStream",
    }


def test_an_action_without_resource_types_must_be_granted_on_star() -> None:
    profile = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/*"
    (finding,) = iam.check([_stack(_policy(_allow("bedrock:ListInferenceProfiles", profile)))])
    assert finding.endswith("bedrock:ListInferenceProfiles supports no resource type: it must be granted on '*'")
    assert iam.check([_stack(_policy(_allow("bedrock:ListInferenceProfiles", "*")))]) == []


def test_a_foundation_model_arn_with_an_account_is_reported() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:foundation-model/amazon.nova-lite-v1:0"
    (finding,) = iam.check([_stack(_policy(_allow("bedrock:InvokeModel", arn)))])
    assert "bedrock:InvokeModel applies only to" in finding


def test_an_inference_profile_id_in_a_foundation_model_arn_is_reported() -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/us.amazon.nova-premier-v1:0"
    (finding,) = iam.check([_stack(_policy(_allow("bedrock:CreateModelCustomizationJob", arn)))])
    assert finding == (
        "test:Test/Policy: bedrock:CreateModelCustomizationJob on " + arn + ": us.amazon.nova-premier-v1:0 is an "
        "inference profile id, not a foundation model: its ARN is "
        "arn:<partition>:bedrock:<region>:<account>:inference-profile/us.amazon.nova-premier-v1:0"
    )


def test_refs_and_getatts_become_arns_of_their_resource_type() -> None:
    template = _policy(
        _allow("s3:GetObject", {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/training/*"]]}),
        _allow("sns:Publish", {"Ref": "Topic"}),
        _allow("lambda:InvokeFunction", {"Fn::Sub": "${Fn.Arn}:*"}),
        _allow("s3:GetObject", {"Ref": "Topic"}),  # an object action on a topic
    )
    template["Resources"].update(
        {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Fn": {"Type": "AWS::Lambda::Function"},
        }
    )
    (finding,) = iam.check([_stack(template)])
    assert finding.startswith("test:Test/Policy: s3:GetObject on arn:aws:sns:us-east-1:123456789012:topic: ")
    assert finding.endswith("arn:${Partition}:s3:::${BucketName}/${ObjectName}")


def test_cross_stack_outputs_are_followed_into_the_producing_stack() -> None:
    producer = _stack(
        {
            "Resources": {"Key": {"Type": "AWS::KMS::Key"}},
            "Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}},
        },
        "producer",
    )
    consumer = _stack(
        _policy(
            _allow(
                "kms:Decrypt",
                {"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "KeyArn", "Region": "us-east-1"}},
            ),
            _allow("ec2:CreateNetworkInterface", {"Fn::ImportValue": "missing"}),
        ),
        "consumer",
    )
    (finding,) = iam.check([producer, consumer])
    assert finding == (
        "test:consumer/Policy: ec2:CreateNetworkInterface on ?: Fn::ImportValue missing: no such export in these stacks"
    )


def test_an_unknown_resource_type_is_itself_a_finding() -> None:
    template = _policy(_allow("sqs:SendMessage", {"Fn::GetAtt": ["Thing", "Arn"]}))
    template["Resources"]["Thing"] = {"Type": "AWS::Unknown::Thing"}
    (finding,) = iam.check([_stack(template)])
    assert "no placeholder shape" in finding


def test_resource_policies_and_lambda_permissions_are_checked() -> None:
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {**_allow("s3:PutObject", {"Fn::GetAtt": ["Bucket", "Arn"]}), "Principal": {"Service": "x"}}
                        ]
                    }
                },
            },
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": "my-function"},
            },
        }
    }
    (finding,) = iam.check([_stack(template)])
    assert finding.startswith("test:Test/BucketPolicy: s3:PutObject on arn:aws:s3:::bucket: s3:PutObject applies only")


def test_deny_statements_are_not_checked_and_allowlisted_statements_pass() -> None:
    bad = _allow("bedrock:CreateEvaluationJob", "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/*")
    deny = {**bad, "Effect": "Deny"}
    assert iam.check([_stack(_policy(deny))]) == []
    entry = iam.Acknowledged(statement=bad, action="bedrock:CreateEvaluationJob", reason="a test of the allowlist")
    assert iam.check([_stack(_policy(bad))], [entry]) == []


@pytest.mark.parametrize(
    ("glob", "arn_format", "matches"),
    [
        ("*", "arn:${Partition}:s3:::${BucketName}", True),
        ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}", False),
        ("arn:aws:iam::*:role/cdk-*", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", True),
        ("arn:aws:bedrock:*::foundation-model/x", "arn:${Partition}:bedrock:${Region}::foundation-model/${Id}", True),
        (
            "arn:aws:bedrock:us-east-1:1:foundation-model/x",
            "arn:${Partition}:bedrock:${Region}::foundation-model/${I}",
            False,
        ),
        (
            "arn:aws:logs:r:1:log-group:g:*",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${G}:log-stream:${S}",
            True,
        ),
        (
            "arn:aws:logs:r:1:log-group:g",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${G}:log-stream:${S}",
            False,
        ),
        ("arn:aws:bedrock:r:a?c:x/y", "arn:${Partition}:bedrock:${Region}:${Account}:x/${Id}", False),
    ],
)
def test_arn_globs_match_reference_formats(glob: str, arn_format: str, matches: bool) -> None:
    assert iam.arn_matches_format(glob, arn_format) is matches


# ------------------------------------------------------------------------------------ required permissions


@pytest.mark.parametrize(
    "kind",
    [
        "model-customization",
        "distillation-inference-profile-teacher",
        "reinforcement-fine-tuning",
        "evaluation-automatic",
        "evaluation-judge",
        "evaluation-human",
        "invocation-logging-cloudwatch",
    ],
)
def test_each_kind_of_service_role_is_synthesized_somewhere(template_sets: TemplateSets, kind: str) -> None:
    assert any(role.kind == kind for stacks in template_sets.values() for role in iam.service_roles(stacks))


def test_every_service_role_grants_what_the_user_guide_requires(template_sets: TemplateSets) -> None:
    table = load_service_role_requirements()
    missing = []
    for stacks in template_sets.values():
        for role in iam.service_roles(stacks):
            requirements = table[role.kind]
            permissions = list(requirements.required_permissions())
            if requirements.extends is not None:
                permissions += table[requirements.extends].required_permissions()
            grants = iam.role_grants(role, stacks)
            for permission in permissions:
                for action in iam.missing_permissions(grants, permission.actions, permission.resource_types):
                    missing.append(f"{role.where} ({role.kind}): {action} on {' or '.join(permission.resource_types)}")
    assert missing == []


def test_a_role_lacking_a_required_action_is_reported() -> None:
    grants = [("bedrock:InvokeModel", ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"])]
    assert iam.missing_permissions(grants, ["bedrock:InvokeModel"], ["bedrock:foundation-model"]) == []
    assert iam.missing_permissions(grants, ["bedrock:InvokeModel"], ["bedrock:inference-profile"]) == [
        "bedrock:InvokeModel"
    ]
    assert iam.missing_permissions(grants, ["bedrock:ListInferenceProfiles"], ["*"]) == [
        "bedrock:ListInferenceProfiles"
    ]
    assert iam.missing_permissions([("bedrock:List*", ["*"])], ["bedrock:ListInferenceProfiles"], ["*"]) == []


def test_the_requirements_table_names_real_actions_and_resource_types() -> None:
    table = load_service_role_requirements()
    for kind, requirements in table.items():
        assert requirements.page.startswith("https://docs.aws.amazon.com/bedrock/latest/userguide/"), kind
        assert requirements.trust_service == "bedrock.amazonaws.com"
        for permission in requirements.permissions:
            for action in permission.actions:
                assert iam.expand_action(action), f"{kind}: {action}"
            for resource_type in permission.resource_types:
                assert iam.resource_type_format(resource_type), f"{kind}: {resource_type}"


def test_the_all_features_app_passes_cfn_lint(all_features_assembly: cx_api.CloudAssembly) -> None:
    templates = sorted(Path(all_features_assembly.directory).rglob("*.template.json"))
    assert len(templates) >= 5
    result = run_cfn_lint(*templates)
    assert (result.returncode, result.stdout) == (0, "")

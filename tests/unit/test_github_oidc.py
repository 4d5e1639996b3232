from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk.assertions import Template

from bedrock_ops import GitHubOidcDeployRoles
from tests.support import nag_findings, new_stack


@pytest.fixture(scope="module")
def built() -> tuple[Template, list[str]]:
    stack = new_stack()
    GitHubOidcDeployRoles(stack, "GitHub", repository="example-org/ml-platform", branch="main")
    return Template.from_stack(stack), nag_findings(stack)


def _role(template: Template, prefix: str) -> Mapping[str, Any]:
    (role,) = [r for name, r in template.find_resources("AWS::IAM::Role").items() if name.startswith(prefix)]
    return role


def _statements(template: Template, prefix: str) -> list[dict[str, Any]]:
    (policy,) = [p for name, p in template.find_resources("AWS::IAM::Policy").items() if name.startswith(prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_provider_trusts_github_for_sts(built: tuple[Template, list[str]]) -> None:
    built[0].has_resource_properties(
        "AWS::IAM::OIDCProvider",
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]},
    )


def test_deploy_role_is_scoped_to_the_repository_and_branch(built: tuple[Template, list[str]]) -> None:
    (trust,) = _role(built[0], "GitHubDeployRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/ml-platform:ref:refs/heads/main",
        }
    }


def test_diff_role_is_scoped_to_pull_requests_and_may_only_look_up(built: tuple[Template, list[str]]) -> None:
    (trust,) = _role(built[0], "GitHubDiffRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:example-org/ml-platform:pull_request"
    )
    (statement,) = _statements(built[0], "GitHubDiffRoleDefaultPolicy")
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == "arn:aws:iam::*:role/cdk-hnb659fds-lookup-role-*"


def test_deploy_role_may_assume_only_cdk_bootstrap_roles(built: tuple[Template, list[str]]) -> None:
    (statement,) = _statements(built[0], "GitHubDeployRoleDefaultPolicy")
    assert statement["Action"] == "sts:AssumeRole"
    assert sorted(statement["Resource"]) == [
        f"arn:aws:iam::*:role/cdk-hnb659fds-{kind}-role-*"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
    ]


def test_roles_pass_nag_without_managed_policies(built: tuple[Template, list[str]]) -> None:
    assert built[1] == []
    for role in built[0].find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_existing_provider_is_reused() -> None:
    stack = new_stack()
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    GitHubOidcDeployRoles(stack, "GitHub", repository="o/r", provider_arn=arn)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    (trust,) = _role(template, "GitHubDeployRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": arn}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repository": "no-slash"}, "repository must be 'owner/name', got 'no-slash'"),
        ({"repository": "o/r", "branch": "a..b"}, "branch must be a git branch name"),
    ],
)
def test_bad_repository_or_branch_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GitHubOidcDeployRoles(new_stack(), "GitHub", **kwargs)

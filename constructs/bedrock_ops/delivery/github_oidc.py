"""Roles that GitHub Actions assumes through OpenID Connect to diff and deploy the app."""

from __future__ import annotations

import re

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from constructs import Construct

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
_ISSUER = "token.actions.githubusercontent.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")


class GitHubOidcDeployRoles(Construct):
    """The GitHub OIDC provider (or an existing one) and two roles for one repository:

    - :attr:`deploy_role`, assumable only by workflow runs on ``branch`` of ``repository``
      (``sub = repo:<owner>/<name>:ref:refs/heads/<branch>``), which may assume the CDK bootstrap roles
      that deploy (deploy, file and image publishing, lookup);
    - :attr:`diff_role`, assumable only by pull-request runs of the repository
      (``sub = repo:<owner>/<name>:pull_request``), which may assume only the read-only bootstrap
      lookup role, enough for ``cdk diff``.

    Both require ``aud = sts.amazonaws.com``. Neither has AWS managed policies.

    Example::

        roles = GitHubOidcDeployRoles(self, "GitHub", repository="my-org/ml-platform", branch="main")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        repository: str,
        branch: str = "main",
        provider_arn: str | None = None,
        bootstrap_qualifier: str = "hnb659fds",
        max_session_duration: Duration = Duration.hours(1),
    ) -> None:
        """
        :param repository: ``owner/name`` of the GitHub repository.
        :param branch: the branch whose runs may deploy (default: ``main``).
        :param provider_arn: an existing GitHub OIDC provider of the account (default: create one; an account
            can hold only one provider per URL).
        :param bootstrap_qualifier: the CDK bootstrap qualifier of the target environments (default: the
            CDK's ``hnb659fds``).
        :param max_session_duration: 1-12 hours (default: 1 hour).
        """
        super().__init__(scope, id)
        if not _REPOSITORY.match(repository):
            raise ValueError(f"repository must be 'owner/name', got {repository!r}")
        if not _BRANCH.match(branch) or branch.startswith("/") or ".." in branch:
            raise ValueError(f"branch must be a git branch name such as 'main', got {branch!r}")
        if not re.fullmatch(r"[a-z0-9]{1,10}", bootstrap_qualifier):
            raise ValueError(
                f"bootstrap_qualifier must be 1-10 lowercase letters or digits, got {bootstrap_qualifier!r}"
            )
        self.repository = repository
        self.branch = branch
        if provider_arn is None:
            provider = iam.OidcProviderNative(self, "Provider", url=GITHUB_OIDC_URL, client_ids=["sts.amazonaws.com"])
            self.provider_arn = provider.oidc_provider_arn
        else:
            self.provider_arn = provider_arn

        stack = Stack.of(self)

        def bootstrap_role(kind: str) -> str:
            return stack.format_arn(
                service="iam",
                region="",
                account="*",
                resource="role",
                resource_name=f"cdk-{bootstrap_qualifier}-{kind}-role-*",
            )

        self.deploy_role = self._role(
            "DeployRole",
            subject=f"repo:{repository}:ref:refs/heads/{branch}",
            description=f"GitHub Actions deploys of {repository}@{branch}",
            bootstrap_roles=[bootstrap_role(k) for k in ("deploy", "file-publishing", "image-publishing", "lookup")],
            max_session_duration=max_session_duration,
        )
        self.diff_role = self._role(
            "DiffRole",
            subject=f"repo:{repository}:pull_request",
            description=f"GitHub Actions cdk diff on pull requests of {repository}",
            bootstrap_roles=[bootstrap_role("lookup")],
            max_session_duration=max_session_duration,
        )

    def _role(
        self,
        id: str,
        *,
        subject: str,
        description: str,
        bootstrap_roles: list[str],
        max_session_duration: Duration,
    ) -> iam.Role:
        principal = iam.WebIdentityPrincipal(
            self.provider_arn,
            conditions={
                "StringEquals": {f"{_ISSUER}:aud": "sts.amazonaws.com", f"{_ISSUER}:sub": subject},
            },
        )
        role = iam.Role(
            self, id, assumed_by=principal, description=description, max_session_duration=max_session_duration
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="AssumeCdkBootstrapRoles", actions=["sts:AssumeRole"], resources=bootstrap_roles)
        )
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for arn in bootstrap_roles:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, arn),
                "CDK bootstrap role names end in the target account and Region (cdk-<qualifier>-<kind>-role-"
                "<account>-<region>); the pattern names exactly one bootstrap role kind of this qualifier.",
            )
        return role

"""The GitHub OIDC provider and the deploy (main) and diff (pull requests) roles of one repository."""

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import GitHubOidcDeployRoles

app = App()
stack = Stack(app, "GitHubDeploy", env=Environment(region="us-east-1"))
GitHubOidcDeployRoles(stack, "GitHub", repository="example-org/ml-platform", branch="main")
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()

"""The baseline of the synth benchmark: an empty one-stack CDK app.

With ``--no-builtin-validation`` the CDK's built-in CloudFormation validation is off, as in the default app
(which runs cfn-lint instead), for an apples-to-apples second baseline.
"""

import sys

import aws_cdk as cdk

app = cdk.App(builtin_cloud_formation_validation="--no-builtin-validation" not in sys.argv)
cdk.Stack(app, "Empty")
app.synth()

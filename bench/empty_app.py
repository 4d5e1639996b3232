"""The baseline of the synth benchmark: an empty one-stack CDK app."""

import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()

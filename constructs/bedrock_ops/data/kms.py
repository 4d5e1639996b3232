"""A customer-managed KMS key for Bedrock data: training data, custom models, logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct, IConstruct

#: What Bedrock needs of a key that encrypts its inputs and the custom models it writes.
BEDROCK_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant")


def via_service(scope: IConstruct, service: str) -> str:
    """The ``kms:ViaService`` value of ``service`` in ``scope``'s Region, e.g. ``s3.us-east-1.amazonaws.com``."""
    return f"{service}.{Stack.of(scope).region}.amazonaws.com"


class BedrockKmsKey(kms.Key):
    """A customer-managed key with rotation whose key policy lets Bedrock use it only through
    ``kms:ViaService = bedrock.<region>.amazonaws.com`` on behalf of this account.

    Principals of the account still need an IAM permission: give it with :meth:`grant_bedrock_use`
    (for Bedrock service roles) or through the grants of the resources the key encrypts
    (e.g. ``TrainingDataBucket.grant_read_training_data``, which scopes the key to S3).

    Example::

        key = BedrockKmsKey(self, "Key", alias="alias/bedrock-ops")
        key.grant_bedrock_use(customization_role)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str | None = None,
        description: str = "cdk-bedrock-ops: Bedrock training data, custom models and logs",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        pending_window: Duration = Duration.days(30),
    ) -> None:
        """
        :param alias: a KMS alias such as ``alias/bedrock-ops`` (default: no alias).
        :param description: the key's description.
        :param removal_policy: what happens to the key when it leaves the stack (default: RETAIN, so that
            data encrypted with it stays readable).
        :param pending_window: the deletion waiting period, 7-30 days (default: 30 days).
        """
        days = pending_window.to_days()
        if not 7 <= days <= 30:
            raise ValueError(f"pending_window must be 7-30 days, got {days}")
        if alias is not None and not alias.startswith("alias/"):
            raise ValueError(f"alias must start with 'alias/', got {alias!r}")
        super().__init__(
            scope,
            id,
            alias=alias,
            description=description,
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=pending_window,
        )
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBedrockUseOnlyViaBedrockForThisAccount",
                principals=[iam.AccountRootPrincipal()],
                actions=list(BEDROCK_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": via_service(self, "bedrock"),
                        "kms:CallerAccount": Stack.of(self).account,
                    }
                },
            )
        )

    def grant_bedrock_use(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (a Bedrock service role) use the key, only through Bedrock in this Region.

        Gives ``kms:Decrypt``, ``kms:GenerateDataKey``, ``kms:DescribeKey`` and ``kms:CreateGrant`` on this key
        with ``kms:ViaService = bedrock.<region>.amazonaws.com``.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(BEDROCK_KEY_ACTIONS),
            resource_arns=[self.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service(self, "bedrock")}},
        )

    def grant_via_service(self, grantee: iam.IGrantable, service: str, *actions: str) -> iam.Grant:
        """Let ``grantee`` use ``actions`` on the key only through ``service`` (e.g. ``"s3"``) here."""
        if not actions:
            raise ValueError("grant_via_service needs at least one kms: action")
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(actions),
            resource_arns=[self.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service(self, service)}},
        )


def use_aws_managed_topic_key(topic: sns.Topic) -> None:
    """Encrypt ``topic`` with SNS's AWS managed key (``alias/aws/sns``): the topic of a data bucket encrypted with
    SSE-S3 (a bucket created elsewhere, given without a key). Set on the resource, not as ``master_key``, so that
    ``grant_publish`` adds no KMS statement: the AWS managed key's policy lets SNS use it for this account."""
    cfn_topic = topic.node.default_child
    assert isinstance(cfn_topic, sns.CfnTopic)
    cfn_topic.kms_master_key_id = "alias/aws/sns"

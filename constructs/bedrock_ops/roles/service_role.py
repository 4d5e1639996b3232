"""IAM service roles that Amazon Bedrock assumes to run model customization and evaluation jobs."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import jsii
from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import DataBucketLike, data_bucket_of
from bedrock_ops.models.knowledge import load_models
from constructs import Construct

#: Geography prefixes of cross-Region (system) inference profile ids, e.g. ``us.anthropic.claude-...``.
#: Geography prefixes of system (cross-Region) inference profile ids, from the model knowledge base.
INFERENCE_PROFILE_GEOGRAPHIES = frozenset(load_models().geographies)


def inference_profile_base(identifier: str) -> str | None:
    """The foundation model id behind a system inference profile id or ARN (``us.amazon.nova-pro-v1:0`` ->
    ``amazon.nova-pro-v1:0``), None for anything else."""
    profile_id = identifier.split(":inference-profile/", 1)[1] if ":inference-profile/" in identifier else identifier
    if profile_id.startswith("arn:"):
        return None
    geography, _, rest = profile_id.partition(".")
    return rest if geography in INFERENCE_PROFILE_GEOGRAPHIES and "." in rest else None


def foundation_model_arn(stack: Stack, model_id: str, *, region: str | None = None) -> str:
    """A foundation model's ARN: no account field (``arn:<partition>:bedrock:<region>::foundation-model/<id>``)."""
    return f"arn:{stack.partition}:bedrock:{stack.region if region is None else region}::foundation-model/{model_id}"


def invoke_arns(stack: Stack, identifier: str) -> list[str]:
    """The ARNs ``bedrock:InvokeModel`` needs for a model identifier in ``stack``'s Region: a foundation model's
    ARN; for a cross-Region inference profile (id or ARN) the profile and its foundation model in every Region
    (the profile routes there); any other ARN (or token) as given."""
    if Token.is_unresolved(identifier):
        return [identifier]
    base = inference_profile_base(identifier)
    if base is not None:
        profile = (
            identifier
            if identifier.startswith("arn:")
            else stack.format_arn(
                service="bedrock",
                resource="inference-profile",
                resource_name=identifier,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
        )
        return [profile, foundation_model_arn(stack, base, region="*")]
    if identifier.startswith("arn:"):
        return [identifier]
    return [foundation_model_arn(stack, identifier)]


class BedrockJobType(enum.Enum):
    """The kind of Bedrock job a service role runs; it fixes the ``aws:SourceArn`` the trust policy allows."""

    MODEL_CUSTOMIZATION = "model-customization-job"
    EVALUATION = "evaluation-job"
    MODEL_IMPORT = "model-import-job"


@jsii.implements(iam.IGrantable)
class BedrockServiceRole(Construct):
    """A role trusted only by ``bedrock.amazonaws.com`` for this account's jobs of one type.

    The trust policy carries the confused-deputy conditions ``aws:SourceAccount = <this account>`` and
    ``aws:SourceArn = arn:<partition>:bedrock:<region>:<account>:<job type>/*``. Permissions come only from
    grants: S3 access scoped to the bucket prefixes it is given, KMS through the keys' grants, optional VPC
    permissions gated on Bedrock's request and resource tags. No AWS managed policies, no ``*`` actions.

    It is an ``IGrantable``, so it can be passed wherever a grantee is expected.

    Example::

        role = BedrockServiceRole(self, "CustomizationRole", data_bucket=data, custom_model_key=key)
        role.grant_pass_role(state_machine)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job_type: BedrockJobType | str = BedrockJobType.MODEL_CUSTOMIZATION,
        data_bucket: DataBucketLike | None = None,
        data_bucket_key: kms.IKey | None = None,
        custom_model_key: BedrockKmsKey | None = None,
        role_name: str | None = None,
        description: str | None = None,
    ) -> None:
        """
        :param job_type: the jobs this role runs, a ``BedrockJobType`` or its value or name (``"evaluation-job"``,
            ``"EVALUATION"``) (default: model customization).
        :param data_bucket: a training data bucket to grant: customization roles read the training and
            validation prefixes and write the output prefix; evaluation roles read the evaluation prefix and
            write its ``results/``: a ``TrainingDataBucket``, ``TrainingDataBucket.from_bucket_name(...)`` or any
            ``s3.IBucket`` (with the default prefixes, ``DataPrefixes()``) (default: no bucket access; add it with
            the bucket's ``grant_*`` methods).
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own
            ``encryption_key``, none for an imported bucket: SSE-S3).
        :param custom_model_key: a key Bedrock uses for the custom models or job outputs, granted through
            ``kms:ViaService = bedrock.<region>.amazonaws.com`` (default: none).
        :param role_name: a physical role name (default: generated).
        :param description: the role's description (default: names the job type).
        """
        super().__init__(scope, id)
        job_type = parse_enum(BedrockJobType, job_type, param="job_type")
        self.job_type = job_type
        self.source_arn_pattern = self._job_arn_pattern()
        principal = iam.ServicePrincipal("bedrock.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                "ArnEquals": {"aws:SourceArn": self.source_arn_pattern},
            }
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=principal,
            role_name=role_name,
            description=description or f"Assumed by Amazon Bedrock to run this account's {job_type.value}s",
        )
        if data_bucket is not None:
            data_bucket = data_bucket_of(data_bucket, encryption_key=data_bucket_key)
            if job_type is BedrockJobType.MODEL_CUSTOMIZATION:
                data_bucket.grant_read_training_data(self)
                data_bucket.grant_write_output(self)
            elif job_type is BedrockJobType.EVALUATION:
                data_bucket.grant_read_evaluation_data(self)
                data_bucket.grant_write_evaluation_output(self)
        if custom_model_key is not None:
            custom_model_key.grant_bedrock_use(self)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The role, as the principal that grants attach to."""
        return self.role.grant_principal

    @property
    def role_arn(self) -> str:
        """The role's ARN."""
        return self.role.role_arn

    @property
    def role_name(self) -> str:
        """The role's name."""
        return self.role.role_name

    def grant_pass_role(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` pass this role, to Bedrock only (``iam:PassedToService``)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[self.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        )

    def allow_invoke_models(self, *model_arns: str) -> iam.Grant:
        """Let Bedrock invoke these models with this role (evaluation jobs invoke the evaluated model and
        the judge): ``bedrock:InvokeModel`` on exactly the given ARNs."""
        if not model_arns:
            raise ValueError("allow_invoke_models needs at least one model ARN")
        return iam.Grant.add_to_principal(
            grantee=self,
            actions=["bedrock:InvokeModel"],
            resource_arns=list(model_arns),
        )

    def add_vpc_permissions(
        self, subnets: Sequence[ec2.ISubnet], security_groups: Sequence[ec2.ISecurityGroup]
    ) -> None:
        """Allow Bedrock to run the job in these subnets with these security groups.

        Follows the Bedrock user guide: describe calls on ``*`` (EC2 offers no resource scoping for them),
        network interfaces created only with the ``BedrockManaged`` and job-ARN request tags, modified or
        deleted only in the given subnets when they carry those tags, and tagging only at creation.
        """
        if self.job_type is not BedrockJobType.MODEL_CUSTOMIZATION:
            raise ValueError(f"VPC permissions apply to model customization roles, not {self.job_type.value}s")
        if not 1 <= len(subnets) <= 16:
            raise ValueError(f"subnets must have 1-16 entries, got {len(subnets)}")
        if not 1 <= len(security_groups) <= 5:
            raise ValueError(f"security_groups must have 1-5 entries, got {len(security_groups)}")
        stack = Stack.of(self)
        subnet_arns = [_ec2_arn(stack, "subnet", s.subnet_id) for s in subnets]
        sg_arns = [_ec2_arn(stack, "security-group", g.security_group_id) for g in security_groups]
        eni_arn = _ec2_arn(stack, "network-interface", "*")
        describe = iam.PolicyStatement(
            sid="DescribeNetworkForBedrockJobs",
            actions=[
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            resources=["*"],
        )
        create_eni = iam.PolicyStatement(
            sid="CreateBedrockManagedInterfaces",
            actions=["ec2:CreateNetworkInterface"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"aws:RequestTag/BedrockManaged": "true"},
                "ArnEquals": {"aws:RequestTag/BedrockModelCustomizationJobArn": self.source_arn_pattern},
            },
        )
        create_eni_in = iam.PolicyStatement(
            sid="CreateInterfacesInGivenSubnetsAndGroups",
            actions=["ec2:CreateNetworkInterface"],
            resources=[*subnet_arns, *sg_arns],
        )
        modify_eni = iam.PolicyStatement(
            sid="ManageBedrockManagedInterfaces",
            actions=[
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            resources=["*"],
            conditions={
                "ArnEquals": {
                    "ec2:Subnet": subnet_arns,
                    "ec2:ResourceTag/BedrockModelCustomizationJobArn": self.source_arn_pattern,
                },
                "StringEquals": {"ec2:ResourceTag/BedrockManaged": "true"},
            },
        )
        tag_eni = iam.PolicyStatement(
            sid="TagInterfacesOnlyAtCreation",
            actions=["ec2:CreateTags"],
            resources=[eni_arn],
            conditions={
                "StringEquals": {"ec2:CreateAction": ["CreateNetworkInterface"]},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["BedrockManaged", "BedrockModelCustomizationJobArn"]},
            },
        )
        for statement in (describe, create_eni, create_eni_in, modify_eni, tag_eni):
            self.role.add_to_principal_policy(statement)
        policy = self.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "EC2 Describe* calls support no resource-level scoping, and Bedrock creates the network "
            "interfaces it later modifies; those actions are gated on the ec2:Subnet and BedrockManaged "
            "resource-tag conditions as the Bedrock user guide prescribes.",
        )
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(self, eni_arn),
            "Network interface ids are not known before Bedrock creates them; creation and tagging are gated "
            "on the BedrockManaged and job-ARN request tags and on ec2:CreateAction.",
        )

    def _job_arn_pattern(self) -> str:
        return _arn(Stack.of(self), "bedrock", self.job_type.value, "*")


def _arn(stack: Stack, service: str, resource: str, name: str) -> str:
    return stack.format_arn(
        service=service, resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )


def _ec2_arn(stack: Stack, resource: str, name: str) -> str:
    return _arn(stack, "ec2", resource, name)

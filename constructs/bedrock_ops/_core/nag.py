"""cdk-nag v3 acknowledgments, one finding at a time, each with its reason."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (e.g. ``AwsSolutions-IAM5[Action::ec2:Describe*]``) on ``scope``.

    The reason must say why the finding does not apply; it is recorded in the cloud assembly.
    """
    if len(reason) < 20:
        raise ValueError(f"acknowledgment of {finding_id} needs a specific reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=finding_id, reason=reason))


def iam5_resource_finding(scope: IConstruct, resource: str) -> str:
    """The id cdk-nag gives an ``AwsSolutions-IAM5`` wildcard finding on ``resource`` (an ARN, tokens allowed).

    cdk-nag renders ``{"Ref": X}`` as ``<X>`` and ``{"Fn::GetAtt": [X, Y]}`` as ``<X.Y>`` inside the
    resolved string, e.g. ``AwsSolutions-IAM5[Resource::<DataBucket1234.Arn>/training/*]``.
    """
    return f"AwsSolutions-IAM5[Resource::{_render(Stack.of(scope).resolve(resource))}]"


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::ImportValue":  # cdk-nag flattens an import to the export's name
            return _render(arg)
        if fn == "Fn::Sub" and isinstance(arg, str):  # e.g. the bootstrap asset bucket of an account-agnostic stack
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", arg)
        if fn == "Fn::Join":
            separator, parts = arg
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding id")

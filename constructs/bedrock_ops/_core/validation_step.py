"""The dataset validator Lambda as the first states of a workflow (customization, RFT, batch inference).

A plain Task on the function ARN (the answer is the payload) rather than LambdaInvoke, whose grant adds
``<arn>:*``: the validator often lives in another stack, where that wildcard cannot be acknowledged by id before
synthesis resolves the cross-stack reference. The caller grants ``lambda:InvokeFunction`` and adds the Choice
that reads ``$.validation`` (its rules differ per workflow).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn

from constructs import Construct

__all__ = ["validation_states"]


def validation_states(
    scope: Construct,
    *,
    task_id: str,
    invalid_id: str,
    function_arn: str,
    parameters: dict[str, Any],
    comment: str,
    invalid_comment: str,
    on_error: sfn.IChainable,
) -> tuple[sfn.CustomState, sfn.IChainable]:
    """``task_id`` (the validator, its answer in ``$.validation``; Lambda service errors retried, any other error
    caught into ``$.error`` -> ``on_error``) and ``invalid_id`` (a Pass that makes the validator's report the error
    ``{"Error": invalid_id, "Cause": <report as JSON>}`` -> ``on_error``), for the caller's Choice."""
    validate = sfn.CustomState(
        scope,
        task_id,
        state_json={
            "Type": "Task",
            "Comment": comment,
            "Resource": function_arn,
            "Parameters": parameters,
            "ResultPath": "$.validation",
        },
    )
    validate.add_retry(
        errors=["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"],
        interval=Duration.seconds(2),
        max_attempts=6,
        backoff_rate=2,
    )
    validate.add_catch(on_error, errors=["States.ALL"], result_path="$.error")
    invalid = sfn.Pass(
        scope,
        invalid_id,
        comment=invalid_comment,
        parameters={"Error": invalid_id, "Cause.$": "States.JsonToString($.validation)"},
        result_path="$.error",
    ).next(on_error)
    return validate, invalid

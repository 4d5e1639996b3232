"""Bounds that a construct prop and its configuration key share: one definition each, read by the constructs and
by ``infra/config.py``'s pydantic models (``Field(ge=BOUND.low, le=BOUND.high)``)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Token

from bedrock_ops._core.errors import PropTypeError


@dataclass(frozen=True)
class Bound:
    """An inclusive integer range of a prop (and of its configuration key), with its unit for messages."""

    low: int
    high: int
    unit: str = ""
    why: str = ""
    """Where the bound comes from (shown in the message)."""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"an integer {self.low}-{self.high}{unit}" + (f" ({self.why})" if self.why else "")

    def check(self, param: str, value: object) -> None:
        """Raise ``TypeError`` (not an integer) or ``ValueError`` (out of range) naming ``param``; tokens pass."""
        if isinstance(value, int | float) and not isinstance(value, bool) and Token.is_unresolved(value):
            return  # a number token (cdk.Token.as_number)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PropTypeError(f"{param} must be {self.describe()}, got {type(value).__name__} {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{param} must be {self.describe()}, got {value}")

    def check_hours(self, param: str, value: object) -> None:
        """``value`` must be a ``Duration`` whose hours are in the range (a bound with unit ``hours``)."""
        if not isinstance(value, Duration):
            raise PropTypeError(
                f"{param} must be a Duration of {self.describe()}, got {type(value).__name__} {value!r}"
            )
        hours = value.to_hours(integral=False)
        if Token.is_unresolved(hours):
            return
        if not self.low <= hours <= self.high:
            raise ValueError(f"{param} must be {self.describe()}, got {hours:g} hours")


#: Model units of one provisioned throughput. The API takes any ``modelUnits >= 1`` (each needs a service quota,
#: raised through AWS Support); 100 is this project's guard against a typo buying a fleet.
MODEL_UNITS = Bound(1, 100, "model unit(s)", "each needs a service quota; at most 100 as a guard against typos")

#: Timeout of a Standard Step Functions workflow (customization jobs): a Standard execution runs at most one year
#: (Step Functions developer guide, "Step Functions service quotas",
#: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, and "Continue long-running workflows",
#: https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-continue-new.html: "Standard workflow executions
#: have a maximum duration of one year"; read 2026-12-01). Not a Bedrock model fact, so not in the model knowledge
#: base; 8760 hours is the bound the configuration had.
WORKFLOW_TIMEOUT_HOURS = Bound(1, 8760, "hours", "a Standard Step Functions execution runs at most one year")

"""A reward function as code: full marks for the exact product, partial credit for a near miss, none for prose.

``reward(response, sample)`` gets the model's response and the sample Bedrock sent (the record's fields are under
``sample["metadata"]``); it returns a score in [0, 1] and, optionally, metrics logged beside it.
"""

from __future__ import annotations

import re
from typing import Any


def reward(response: str, sample: dict[str, Any]) -> tuple[float, dict[str, float]]:
    expected = int(sample["metadata"]["reference_answer"])
    numbers = re.findall(r"-?\d+", response.replace(",", ""))
    if not numbers:
        return 0.0, {"has_number": 0.0}
    got = int(numbers[-1])
    exact = 1.0 if got == expected else 0.0
    close = 0.5 if not exact and abs(got - expected) <= max(1, abs(expected) // 100) else 0.0
    terse = 1.0 if response.strip() == numbers[-1] else 0.0
    return max(exact, close) * (0.9 + 0.1 * terse), {"exact": exact, "terse": terse}

"""IAM conditions on bindings: which end the binding at a time, and which only narrow it.

Only the common CEL form `request.time < timestamp("...")` joined by `&&` is read as an end
time. Any other expression (or one joined with `||`) is treated as a plain condition: the
binding is standing, but only under that condition.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scanner.gcp.roles import BASIC_ROLES

_UNTIL = re.compile(r'request\.time\s*<=?\s*timestamp\(\s*["\']([^"\']+)["\']\s*\)')


def end_time(expression: str) -> datetime | None:
    """The time a condition's expression ends the binding at, if it says so plainly."""
    # A negation or an alternative can turn "ends at" into "starts at"; only a plain
    # conjunction of deadlines is read as an end time, anything else stays a plain condition.
    if "||" in expression or "!" in expression:
        return None
    found = [_parse(m.group(1)) for m in _UNTIL.finditer(expression)]
    times = [t for t in found if t is not None]
    return min(times) if times else None


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def effective_condition(role: str, condition: dict[str, Any] | None) -> dict[str, Any] | None:
    """The condition that applies; basic roles cannot carry one, so theirs never counts."""
    if role in BASIC_ROLES or not condition:
        return None
    return condition

"""Policy constructs the evaluator does not model exactly, listed so that none is silent.

The evaluator treats what it cannot decide conservatively (a condition it cannot resolve makes
a grant conditional; a policy variable it cannot resolve matches nothing). Each such place is
reported with the policy and statement, so a reader knows where a result rests on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scanner.model import Snapshot
from scanner.policy import as_list, statements

KNOWN_OPERATORS = re.compile(
    r"^(ForAllValues:|ForAnyValue:)?"
    r"(String(Not)?Equals(IgnoreCase)?|String(Not)?Like|Numeric\w+|Date\w+|Bool|Binary\w*|"
    r"(Not)?IpAddress|Arn(Not)?(Equals|Like)|Null)(IfExists)?$"
)
RESOLVED_VARIABLES = {"aws:username", "aws:principaltype"}
VARIABLE = re.compile(r"\$\{([^}]+)\}")


def unsupported(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Every place in the snapshot's AWS policies that evaluation only approximates."""
    found: list[dict[str, Any]] = []
    for policy in snapshot.policies:
        if policy.provider != "aws":
            continue
        for index, statement in enumerate(statements(policy.document)):
            for construct in _constructs(statement, policy.managed_by):
                found.append({"policy": policy.id, "statement": index, "construct": construct})
    return found


def _constructs(statement: dict[str, Any], managed_by: str) -> Iterator[str]:
    for operator in statement.get("Condition") or {}:
        if not KNOWN_OPERATORS.match(str(operator)):
            yield f"unknown condition operator {operator}: the grant is treated as conditional"
    resources = [*as_list(statement.get("Resource")), *as_list(statement.get("NotResource"))]
    for resource in resources:
        for name in VARIABLE.findall(str(resource)):
            if name.lower() not in RESOLVED_VARIABLES and name not in ("*", "?", "$"):
                yield f"policy variable ${{{name}}} is not resolved: the resource matches nothing"
    if "NotPrincipal" in statement and managed_by != "organization":
        yield "NotPrincipal in an identity policy is invalid and is ignored"

"""AWS IAM policy evaluation: enough of IAM's logic to decide who can do what, and under what.

The evaluation follows IAM's documented order for identity-based policies within one account:
an explicit Deny wins; otherwise an Allow is needed; a permission boundary, when present, must
also allow the action. Conditions are not resolved against a request (there is none): an Allow
that holds only under a condition is reported as conditional, with the condition kept.

Known shortcoming: service control policies and resource policies other than S3 bucket
policies are not evaluated here; a Deny under a condition is treated as not applying, so the
result leans towards reporting power rather than hiding it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from scanner.collectors.aws_authz import as_list
from scanner.model import Policy

VARIABLE = re.compile(r"\$\{([^}]+)\}")


@lru_cache(maxsize=65536)
def _glob(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE if case_insensitive else 0)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action globbing: `*` and `?`, case-insensitive."""
    return _glob(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str, variables: Mapping[str, str]) -> bool:
    """ARN globbing with policy variables (`${aws:username}`) resolved for the caller.

    A variable that cannot be resolved makes the pattern match nothing, as IAM does when the
    request carries no value for it.
    """
    if "${" in pattern:
        resolved = _resolve(pattern, variables)
        if resolved is None:
            return False
        pattern = resolved
    return _glob(pattern, False).fullmatch(resource) is not None


def _resolve(pattern: str, variables: Mapping[str, str]) -> str | None:
    missing = False

    def swap(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in ("*", "?", "$"):
            # ${*}, ${?} and ${$} are IAM's escapes for the literal characters.
            return "\\" + name if name != "$" else "$"
        value = variables.get(name.lower())
        if value is None:
            missing = True
            return ""
        return value

    resolved = VARIABLE.sub(swap, pattern)
    return None if missing else resolved


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A policy's statements, always as a list."""
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def statement_covers_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(action_matches(str(p), action) for p in as_list(statement["NotAction"]))
    return any(action_matches(str(p), action) for p in as_list(statement.get("Action")))


def statement_covers_resource(
    statement: Mapping[str, Any], resource: str, variables: Mapping[str, str]
) -> bool:
    if "NotResource" in statement:
        patterns = as_list(statement["NotResource"])
        return not any(resource_matches(str(p), resource, variables) for p in patterns)
    if "Resource" not in statement:
        return True
    return any(
        resource_matches(str(p), resource, variables) for p in as_list(statement["Resource"])
    )


def allows_every_action(statement: Mapping[str, Any]) -> bool:
    """True for `Action: "*"` (or `*:*`): the statement names no limit on actions."""
    return "Action" in statement and any(
        str(p) in ("*", "*:*") for p in as_list(statement["Action"])
    )


def covers_every_resource(statement: Mapping[str, Any]) -> bool:
    """`Resource: "*"`, or a NotResource that leaves all but a few resources in reach."""
    if "NotResource" in statement:
        return "*" not in [str(p) for p in as_list(statement["NotResource"])]
    return "Resource" not in statement or "*" in [str(p) for p in as_list(statement["Resource"])]


@dataclass(frozen=True)
class Decision:
    """The result of evaluating one action on one resource against a principal's policies."""

    allowed: bool
    conditional: bool = False
    policies: tuple[str, ...] = ()
    conditions: tuple[dict[str, Any], ...] = ()


DENIED = Decision(allowed=False)


@dataclass
class PolicySet:
    """The policies that decide a principal's power: its own, its groups', its boundary."""

    identity: list[Policy] = field(default_factory=list)
    boundary: list[Policy] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    def evaluate(self, action: str, resource: str) -> Decision:
        """Evaluate as IAM does: explicit Deny, then Allow, then the permission boundary."""
        if self._denied(action, resource):
            return DENIED

        allowed = _allow(self.identity, action, resource, self.variables)
        if not allowed.allowed or not self.boundary:
            return allowed

        bounded = _allow(self.boundary, action, resource, self.variables)
        if not bounded.allowed:
            return DENIED
        return Decision(
            allowed=True,
            conditional=allowed.conditional or bounded.conditional,
            policies=allowed.policies,
            conditions=allowed.conditions + bounded.conditions,
        )

    def _denied(self, action: str, resource: str) -> bool:
        for policy in [*self.identity, *self.boundary]:
            for statement in statements(policy.document):
                if statement.get("Effect") != "Deny" or statement.get("Condition"):
                    continue
                if statement_covers_action(statement, action) and statement_covers_resource(
                    statement, resource, self.variables
                ):
                    return True
        return False


def _allow(
    policies: Iterable[Policy], action: str, resource: str, variables: Mapping[str, str]
) -> Decision:
    """Find the Allow statements for the request; unconditional ones win over conditional."""
    granting: list[str] = []
    conditions: list[dict[str, Any]] = []
    unconditional: list[str] = []
    for policy in policies:
        for statement in statements(policy.document):
            if statement.get("Effect") != "Allow":
                continue
            if not statement_covers_action(statement, action):
                continue
            if not statement_covers_resource(statement, resource, variables):
                continue
            condition = statement.get("Condition")
            if condition and condition_bounds(condition):
                granting.append(policy.id)
                conditions.append(condition)
            else:
                unconditional.append(policy.id)

    if unconditional:
        return Decision(allowed=True, policies=tuple(dict.fromkeys(unconditional)))
    if granting:
        return Decision(
            allowed=True,
            conditional=True,
            policies=tuple(dict.fromkeys(granting)),
            conditions=tuple(conditions),
        )
    return DENIED


def _operator_bounds(operator: str) -> bool:
    """Negated operators and `...IfExists` match when the key is absent, so bound nothing."""
    base = operator.split(":")[-1]
    if base.endswith("IfExists"):
        return False
    return not ("Not" in base or base == "Null")


def _value_bounds(operator: str, values: Sequence[Any]) -> bool:
    if not values:
        return False
    return not ("Like" in operator and any(str(v) in ("*", "**") for v in values))


def condition_bounds(condition: Mapping[str, Any], keys: Iterable[str] | None = None) -> bool:
    """Whether a Condition block really narrows who or what the statement applies to.

    With `keys`, only those condition keys count as narrowing (for "public" questions, only
    keys that pin the caller's identity or network place do). `aws:SourceIp` counts only for
    fixed ranges no wider than a /8 (IPv4) or /32 (IPv6): a world-wide range bounds nothing.
    """
    wanted = {k.lower() for k in keys} if keys is not None else None
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or not _operator_bounds(str(operator)):
            continue
        for key, raw in block.items():
            name = str(key).lower()
            if wanted is not None and name not in wanted:
                continue
            values = as_list(raw)
            if not _value_bounds(str(operator), values):
                continue
            if name == "aws:sourceip" and not _fixed_ranges(values):
                continue
            if any("${" in str(v) for v in values):
                continue
            return True
    return False


def _fixed_ranges(values: Sequence[Any]) -> bool:
    for value in values:
        try:
            network = ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            return False
        widest = 8 if network.version == 4 else 32
        if network.prefixlen < widest:
            return False
    return True

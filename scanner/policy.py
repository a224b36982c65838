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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from scanner.model import Policy

VARIABLE = re.compile(r"\$\{([^}]+)\}")


@lru_cache(maxsize=65536)
def _glob(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    return re.compile(_glob_source(pattern), re.DOTALL | (re.IGNORECASE if case_insensitive else 0))


def _glob_source(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action globbing: `*` and `?`, case-insensitive."""
    return _glob(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str, variables: Mapping[str, str]) -> bool:
    """ARN globbing with policy variables (`${aws:username}`) resolved for the caller.

    A variable that cannot be resolved makes the pattern match nothing, as IAM does when the
    request carries no value for it (policy_audit reports each such place). The values of
    resolved variables, and IAM's escapes `${*}`, `${?}` and `${$}`, match literally.
    """
    if "${" not in pattern:
        return _glob(pattern, False).fullmatch(resource) is not None
    source = _resolve(pattern, variables)
    if source is None:
        return False
    return re.fullmatch(source, resource, re.DOTALL) is not None


def _resolve(pattern: str, variables: Mapping[str, str]) -> str | None:
    """The regular expression for a pattern holding variables, or None if one is unknown."""
    parts: list[str] = []
    position = 0
    for match in VARIABLE.finditer(pattern):
        parts.append(_glob_source(pattern[position : match.start()]))
        name = match.group(1)
        value = name if name in ("*", "?", "$") else variables.get(name.lower())
        if value is None:
            return None
        parts.append(re.escape(value))
        position = match.end()
    parts.append(_glob_source(pattern[position:]))
    return "".join(parts)


def as_list(value: Any) -> list[Any]:
    """IAM lets most fields be a single value or a list; always give a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


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
    """The policies that decide a principal's power: its own, its groups', its boundary.

    `context` holds request values known for every request this principal could make (for an
    escalation, the service a role is passed to); conditions on those keys are evaluated,
    conditions on other keys make a grant conditional.
    """

    identity: list[Policy] = field(default_factory=list)
    boundary: list[Policy] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    summaries: Summaries | None = None
    guardrails: list[list[Policy]] = field(default_factory=list)
    _named: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def evaluate(
        self, action: str, resource: str | None, context: Mapping[str, str] | None = None
    ) -> Decision:
        """Evaluate as IAM does: explicit Deny, then Allow, then the permission boundary.

        A `resource` of None asks whether the action is allowed on some resource (for service
        actions whose resources do not exist yet, such as a function about to be created).
        """
        known = context or {}
        denied, unless = self._denied(action, resource, known)
        if denied or not self._within_guardrails(action, resource, known):
            return DENIED

        allowed = _allow(self, self.identity, action, resource, known)
        if allowed.allowed and self.boundary:
            bounded = _allow(self, self.boundary, action, resource, known)
            if not bounded.allowed:
                return DENIED
            allowed = Decision(
                allowed=True,
                conditional=allowed.conditional or bounded.conditional,
                policies=allowed.policies,
                conditions=allowed.conditions + bounded.conditions,
            )
        if not allowed.allowed or not unless:
            return allowed
        # A Deny under a condition leaves the power only when the condition is false: the
        # grant is conditional, and the Deny's condition is kept as the proof's caveat.
        return Decision(
            allowed=True,
            conditional=True,
            policies=allowed.policies,
            conditions=allowed.conditions + tuple({"DeniedWhen": c} for c in unless),
        )

    def may_allow(self, action: str) -> bool:
        """A fast, resource-blind pre-check: does any Allow statement name the action at all.

        Without summaries, or for an action they do not cover, the answer is a safe yes.
        """
        if self.summaries is None or action not in self.summaries.actions:
            return True
        if self._named is None:
            self._named = frozenset().union(*(self.summaries.of(p) for p in self.identity))
        return action in self._named

    def statements_for(self, policy: Policy, action: str) -> list[dict[str, Any]]:
        if self.summaries is None:
            return statements(policy.document)
        return self.summaries.relevant(policy, action)

    def _within_guardrails(
        self, action: str, resource: str | None, context: Mapping[str, str]
    ) -> bool:
        """Service control policies: every level of the organization must allow the action."""
        return all(
            _allow(self, level, action, resource, context).allowed for level in self.guardrails
        )

    def _denied(
        self, action: str, resource: str | None, context: Mapping[str, str]
    ) -> tuple[bool, list[dict[str, Any]]]:
        """Whether an unconditional Deny applies, and the conditions of those that may."""
        unless: list[dict[str, Any]] = []
        guardrails = [policy for level in self.guardrails for policy in level]
        for policy in [*self.identity, *self.boundary, *guardrails]:
            for statement in self.statements_for(policy, action):
                if statement.get("Effect") != "Deny" or not statement_covers_action(
                    statement, action
                ):
                    continue
                if resource is None:
                    applies = covers_every_resource(statement)
                else:
                    applies = statement_covers_resource(statement, resource, self.variables)
                if not applies:
                    continue
                condition = statement.get("Condition")
                verdict = condition_holds(condition, context) if condition else True
                if verdict is True:
                    return True, []
                if verdict is None and condition:
                    unless.append(condition)
        return False, unless


class Summaries:
    """Which of a fixed list of actions each policy's Allow statements name, computed once.

    Escalation and admin checks ask the same few dozen actions of every principal; a summary
    rules most principals out without evaluating a statement. Keyed by policy id, so one
    instance serves one snapshot.
    """

    def __init__(self, actions: Iterable[str]):
        self.actions = tuple(sorted(set(actions)))
        self._policies: dict[str, frozenset[str]] = {}
        self._patterns: dict[str, frozenset[str]] = {}
        self._tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._full: dict[str, list[dict[str, Any]]] = {}

    def relevant(self, policy: Policy, action: str) -> list[dict[str, Any]]:
        """The statements of a policy that can cover `action`: those of its service, plus
        those whose action pattern spans services (`*`, `NotAction`)."""
        table = self._tables.get(policy.id)
        if table is None:
            table = _by_service(policy.document)
            self._tables[policy.id] = table
        service = action.split(":", 1)[0].lower()
        return [*table.get(service, ()), *table.get("*", ())]

    def full_grants(self, policy: Policy) -> list[dict[str, Any]]:
        """Allow statements of every action on every resource."""
        found = self._full.get(policy.id)
        if found is None:
            found = [
                s
                for s in statements(policy.document)
                if s.get("Effect") == "Allow"
                and allows_every_action(s)
                and covers_every_resource(s)
            ]
            self._full[policy.id] = found
        return found

    def of(self, policy: Policy) -> frozenset[str]:
        found = self._policies.get(policy.id)
        if found is None:
            found = frozenset().union(
                *(
                    self._statement(s)
                    for s in statements(policy.document)
                    if s.get("Effect") == "Allow"
                )
            )
            self._policies[policy.id] = found
        return found

    def _statement(self, statement: Mapping[str, Any]) -> frozenset[str]:
        if "NotAction" in statement:
            excluded = frozenset().union(
                *(self._pattern(str(p)) for p in as_list(statement["NotAction"]))
            )
            return frozenset(self.actions) - excluded
        return frozenset().union(*(self._pattern(str(p)) for p in as_list(statement.get("Action"))))

    def _pattern(self, pattern: str) -> frozenset[str]:
        found = self._patterns.get(pattern)
        if found is None:
            found = frozenset(a for a in self.actions if action_matches(pattern, a))
            self._patterns[pattern] = found
        return found


def _by_service(document: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    table: dict[str, list[dict[str, Any]]] = {}
    for statement in statements(document):
        patterns = [] if "NotAction" in statement else as_list(statement.get("Action"))
        services = {str(p).split(":", 1)[0].lower() for p in patterns} or {"*"}
        if any("*" in svc or "?" in svc for svc in services):
            services = {"*"}
        for service in services:
            table.setdefault(service, []).append(statement)
    return table


def _allow(
    policy_set: PolicySet,
    policies: Iterable[Policy],
    action: str,
    resource: str | None,
    context: Mapping[str, str],
) -> Decision:
    """Find the Allow statements for the request; unconditional ones win over conditional."""
    variables = policy_set.variables
    granting: list[str] = []
    conditions: list[dict[str, Any]] = []
    unconditional: list[str] = []
    for policy in policies:
        for statement in policy_set.statements_for(policy, action):
            if statement.get("Effect") != "Allow":
                continue
            if not statement_covers_action(statement, action):
                continue
            if resource is not None and not statement_covers_resource(
                statement, resource, variables
            ):
                continue
            condition: dict[str, Any] = statement.get("Condition") or {}
            verdict = condition_holds(condition, context) if condition else True
            if verdict is False:
                continue
            if verdict is None and condition_bounds(condition):
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


STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringEqualsIgnoreCase": lambda value, pattern: value.lower() == pattern.lower(),
    "StringLike": lambda value, pattern: _glob(pattern, False).fullmatch(value) is not None,
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": lambda value, pattern: _glob(pattern, False).fullmatch(value) is not None,
}


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool | None:
    """Evaluate a Condition block against known request values.

    True or False when every key it tests is in `context` and every operator is one this
    evaluator knows; None when the outcome depends on something the scan cannot know.
    """
    if not context:
        return None
    outcome: bool | None = True
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            return None
        for key, raw in block.items():
            verdict = _test(str(operator), str(key).lower(), as_list(raw), context)
            if verdict is False:
                return False
            if verdict is None:
                outcome = None
    return outcome


def _test(
    operator: str, key: str, values: Sequence[Any], context: Mapping[str, str]
) -> bool | None:
    if key not in context:
        return None
    base = operator.split(":")[-1].removesuffix("IfExists")
    negated = "Not" in base
    compare = STRING_OPERATORS.get(base.replace("Not", ""))
    if compare is None:
        return None
    hit = any(compare(context[key], str(v)) for v in values)
    return not hit if negated else hit


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

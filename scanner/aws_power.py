"""Who holds administrator power in an AWS account, and who may assume which role.

Administrator power is any action on any resource, or the IAM actions by which a principal
grants itself that (attaching or putting a policy on itself or on a group it is in, or
rewriting a policy it already holds). A policy such as PowerUserAccess, which leaves IAM out,
is not administrator power on its own. Names never decide: only evaluated statements do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.model import Grant, Policy, Principal, Snapshot, Trust
from scanner.policy import (
    Decision,
    PolicySet,
    Summaries,
    allows_every_action,
    covers_every_resource,
    statements,
)

# The IAM actions that let a principal grant itself any permission, by the kind of resource
# they act on. Evaluated against the principal's own ARN (or its groups' ARNs).
SELF_GRANT_ACTIONS = {
    "user": ("iam:PutUserPolicy", "iam:AttachUserPolicy"),
    "role": ("iam:PutRolePolicy", "iam:AttachRolePolicy"),
    "group": ("iam:PutGroupPolicy", "iam:AttachGroupPolicy"),
}
# Rewriting a customer-managed policy the principal already holds is the same power.
POLICY_REWRITE_ACTIONS = ("iam:CreatePolicyVersion",)
SET_DEFAULT = "iam:SetDefaultPolicyVersion"
BASE_ACTIONS = (
    *(a for actions in SELF_GRANT_ACTIONS.values() for a in actions),
    *POLICY_REWRITE_ACTIONS,
    SET_DEFAULT,
    "sts:AssumeRole",
)


@dataclass(frozen=True)
class AdminPower:
    """Why a principal is an administrator: the actions, the policies, and any condition."""

    how: str
    actions: tuple[str, ...]
    policies: tuple[str, ...]
    conditional: bool = False
    conditions: tuple[dict[str, Any], ...] = ()


@dataclass
class IamIndex:
    """Snapshot records keyed for constant-time lookups while the graph is built."""

    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    grants: dict[str, list[Grant]] = field(default_factory=dict)
    trusts: dict[str, list[Trust]] = field(default_factory=dict)
    summaries: Summaries = field(default_factory=lambda: Summaries(BASE_ACTIONS))
    _sets: dict[str, PolicySet] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot, actions: Iterable[str] = ()) -> IamIndex:
        index = cls(summaries=Summaries((*BASE_ACTIONS, *actions)))
        index.principals = {p.id: p for p in snapshot.principals}
        index.policies = {p.id: p for p in snapshot.policies}
        for grant in snapshot.grants:
            index.grants.setdefault(grant.principal, []).append(grant)
        for trust in snapshot.trusts:
            index.trusts.setdefault(trust.role, []).append(trust)
        return index

    def held(self, principal: str, kinds: tuple[str, ...] = ("inline", "attached")) -> list[Policy]:
        """The policies granted to one principal, of the given grant kinds.

        A grant naming a policy the snapshot does not hold (an AWS-managed policy that the
        export left out) is skipped here; the graph records it as a missing policy.
        """
        return [
            self.policies[grant.policy]
            for grant in self.grants.get(principal, [])
            if grant.kind in kinds and grant.policy in self.policies
        ]

    def guardrails(self, account: str) -> list[list[Policy]]:
        """The account's service control policies, one list per organization level."""
        levels: dict[str, list[Policy]] = {}
        for grant in self.grants.get(f"arn:aws:iam::{account}:root", []):
            if grant.kind == "scp" and grant.policy in self.policies:
                levels.setdefault(grant.scope or "", []).append(self.policies[grant.policy])
        return [levels[key] for key in sorted(levels, key=lambda k: int(k.split(":")[0] or 0))]

    def policy_set(self, principal: Principal) -> PolicySet:
        """The policies IAM evaluates for this principal's own requests (built once)."""
        found = self._sets.get(principal.id)
        if found is None:
            identity = self.held(principal.id)
            for group in principal.groups:
                identity.extend(self.held(group))
            found = PolicySet(
                identity=identity,
                boundary=self.held(principal.id, ("boundary",)),
                variables=_variables(principal),
                summaries=self.summaries,
                guardrails=self.guardrails(principal.account),
            )
            self._sets[principal.id] = found
        return found


def _variables(principal: Principal) -> dict[str, str]:
    values = {"aws:principaltype": principal.kind.capitalize()}
    if principal.kind == "user":
        values["aws:username"] = principal.name
    return values


def admin_power(principal: Principal, policy_set: PolicySet) -> AdminPower | None:
    """Decide whether a principal holds administrator power, and by which statements."""
    full = _full_power(principal, policy_set)
    if full is not None:
        return full
    return _self_grant_power(principal, policy_set)


def _full_power(principal: Principal, policy_set: PolicySet) -> AdminPower | None:
    summaries = policy_set.summaries
    granting = [
        policy.id
        for policy in policy_set.identity
        for statement in (
            summaries.full_grants(policy) if summaries is not None else statements(policy.document)
        )
        if statement.get("Effect") == "Allow"
        and allows_every_action(statement)
        and covers_every_resource(statement)
    ]
    if not granting:
        return None

    # Every action on every resource holds only if no Deny or boundary takes IAM away.
    probes = SELF_GRANT_ACTIONS.get(principal.kind, SELF_GRANT_ACTIONS["user"])
    decisions = [policy_set.evaluate(action, principal.id) for action in probes]
    if not all(d.allowed for d in decisions):
        return None
    return AdminPower(
        how="all actions on all resources",
        actions=("*",),
        policies=tuple(dict.fromkeys(granting)),
        conditional=any(d.conditional for d in decisions),
        conditions=_unique(c for d in decisions for c in d.conditions),
    )


def _unique(conditions: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    seen: dict[str, dict[str, Any]] = {}
    for condition in conditions:
        seen.setdefault(json.dumps(condition, sort_keys=True), condition)
    return tuple(seen.values())


def _self_grant_power(principal: Principal, policy_set: PolicySet) -> AdminPower | None:
    targets: list[tuple[str, str]] = [
        (action, principal.id) for action in SELF_GRANT_ACTIONS.get(principal.kind, ())
    ]
    for group in principal.groups:
        targets.extend((action, group) for action in SELF_GRANT_ACTIONS["group"])
    for policy in policy_set.identity:
        if policy.managed_by == "customer":
            targets.extend((action, policy.id) for action in POLICY_REWRITE_ACTIONS)

    for action, resource in targets:
        if not policy_set.may_allow(action):
            continue
        decision = policy_set.evaluate(action, resource)
        if decision.allowed:
            return _from_decision(f"can run {action} on {resource}", action, decision)
    return _older_version_power(principal, policy_set)


def _older_version_power(principal: Principal, policy_set: PolicySet) -> AdminPower | None:
    """iam:SetDefaultPolicyVersion on a held policy whose older version grants admin power."""
    if not policy_set.may_allow(SET_DEFAULT):
        return None
    for policy in policy_set.identity:
        decision = policy_set.evaluate(SET_DEFAULT, policy.id) if policy.other_versions else None
        if decision is None or not decision.allowed:
            continue
        if older_version_grants_admin(principal, policy_set, policy):
            how = f"can set an older version of {policy.id} as default ({SET_DEFAULT})"
            return _from_decision(how, SET_DEFAULT, decision)
    return None


def older_version_grants_admin(principal: Principal, policy_set: PolicySet, policy: Policy) -> bool:
    """Whether making one of `policy`'s other versions the default makes `principal` an admin."""
    return any(
        _version_grants_admin(principal, policy_set, policy, v) for v in policy.other_versions
    )


def _version_grants_admin(
    principal: Principal, policy_set: PolicySet, policy: Policy, version: dict[str, Any]
) -> bool:
    swapped = policy.model_copy(update={"document": version})
    # Versions are cleared on the trial set, so the check does not recurse into other policies.
    identity = [
        (swapped if p.id == policy.id else p).model_copy(update={"other_versions": ()})
        for p in policy_set.identity
    ]
    # Without summaries: they describe the default versions, not this one.
    trial = replace(policy_set, identity=identity, summaries=None, _named=None)
    return (
        _full_power(principal, trial) is not None or _self_grant_power(principal, trial) is not None
    )


def _from_decision(how: str, action: str, decision: Decision) -> AdminPower:
    return AdminPower(
        how=how,
        actions=(action,),
        policies=decision.policies,
        conditional=decision.conditional,
        conditions=decision.conditions,
    )


@dataclass(frozen=True)
class AssumeEdge:
    """One principal (or outside trustee) that can assume a role, and why."""

    source: str
    role: str
    why: str
    conditions: Mapping[str, Any]
    external: bool = False
    people: bool = True


def assume_edges(index: IamIndex, accounts: set[str]) -> list[AssumeEdge]:
    """Apply IAM's rules for sts:AssumeRole to every trust in the snapshot.

    Within one account, a trust naming the principal is enough; a trust in the account root
    needs the caller's own permission for sts:AssumeRole on the role; a trustee in an account
    outside the snapshot is recorded as external. Service principals reach a role only
    through the services, not as people.
    """
    edges: list[AssumeEdge] = []
    callers = [p for p in index.principals.values() if p.kind in ("user", "role")]
    policy_sets = {p.id: index.policy_set(p) for p in callers}
    for _role, trusts in sorted(index.trusts.items()):
        for trust in trusts:
            edges.extend(_edges_for_trust(index, trust, accounts, callers, policy_sets))
    return edges


def _edges_for_trust(
    index: IamIndex,
    trust: Trust,
    accounts: set[str],
    callers: list[Principal],
    policy_sets: dict[str, PolicySet],
) -> list[AssumeEdge]:
    role_account = trust.role.split(":")[4]
    conditions = trust.conditions
    if trust.trustee_kind in ("service", "federated", "any"):
        return [
            AssumeEdge(
                source=trust.trustee,
                role=trust.role,
                why=f"trust policy names {trust.trustee_kind} {trust.trustee}",
                conditions=conditions,
                external=trust.trustee_kind == "any",
                people=trust.trustee_kind != "service",
            )
        ]

    trustee_account = trust.trustee.split(":")[4] if trust.trustee.startswith("arn:") else ""
    if trustee_account not in accounts:
        return [
            AssumeEdge(
                source=trust.trustee,
                role=trust.role,
                why=f"trust policy names {trust.trustee}, outside the scanned accounts",
                conditions=conditions,
                external=True,
            )
        ]

    cross_account = trustee_account != role_account
    if trust.trustee_kind == "aws":
        caller_id = _session_role(trust.trustee)
        caller = index.principals.get(caller_id)
        if caller is None:
            return []
        if (
            cross_account
            and not policy_sets[caller.id].evaluate("sts:AssumeRole", trust.role).allowed
        ):
            return []
        return [AssumeEdge(caller.id, trust.role, "trust policy names it", conditions)]

    # A trust in the account root delegates to that account's own policies.
    return [
        AssumeEdge(p.id, trust.role, "account root trusted and own policy allows it", conditions)
        for p in callers
        if p.account == trustee_account
        and p.id != trust.role
        and policy_sets[p.id].may_allow("sts:AssumeRole")
        and policy_sets[p.id].evaluate("sts:AssumeRole", trust.role).allowed
    ]


def _session_role(trustee: str) -> str:
    """Map an assumed-role session ARN to its role's ARN; other ARNs pass unchanged."""
    if ":assumed-role/" not in trustee:
        return trustee
    account = trustee.split(":")[4]
    role_name = trustee.split(":assumed-role/", 1)[1].split("/", 1)[0]
    return f"arn:aws:iam::{account}:role/{role_name}"

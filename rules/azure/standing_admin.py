"""standing-admin on Azure: permanent privileged role assignments, Entra roles included.

A role is privileged by what its definition allows (actions minus notActions, wildcards
expanded), never by its name: a role that can write role assignments is administrator power,
a role that can write everything else (Contributor) is standing privilege of lower severity.
Only active assignments with no end date count: PIM-eligible and time-bound ones do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rules.base import Context, RuleInfo
from scanner.azure.graph_step import admin_node
from scanner.azure.index import AzureIndex, PrivilegedGrant
from scanner.findings import Finding, Severity, make_finding

RATIONALE = (
    "Zero Trust grants privilege just in time. A permanent Owner, User Access Administrator "
    "or Global Administrator assignment is usable by anyone who takes over that identity, at "
    "any hour, without approval."
)
REMEDIATION = (
    "Make the assignment PIM-eligible and time-bound (activation with approval and MFA), or "
    "replace it with a narrower role at a narrower scope."
)


def _info(detail: str, title: str, severity: Severity) -> RuleInfo:
    return RuleInfo(f"standing-admin/{detail}", title, severity, RATIONALE, REMEDIATION)


class StandingAdmin:
    """Principals with permanent privileged roles, group members and application owners."""

    family = "standing-admin"
    rules = (
        _info("direct", "Principal holds a privileged Azure role permanently", Severity.HIGH),
        _info("group", "Member of a group that holds a privileged role permanently", Severity.HIGH),
        _info("app-owner", "Owner of an application whose identity is privileged", Severity.HIGH),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        index = AzureIndex.of(context.graph.snapshot)
        held = [h for h in index.privileged() if h.standing]
        yield from _holders(index, held)
        yield from _owners(context, index, held)


def _severity(items: list[PrivilegedGrant]) -> Severity:
    if any(h.power == "admin" and h.grant.condition is None for h in items):
        return Severity.HIGH
    return Severity.MEDIUM


def _holders(index: AzureIndex, held: list[PrivilegedGrant]) -> Iterator[Finding]:
    by_holder: dict[tuple[str, str], list[PrivilegedGrant]] = {}
    for item in held:
        by_holder.setdefault((item.grant.principal, item.account), []).append(item)
    for (holder, account), items in sorted(by_holder.items()):
        yield _finding(index, holder, holder, account, items)
        for member in sorted(index.members.get(holder, [])):
            yield _finding(index, member, holder, account, items)


def _finding(
    index: AzureIndex, principal: str, holder: str, account: str, items: list[PrivilegedGrant]
) -> Finding:
    route = "direct" if principal == holder else "group"
    roles_text = ", ".join(sorted({h.role_name for h in items}))
    via = "" if route == "direct" else f" through group {index.name(holder)}"
    conditional = all(h.grant.condition is not None for h in items)
    path = [principal] if route == "direct" else [principal, holder]
    return make_finding(
        f"standing-admin/{route}",
        provider="azure",
        account=account,
        resource=index.path(principal),
        principal=principal,
        severity=_severity(items),
        title=f"{index.name(principal)} holds {roles_text} permanently{via}",
        path=[*path, items[0].grant.policy, *_admin(items, account)],
        conditional=conditional,
        evidence={
            "route": route,
            "holder": holder,
            "holder_name": index.name(holder),
            "assignments": [_assignment(h) for h in items],
        },
    )


def _admin(items: list[PrivilegedGrant], account: str) -> list[str]:
    """The admin node ends the proof only when a role gives administrator power."""
    return [admin_node(account)] if any(h.power == "admin" for h in items) else []


def _assignment(held: PrivilegedGrant) -> dict[str, object]:
    return {
        "role": held.role_name,
        "role_definition_id": held.grant.policy,
        "scope": held.grant.scope,
        "power": held.power,
        "directory": held.directory,
        "condition": held.grant.condition,
    }


def _owners(context: Context, index: AzureIndex, held: list[PrivilegedGrant]) -> Iterator[Finding]:
    """Owners of applications whose service principal holds standing administrator power."""
    graph = context.graph
    admins = {(h.grant.principal, h.account) for h in held if h.power == "admin"}
    for app in sorted(index.principals.values(), key=lambda p: p.id):
        sp = index.service_principal_of(app) if app.kind == "application" else None
        if sp is None:
            continue
        for owner in app.tags.get("owners", "").split():
            if owner not in graph.g:
                continue
            path = graph.path_to_admin(owner)
            accounts = sorted(a for p, a in admins if p == sp.id)
            if path is None or sp.id not in path or not accounts:
                continue
            yield make_finding(
                "standing-admin/app-owner",
                provider="azure",
                account=accounts[0],
                resource=index.path(owner),
                principal=owner,
                severity=Severity.HIGH,
                title=(
                    f"{index.name(owner)} owns application {app.name}, whose service principal "
                    "holds administrator power: adding a credential to it escalates"
                ),
                path=path,
                evidence={
                    "route": "app-owner",
                    "holder": sp.id,
                    "holder_name": sp.name,
                    "application": app.id,
                    "assignments": [],
                },
            )

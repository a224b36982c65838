"""The GCP graph step: bindings, administrator power, and impersonation of service accounts.

Added to the engine's graph (node ids are IAM member strings such as `user:a@example.com`):
- node kind `binding` (id `SCOPE#ROLE`): one role bound at one resource;
- `grants` edges member -> binding; `admin` edges binding -> `gcp:<project>:administrator`;
- `assume` edges member -> service account (attr `why`, `permissions`, `conditions`) for each
  way a member can act as that service account;
- node attr `gcp_admin_routes` on every member with power: admin node -> [member, binding,
  admin node]. A binding on a folder or organization reaches every project below it.

Bindings that a condition ends before the snapshot was taken are gone; bindings whose
condition ends them later are time-bound, hence not standing, and add no edge.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import networkx as nx

from scanner.gcp.conditions import effective_condition
from scanner.gcp.names import Directory, admin_node, container_of, relative, service_account_of
from scanner.gcp.roles import RolePower, role_power
from scanner.model import Grant, Policy, Principal, Snapshot

MEMBER_KINDS = {
    "user": "user",
    "group": "group",
    "serviceAccount": "service-account",
    "domain": "domain",
    "principal": "federated-identity",
    "principalSet": "federated-identity",
}


@dataclass(frozen=True)
class Estate:
    """The GCP records of a snapshot, keyed for the graph step."""

    snapshot: Snapshot
    directory: Directory
    roles: dict[str, Policy]
    accounts: dict[str, Principal]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Estate:
        return cls(
            snapshot=snapshot,
            directory=Directory.of(snapshot),
            roles={p.id: p for p in snapshot.policies if p.provider == "gcp"},
            accounts={
                p.id: p
                for p in snapshot.principals
                if p.provider == "gcp" and p.kind == "service-account"
            },
        )

    def live_grants(self) -> list[Grant]:
        """Standing bindings: not of a deleted member, not ended or ending by a condition.

        A condition that ends a binding makes it time-bound (not standing) before the end and
        gone after it; either way it adds no edge. Basic roles cannot carry conditions.
        """
        found = []
        for grant in self.snapshot.grants:
            if grant.kind != "binding" or grant.principal.startswith("deleted:"):
                continue
            if grant.active_until is not None and effective_condition(
                grant.policy, grant.condition
            ):
                continue
            found.append(grant)
        return found

    def member_of_account(self, name: str) -> str:
        """The member string of a service account named by email or unique id."""
        for account in self.accounts.values():
            if account.tags.get("uniqueId") == name:
                return account.id
        return f"serviceAccount:{name}"

    def accounts_in(self, project: str) -> list[str]:
        return sorted(p.id for p in self.accounts.values() if p.account == project)


def member_kind(member: str) -> str:
    """The node kind of an IAM member string."""
    if member in ("allUsers", "allAuthenticatedUsers"):
        return "public"
    prefix = member.split(":", 1)[0]
    return MEMBER_KINDS.get(prefix, "member")


def disabled(principal: Principal | None) -> bool:
    """A disabled service account cannot authenticate, so it gives no power until re-enabled."""
    return principal is not None and principal.tags.get("disabled") == "true"


def extend_graph(g: nx.DiGraph, snapshot: Snapshot) -> None:
    """Add GCP bindings, admin edges and impersonation edges to the engine's graph."""
    if not any(s.provider == "gcp" for s in snapshot.scopes) and not any(
        grant.kind == "binding" for grant in snapshot.grants
    ):
        return
    estate = Estate.of(snapshot)
    for grant in estate.live_grants():
        power = role_power(grant.policy, estate.roles.get(grant.policy))
        _add_member(g, grant.principal, estate)
        if power.admin:
            _add_admin(g, grant, power, estate)
        if power.impersonation:
            _add_impersonation(g, grant, power, estate)
    _set_routes(g)


def _add_member(g: nx.DiGraph, member: str, estate: Estate) -> None:
    principal = estate.accounts.get(member)
    g.add_node(
        member,
        kind=member_kind(member),
        provider="gcp",
        name=member.split(":", 1)[-1],
        account=principal.account if principal else None,
        disabled=disabled(principal),
    )


def _conditions(grant: Grant) -> list[dict[str, Any]]:
    condition = effective_condition(grant.policy, grant.condition)
    return [] if condition is None else [dict(condition)]


def _add_admin(g: nx.DiGraph, grant: Grant, power: RolePower, estate: Estate) -> None:
    container = container_of(grant.scope or "")
    if container is None or disabled(estate.accounts.get(grant.principal)):
        return
    projects = estate.directory.projects_in(container) or [container]
    binding = f"{grant.scope}#{grant.policy}"
    g.add_node(binding, kind="binding", role=grant.policy, scope=grant.scope, provider="gcp")
    g.add_edge(grant.principal, binding, kind="grants", grant="binding")
    conditions = _conditions(grant)
    for project in projects:
        target = admin_node(project)
        g.add_node(target, kind="admin", provider="gcp")
        g.add_edge(
            binding,
            target,
            kind="admin",
            how=power.how,
            policies=[grant.policy],
            conditional=bool(conditions),
            conditions=conditions,
            container=container,
        )


def _add_impersonation(g: nx.DiGraph, grant: Grant, power: RolePower, estate: Estate) -> None:
    scope = grant.scope or ""
    container = container_of(scope)
    if container is not None:
        targets = [
            a for p in estate.directory.projects_in(container) for a in estate.accounts_in(p)
        ]
    else:
        found = service_account_of(scope)
        targets = [] if found is None else [estate.member_of_account(found[1])]
    if disabled(estate.accounts.get(grant.principal)):
        return
    for target in targets:
        if target == grant.principal or disabled(estate.accounts.get(target)):
            continue
        if target not in g:
            _add_member(g, target, estate)
        g.add_edge(
            grant.principal,
            target,
            kind="assume",
            provider="gcp",
            why=f"{grant.policy} on {relative(scope)}",
            permissions=sorted(power.impersonation),
            conditions=_conditions(grant)[0] if _conditions(grant) else {},
            people=True,
        )


def _set_routes(g: nx.DiGraph) -> None:
    """Record on each member the binding route to each admin node it holds directly."""
    for binding, data in list(g.nodes(data=True)):
        if data.get("kind") != "binding":
            continue
        members = [m for m, _, d in g.in_edges(binding, data=True) if d.get("kind") == "grants"]
        admins = [t for _, t, d in g.out_edges(binding, data=True) if d.get("kind") == "admin"]
        for member in members:
            routes = g.nodes[member].setdefault("gcp_admin_routes", {})
            for target in admins:
                route = [member, binding, target]
                if target not in routes or _rank(g, route) < _rank(g, routes[target]):
                    routes[target] = route
            if routes:
                g.nodes[member]["admin_route"] = routes[min(routes)]


def _rank(g: nx.DiGraph, route: list[str]) -> tuple[int, str]:
    """Prefer an unconditional binding, then the nearest container (a project over a folder)."""
    edge = g.edges[route[1], route[2]]
    container = str(edge.get("container", ""))
    depth = {"projects": 0, "folders": 1, "organizations": 2}.get(container.split("/")[0], 3)
    return (int(bool(edge.get("conditional"))) * 10 + depth, route[1])


def admin_paths(g: nx.DiGraph, member: str) -> dict[str, list[str]]:
    """The shortest proof of each admin node a member reaches, directly or by impersonation."""
    found: dict[str, list[str]] = {}
    seen = {member}
    queue: deque[list[str]] = deque([[member]])
    while queue:
        path = queue.popleft()
        for target, route in sorted(g.nodes[path[-1]].get("gcp_admin_routes", {}).items()):
            found.setdefault(target, [*path, *route[1:]])
        for _, nxt, data in sorted(g.out_edges(path[-1], data=True)):
            if nxt in seen or data.get("kind") != "assume" or data.get("provider") != "gcp":
                continue
            seen.add(nxt)
            queue.append([*path, nxt])
    return found

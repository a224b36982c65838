"""Azure's graph step: administrator power and escalation through applications.

Adds, for each scope (subscription, management group or tenant), an admin node; an `admin`
edge from every principal holding a standing privileged role there; the route that proves a
group member's power through its group; and `assume` edges from an application's owners to
its service principal, because an owner can add a credential to the application and sign in
as it (Microsoft identity platform: "application and service principal objects").
"""

from __future__ import annotations

import networkx as nx

from scanner.azure.index import AzureIndex, PrivilegedGrant
from scanner.model import Snapshot


def admin_node(account: str) -> str:
    """The node that stands for administrator power over one Azure scope."""
    return f"azure:{account}:administrator"


def extend_graph(g: nx.DiGraph, snapshot: Snapshot) -> None:
    """Add Azure admin edges, group routes and application-owner escalation edges."""
    index = AzureIndex.of(snapshot)
    if not index.principals and not index.grants:
        return

    for held in index.privileged():
        if held.standing and held.power == "admin":
            _admin_edge(g, index, held)
    _owner_edges(g, index)


def _admin_edge(g: nx.DiGraph, index: AzureIndex, held: PrivilegedGrant) -> None:
    holder = held.grant.principal
    target = admin_node(held.account)
    g.add_node(target, kind="admin", provider="azure", account=held.account)
    if holder not in g:
        g.add_node(holder, kind="user", provider="azure")
    g.add_edge(
        holder,
        target,
        kind="admin",
        how=held.role_name,
        policies=[held.grant.policy],
        conditional=held.grant.condition is not None,
        conditions=[held.grant.condition] if held.grant.condition else [],
    )
    g.nodes[holder].setdefault("admin_route", [holder, target])
    for member in index.members.get(holder, []):
        if member in g:
            g.nodes[member].setdefault("admin_route", [member, holder, target])


def _owner_edges(g: nx.DiGraph, index: AzureIndex) -> None:
    for app in index.principals.values():
        if app.kind != "application":
            continue
        sp = index.service_principal_of(app)
        if sp is None or sp.id not in g:
            continue
        g.add_edge(app.id, sp.id, kind="assume", why="application of", people=True)
        for owner in app.tags.get("owners", "").split():
            if owner in g:
                g.add_edge(owner, app.id, kind="assume", why="owns the application", people=True)

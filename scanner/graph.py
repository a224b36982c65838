"""The graph engine: principals, credentials, grants, trust, network groups and data stores.

Node ids are canonical resource ids (ARNs). Node attribute `kind` says what a node is; edge
attribute `kind` says how two nodes are joined. Rules read the graph and return paths as proof.

Node kinds: user, group, role, root, federated-provider, service, external, policy,
credential, network-group, data-store, admin (one per account: "administrator power").
Edge kinds:
- member_of: user -> group
- grants: principal -> policy (attr `grant`: inline, attached or boundary)
- holds: principal -> credential
- assume: trustee -> role (attrs `why`, `conditions`, `external`, `people`)
- admin: principal -> admin node (attrs `how`, `policies`, `conditional`, `conditions`)
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx

from scanner.aws_power import AdminPower, IamIndex, admin_power, assume_edges
from scanner.escalation import ESCALATION_ACTIONS, Escalation
from scanner.model import Principal, Snapshot
from scanner.policy import PolicySet

log = logging.getLogger(__name__)

PERSON_KINDS = ("user", "federated-provider")


def admin_node(provider: str, account: str) -> str:
    """The id of the node that stands for administrator power over one account."""
    return f"{provider}:{account}:administrator"


@dataclass
class Graph:
    """The built graph and the snapshot it came from."""

    g: nx.DiGraph
    snapshot: Snapshot

    def kind(self, node: str) -> str:
        return str(self.g.nodes[node].get("kind", "unknown"))

    def edge(self, source: str, target: str) -> dict[str, Any]:
        return dict(self.g.edges[source, target])

    def nodes_of(self, *kinds: str) -> list[str]:
        return sorted(n for n, data in self.g.nodes(data=True) if data.get("kind") in kinds)

    def path_to_admin(self, start: str) -> list[str] | None:
        """Shortest path from a principal to administrator power, as proof.

        Breadth-first along what people can do: assume roles (not through service trust)
        and escalate. The first principal on the way that holds power contributes its own
        route (directly, or through the group that gives it); an escalation that grants a
        role power before assuming it names that role on the way.
        """
        seen = {start}
        queue: deque[list[str]] = deque([[start]])
        while queue:
            path = queue.popleft()
            route = self.g.nodes[path[-1]].get("admin_route")
            if route:
                return [*path, *route[1:]]
            for _, nxt, data in sorted(self.g.out_edges(path[-1], data=True)):
                kind = data.get("kind")
                if kind == "escalate" and self.kind(nxt) == "admin":
                    return [*path, *data.get("via", []), nxt]
                if nxt in seen or kind not in ("assume", "escalate"):
                    continue
                if kind == "assume" and not data.get("people", True):
                    continue
                seen.add(nxt)
                queue.append([*path, nxt])
        return None

    def hop(self, source: str, target: str) -> dict[str, Any]:
        """The edge that proves one hop of a path.

        An escalation that grants a role power and then assumes it is one edge from the
        escalating principal to the admin node, naming the role in `via`; the two hops of the
        path through that role both return it (the second with kind `escalate-via`).
        """
        for _, _, data in self.g.out_edges(source, data=True):
            if data.get("kind") == "escalate" and target in data.get("via", []):
                return dict(data)
        if self.g.has_edge(source, target):
            return self.edge(source, target)
        for _, _, data in self.g.in_edges(target, data=True):
            if data.get("kind") == "escalate" and data.get("via", [None])[-1] == source:
                return {**data, "kind": "escalate-via"}
        return {}


def build(snapshot: Snapshot) -> Graph:
    """Build the graph for a snapshot; pure, no cloud calls."""
    g: nx.DiGraph = nx.DiGraph()
    index = IamIndex.of(snapshot, ESCALATION_ACTIONS)

    _add_identities(g, snapshot, index)
    _add_admin_edges(g, index)
    _add_trust(g, snapshot, index)
    _add_escalation(g, snapshot, index)
    _add_network_and_data(g, snapshot)
    for extend in graph_extensions():
        extend(g, snapshot)

    log.debug("graph: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return Graph(g=g, snapshot=snapshot)


def graph_extensions() -> list[Callable[[nx.DiGraph, Snapshot], None]]:
    """Provider-specific graph steps (escalation through service accounts, and the like)."""
    from scanner.providers import PROVIDERS

    return [p.extend_graph for p in PROVIDERS.values() if p.extend_graph is not None]


def _add_identities(g: nx.DiGraph, snapshot: Snapshot, index: IamIndex) -> None:
    for principal in snapshot.principals:
        g.add_node(
            principal.id,
            kind=principal.kind,
            name=principal.name,
            account=principal.account,
            provider=principal.provider,
        )
    for principal in snapshot.principals:
        for group in principal.groups:
            g.add_edge(principal.id, group, kind="member_of")
    for policy in snapshot.policies:
        g.add_node(policy.id, kind="policy", name=policy.name, managed_by=policy.managed_by)
    for grant in snapshot.grants:
        if grant.policy not in index.policies:
            g.add_node(grant.policy, kind="policy", missing=True)
        g.add_edge(grant.principal, grant.policy, kind="grants", grant=grant.kind)
    for credential in snapshot.credentials:
        g.add_node(credential.id, kind="credential", active=credential.active)
        g.add_edge(credential.owner, credential.id, kind="holds")


def _add_admin_edges(g: nx.DiGraph, index: IamIndex) -> None:
    """Add admin edges and record on each admin principal the route that proves its power.

    A user whose power comes from one group alone reaches the admin node through that group,
    so the proof shows the group; the user's permission boundary still applies to it.
    """
    for principal in sorted(index.principals.values(), key=lambda p: p.id):
        if principal.provider != "aws" or principal.kind not in ("user", "group", "role"):
            continue
        if principal.kind == "group":
            power = admin_power(
                principal,
                PolicySet(identity=index.held(principal.id), summaries=index.summaries),
            )
        else:
            power = admin_power(principal, index.policy_set(principal))
        if power is None:
            continue

        target = admin_node(principal.provider, principal.account)
        group = _sole_group_source(index, principal) if principal.kind == "user" else None
        if group is None:
            _add_admin_edge(g, principal.id, target, power)
            g.nodes[principal.id]["admin_route"] = [principal.id, target]
        else:
            g.nodes[principal.id]["admin_route"] = [principal.id, group, target]


def _add_admin_edge(g: nx.DiGraph, source: str, target: str, power: AdminPower) -> None:
    g.add_node(target, kind="admin")
    g.add_edge(
        source,
        target,
        kind="admin",
        how=power.how,
        policies=list(power.policies),
        conditional=power.conditional,
        conditions=list(power.conditions),
    )


def _sole_group_source(index: IamIndex, user: Principal) -> str | None:
    """The group whose policies alone make the user an admin, unless its own policies do."""
    base = index.policy_set(user)
    own = replace(base, identity=index.held(user.id), _named=None)
    if admin_power(user.model_copy(update={"groups": ()}), own) is not None:
        return None
    for group in sorted(user.groups):
        alone = replace(base, identity=index.held(group), _named=None)
        if admin_power(user.model_copy(update={"groups": (group,)}), alone) is not None:
            return group
    return None


def _add_trust(g: nx.DiGraph, snapshot: Snapshot, index: IamIndex) -> None:
    accounts = {s.account for s in snapshot.scopes if s.provider == "aws"}
    accounts |= {p.account for p in snapshot.principals if p.provider == "aws"}
    for edge in assume_edges(index, accounts):
        if edge.source not in g:
            kind = "external" if edge.external else "service"
            if re.search(r"^arn:[^:]+:iam::\d+:(saml|oidc)-provider/", edge.source):
                kind = "federated-provider"
            g.add_node(edge.source, kind=kind)
        g.add_edge(
            edge.source,
            edge.role,
            kind="assume",
            why=edge.why,
            conditions=dict(edge.conditions),
            external=edge.external,
            people=edge.people,
        )


def _add_escalation(g: nx.DiGraph, snapshot: Snapshot, index: IamIndex) -> None:
    accounts = {p.account for p in snapshot.principals if p.provider == "aws"}
    admin_nodes = {account: admin_node("aws", account) for account in accounts}
    for node in admin_nodes.values():
        if node not in g:
            g.add_node(node, kind="admin")
    edges = Escalation(g, index).run(admin_nodes)
    g.graph["escalation_edges"] = edges


def _add_network_and_data(g: nx.DiGraph, snapshot: Snapshot) -> None:
    for group in snapshot.network_groups:
        g.add_node(group.id, kind="network-group", name=group.name, attachments=group.attachments)
    for store in snapshot.data_stores:
        g.add_node(store.id, kind="data-store", name=store.name, store=store.kind)

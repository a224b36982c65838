"""standing-admin: principals that hold administrator power all the time."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.graph import Graph

RATIONALE = (
    "Zero Trust grants privilege just in time and for a bounded task. A principal that holds "
    "administrator power all the time turns any stolen session or key into full control of "
    "the account."
)
REMEDIATION = (
    "Remove the administrator policy from the principal, group or role that holds it and grant "
    "elevated access through a time-bound, approved process (IAM Identity Center with "
    "temporary elevation, or a break-glass role behind MFA and alerting)."
)


def _info(detail: str, title: str, severity: Severity) -> RuleInfo:
    return RuleInfo(f"standing-admin/{detail}", title, severity, RATIONALE, REMEDIATION)


class StandingAdmin:
    """Users, group members, roles and federated providers that reach administrator power."""

    family = "standing-admin"
    rules = (
        _info("direct", "Principal holds administrator power directly", Severity.HIGH),
        _info("group", "User holds administrator power through a group", Severity.HIGH),
        _info("assume-role", "Principal can assume a role with administrator power", Severity.HIGH),
        _info("escalation", "Principal can escalate to administrator power", Severity.HIGH),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        graph = context.graph
        for node in graph.nodes_of("user", "role", "federated-provider"):
            if graph.g.nodes[node].get("provider", "aws") != "aws":
                continue
            path = graph.path_to_admin(node)
            if path is not None:
                yield from _finding(graph, node, path)


def _route(graph: Graph, path: list[str]) -> str:
    kinds = [graph.hop(a, b).get("kind") for a, b in itertools.pairwise(path)]
    if "escalate" in kinds:
        return "escalation"
    if len(path) == 2:
        return "direct"
    if "assume" in kinds:
        return "assume-role"
    return "group"


def proof(graph: Graph, path: list[str]) -> str:
    """The path in words: `user/ci -> pass a role to lambda (...) -> role/deploy -> ...`."""
    words = [_short(graph, path[0])]
    for source, target in itertools.pairwise(path):
        hop = graph.hop(source, target)
        kind = hop.get("kind")
        if kind == "escalate":
            words.append(f"{hop.get('how')} ({' + '.join(hop.get('actions', []))})")
        elif kind == "assume":
            words.append("sts:AssumeRole")
        elif kind == "member_of":
            words.append("member of")
        words.append(_short(graph, target))
    return " -> ".join(words)


def _short(graph: Graph, node: str) -> str:
    if graph.kind(node) == "admin":
        return "administrator"
    return node.split(":", 5)[-1] if node.startswith("arn:") else node


def _finding(graph: Graph, principal: str, path: list[str]) -> Iterator[Finding]:
    route = _route(graph, path)
    holder, power = _decisive_hop(graph, path)
    conditions = _path_conditions(graph, path)
    data = graph.g.nodes[principal]
    account = str(data.get("account") or principal.split(":")[4])
    name = str(data.get("name") or principal.rsplit("/", 1)[-1])
    kind = graph.kind(principal).replace("-", " ")

    via = {
        "direct": "",
        "group": " through a group",
        "assume-role": " by assuming a role",
        "escalation": " by privilege escalation",
    }[route]
    title = f"{kind} {name} holds administrator power{via}"
    if conditions:
        title += " (only under a condition)"
    yield make_finding(
        f"standing-admin/{route}",
        provider="aws",
        account=account,
        resource=principal,
        principal=principal,
        severity=Severity.MEDIUM if conditions else Severity.HIGH,
        title=title,
        path=path,
        conditional=bool(conditions),
        evidence={
            "route": route,
            "holder": holder,
            "holder_name": str(graph.g.nodes[holder].get("name") or holder.rsplit("/", 1)[-1]),
            "admin_policies": list(power.get("policies", [])),
            "how": power.get("how"),
            "conditions": conditions,
            "also_held_by": _other_holders(graph, principal, holder),
            "proof": proof(graph, path),
        },
    )


def _decisive_hop(graph: Graph, path: list[str]) -> tuple[str, dict[str, Any]]:
    """The principal whose grant is the problem to fix, and the edge that grants it.

    For an escalation, that is the first escalation step (removing the escalating
    permission closes the path); otherwise the principal holding the administrator policy.
    """
    for source, target in itertools.pairwise(path):
        hop = graph.hop(source, target)
        if hop.get("kind") == "escalate":
            return source, hop
    return path[-2], graph.hop(path[-2], path[-1])


def _other_holders(graph: Graph, principal: str, holder: str) -> list[str]:
    """Groups of the principal that grant administrator power too: fixing one is not enough."""
    return sorted(
        group
        for _, group, data in graph.g.out_edges(principal, data=True)
        if data.get("kind") == "member_of"
        and group != holder
        and any(d.get("kind") == "admin" for _, _, d in graph.g.out_edges(group, data=True))
    )


def _path_conditions(graph: Graph, path: list[str]) -> list[dict[str, object]]:
    """Conditions along the proof: on trust edges and on the admin grant itself."""
    found: list[dict[str, object]] = []
    for source, target in itertools.pairwise(path):
        data = graph.hop(source, target)
        if data.get("kind") == "assume" and data.get("conditions"):
            found.append(dict(data["conditions"]))
        if data.get("kind") in ("admin", "escalate") and data.get("conditional"):
            found.extend(data.get("conditions", []))
    return found

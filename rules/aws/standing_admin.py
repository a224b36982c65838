"""standing-admin: principals that hold administrator power all the time."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

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
    if len(path) == 2:
        return "direct"
    if any(graph.kind(n) == "role" for n in path[1:-1]):
        return "assume-role"
    return "group"


def _finding(graph: Graph, principal: str, path: list[str]) -> Iterator[Finding]:
    route = _route(graph, path)
    holder = path[-2]
    power = graph.edge(holder, path[-1])
    conditions = _path_conditions(graph, path)
    data = graph.g.nodes[principal]
    account = str(data.get("account") or principal.split(":")[4])
    name = str(data.get("name") or principal.rsplit("/", 1)[-1])
    kind = graph.kind(principal).replace("-", " ")

    via = {"direct": "", "group": " through a group", "assume-role": " by assuming a role"}[route]
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
        },
    )


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
        if not graph.g.has_edge(source, target):
            continue
        data = graph.edge(source, target)
        if data.get("kind") == "assume" and data.get("conditions"):
            found.append(dict(data["conditions"]))
        if data.get("kind") == "admin" and data.get("conditional"):
            found.extend(data.get("conditions", []))
    return found

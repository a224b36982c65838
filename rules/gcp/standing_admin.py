"""standing-admin on GCP: members that hold administrator power over a project all the time.

Power comes from a binding at the project (`/direct`), at a folder or the organization above
it (`/inherited`), or by impersonating a service account that holds it (`/impersonation`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.gcp.graph import admin_paths
from scanner.gcp.names import account_of_admin
from scanner.graph import Graph

RATIONALE = (
    "Zero Trust grants privilege just in time and for a bounded task. A member that holds "
    "owner, editor or IAM administration all the time turns any stolen session or key into "
    "control of the project."
)
REMEDIATION = (
    "Remove the binding, or replace a basic role with the predefined role the task needs, "
    "bound with an IAM condition that ends it (`request.time < timestamp(...)`), or granted "
    "through Privileged Access Manager."
)
KINDS = ("user", "group", "service-account", "domain", "federated-identity", "public", "member")


def _info(detail: str, title: str) -> RuleInfo:
    return RuleInfo(f"standing-admin/{detail}", title, Severity.HIGH, RATIONALE, REMEDIATION)


class StandingAdmin:
    """Members with a standing route to a project's administrator node."""

    family = "standing-admin"
    rules = (
        _info("direct", "Member holds an administrator role on the project"),
        _info("inherited", "Member holds an administrator role on a folder or organization"),
        _info("impersonation", "Member can impersonate a service account with admin power"),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        graph = context.graph
        for node in graph.nodes_of(*KINDS):
            data = graph.g.nodes[node]
            if data.get("provider") != "gcp" or data.get("disabled") or google_managed(node):
                continue
            for target, path in sorted(admin_paths(graph.g, node).items()):
                yield from _finding(graph, node, target, path)


# Google's own service agents: Google grants them roles (the Google APIs agent holds Editor by
# default) and a project owner cannot take those grants back without breaking the services.
GOOGLE_AGENTS = re.compile(
    r"^serviceAccount:(\d+@cloudservices\.gserviceaccount\.com"
    r"|service-\d+@[a-z0-9-]+\.iam\.gserviceaccount\.com"
    r"|\d+@cloudbuild\.gserviceaccount\.com)$"
)


def google_managed(member: str) -> bool:
    """Whether a member is a Google-managed service agent rather than the customer's own."""
    return GOOGLE_AGENTS.match(member) is not None


def _route(graph: Graph, path: list[str]) -> str:
    if len(path) > 3:
        return "impersonation"
    edge = graph.edge(path[-2], path[-1])
    return "direct" if str(edge.get("container", "")).startswith("projects/") else "inherited"


def _finding(graph: Graph, member: str, target: str, path: list[str]) -> Iterator[Finding]:
    route = _route(graph, path)
    binding = path[-2]
    holder = path[-3]
    power = graph.edge(binding, target)
    conditions = _conditions(graph, path)
    project = account_of_admin(target)
    role = str(graph.g.nodes[binding].get("role"))
    scope = str(graph.g.nodes[binding].get("scope"))
    name = member.split(":", 1)[-1]

    via = {
        "direct": f"{role} on the project",
        "inherited": f"{role} on {power.get('container')}",
        "impersonation": f"{role} through {holder.split(':', 1)[-1]}",
    }[route]
    title = f"{graph.kind(member).replace('-', ' ')} {name} holds administrator power ({via})"
    if conditions:
        title += " only under a condition"
    yield make_finding(
        f"standing-admin/{route}",
        provider="gcp",
        account=project,
        resource=member,
        principal=member,
        severity=Severity.MEDIUM if conditions else Severity.HIGH,
        title=title,
        path=path,
        conditional=bool(conditions),
        evidence={
            "route": route,
            "holder": holder,
            "holder_name": holder.split(":", 1)[-1],
            "role": role,
            "binding_scope": scope,
            "container": power.get("container"),
            "admin_policies": [role],
            "how": power.get("how"),
            "impersonation": _impersonation(graph, path),
            "conditions": conditions,
        },
    )


def _impersonation(graph: Graph, path: list[str]) -> list[dict[str, Any]]:
    steps = []
    for source, target in itertools.pairwise(path[:-2]):
        edge = graph.edge(source, target)
        steps.append(
            {
                "from": source,
                "to": target,
                "why": edge.get("why"),
                "permissions": edge.get("permissions"),
            }
        )
    return steps


def _conditions(graph: Graph, path: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for source, target in itertools.pairwise(path):
        edge = graph.edge(source, target)
        if edge.get("kind") == "assume" and edge.get("conditions"):
            found.append(dict(edge["conditions"]))
        if edge.get("kind") == "admin" and edge.get("conditional"):
            found.extend(edge.get("conditions", []))
    return found

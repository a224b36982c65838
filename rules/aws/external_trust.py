"""external-trust: roles that principals outside the scanned accounts, or anyone, may assume.

An administrator role trusted from outside is `standing-admin/external-trust`; any other role
is `external-trust`, less severe. Without the organization's account list, every account
outside this snapshot counts as outside the organization.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.graph import Graph

RATIONALE = (
    "Zero Trust verifies every caller. A role that another account, or anyone, may assume "
    "extends the account's perimeter to whoever controls that account."
)
REMEDIATION = (
    "Remove the external principal from the role's trust policy, or narrow it to a specific "
    "role in a known account with an sts:ExternalId condition and an organization condition."
)


class ExternalTrust:
    """Trust policies naming an account outside the snapshot, or `*`."""

    family = "external-trust"
    rules = (
        RuleInfo(
            "external-trust",
            "Role trusted from outside the scanned accounts",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "standing-admin/external-trust",
            "Administrator role trusted from outside the scanned accounts",
            Severity.CRITICAL,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        graph = context.graph
        for source, role, data in sorted(graph.g.edges(data=True)):
            if data.get("kind") == "assume" and data.get("external"):
                yield _finding(graph, source, role, data.get("conditions") or {})


def _finding(graph: Graph, trustee: str, role: str, conditions: dict[str, object]) -> Finding:
    admin = graph.path_to_admin(role) is not None
    anyone = trustee == "*"
    if admin:
        rule, severity = "standing-admin/external-trust", Severity.CRITICAL
    else:
        rule, severity = "external-trust", Severity.HIGH if anyone else Severity.MEDIUM
    if conditions and severity > Severity.LOW:
        severity = Severity(severity - 1)

    who = "anyone" if anyone else trustee
    name = role.rsplit("/", 1)[-1]
    title = f"Role {name}{' (administrator)' if admin else ''} can be assumed by {who}"
    if conditions:
        title += " under a condition"
    return make_finding(
        rule,
        provider="aws",
        account=role.split(":")[4],
        # One finding per trust relation: the role itself may carry a standing-admin finding.
        resource=f"{role}#trusted-by/{trustee}",
        principal=None if anyone else trustee,
        severity=severity,
        title=title,
        path=[trustee, role],
        conditional=bool(conditions),
        evidence={"role": role, "trustee": trustee, "conditions": conditions, "admin": admin},
    )

"""Drift: compare a scan with the previous one of the same scopes.

A finding is new or existing; a previous finding that is gone is resolved only when this scan
saw its scope completely. A finding under a collection gap stays unknown, never resolved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.findings import Finding, ResolvedFinding
from scanner.model import Gap, Snapshot

# Which collected services a rule family's findings rest on, per provider, to match findings
# with gaps. A gap whose service is "*" covers every family of its scope.
FAMILY_SERVICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("aws", "long-lived-key"): ("iam-credentials",),
    ("aws", "standing-admin"): ("iam",),
    ("aws", "open-egress"): ("ec2",),
    ("aws", "public-data"): ("s3",),
    ("gcp", "long-lived-key"): ("cloudasset-resource",),
    ("gcp", "standing-admin"): ("cloudasset-resource", "cloudasset-iam-policy"),
    ("gcp", "open-egress"): ("cloudasset-resource",),
    ("gcp", "public-data"): (
        "cloudasset-resource",
        "cloudasset-iam-policy",
        "cloudasset-org-policy",
    ),
    ("azure", "long-lived-key"): ("graph", "storage"),
    ("azure", "standing-admin"): ("authorization", "pim", "graph"),
    ("azure", "open-egress"): ("network",),
    ("azure", "public-data"): ("storage",),
    ("aws", "external-trust"): ("iam",),
}


@dataclass
class Drift:
    """The differences between two scans of the same scopes."""

    resolved: list[ResolvedFinding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)


def _covers(service: str, wanted: str) -> bool:
    """A gap or scope naming `iam` covers `iam-credentials` too; `*` covers everything."""
    return service in ("*", "all") or wanted == service or wanted.startswith(service + "-")


def hidden_by_gap(finding: Finding, gaps: Iterable[Gap]) -> bool:
    """Whether a gap in this scan covers the place a finding lives."""
    services = FAMILY_SERVICES.get((finding.provider, finding.family), ())
    for gap in gaps:
        if (gap.provider, gap.account) != (finding.provider, finding.account):
            continue
        if not any(_covers(gap.service, wanted) for wanted in services):
            continue
        if gap.region is None or finding.region is None or gap.region == finding.region:
            return True
    return False


def compare(
    previous: list[Finding] | None,
    current: list[Finding],
    *,
    current_snapshot: Snapshot,
    previous_snapshot: Snapshot | None = None,
) -> Drift:
    """Mark current findings new or existing and list what was resolved since `previous`.

    Only previous findings in the scopes this scan covers take part, so scanning one
    provider or account never resolves another's findings.
    """
    drift = Drift()
    scopes = current_snapshot.scope_keys()
    before = {f.id: f for f in previous or [] if (f.provider, f.account) in scopes}
    for finding in current:
        finding.status = "existing" if finding.id in before else "new"

    now_ids = {f.id for f in current}
    collected = {(s.provider, s.account): s.services for s in current_snapshot.scopes}
    for old in before.values():
        if old.id in now_ids:
            continue
        if hidden_by_gap(old, current_snapshot.gaps) or not _seen(
            old, collected[(old.provider, old.account)]
        ):
            drift.unknown.append(old.id)
            continue
        drift.resolved.append(_resolved(old))

    if previous_snapshot is not None:
        drift.changes = snapshot_changes(previous_snapshot, current_snapshot)
    return drift


def _seen(finding: Finding, services: tuple[str, ...]) -> bool:
    """Whether the scope's collection included what the finding's family rests on."""
    if not services:
        return True
    wanted = FAMILY_SERVICES.get((finding.provider, finding.family), ())
    # Exact names here: an export of authorization details ("iam") holds no credential report.
    return all(want in services or "*" in services for want in wanted)


def _resolved(finding: Finding) -> ResolvedFinding:
    return ResolvedFinding(
        id=finding.id,
        rule=finding.rule,
        provider=finding.provider,
        account=finding.account,
        resource=finding.resource,
        severity=finding.severity,
        title=finding.title,
    )


def snapshot_changes(old: Snapshot, new: Snapshot) -> dict[str, list[str]]:
    """New and removed principals, credentials and grants between two snapshots."""
    scopes = new.scope_keys()

    def ids(snapshot: Snapshot) -> dict[str, set[str]]:
        def keep(provider: str, account: str) -> bool:
            return (provider, account) in scopes

        return {
            "principals": {p.id for p in snapshot.principals if keep(p.provider, p.account)},
            "credentials": {
                c.id for c in snapshot.credentials if keep(c.provider, c.account) and c.active
            },
            "grants": {
                f"{g.principal} -> {g.policy}"
                for g in snapshot.grants
                if g.principal.split(":")[4:5] and keep("aws", g.principal.split(":")[4])
            },
        }

    before, after = ids(old), ids(new)
    changes: dict[str, list[str]] = {}
    for key in before:
        changes[f"new_{key}"] = sorted(after[key] - before[key])
        changes[f"removed_{key}"] = sorted(before[key] - after[key])
    return {k: v for k, v in changes.items() if v}

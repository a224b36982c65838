"""Run every rule family over a snapshot's graph, then join findings that make each other worse."""

from __future__ import annotations

import logging
from datetime import datetime

from rules import REGISTRY, Context, RuleSettings
from scanner import graph as graph_engine
from scanner.findings import Finding, Severity
from scanner.model import Snapshot

log = logging.getLogger(__name__)


def analyze(snapshot: Snapshot, *, now: datetime, settings: RuleSettings) -> list[Finding]:
    """All findings for a snapshot, sorted worst first; pure, no cloud calls."""
    built = graph_engine.build(snapshot)
    context = Context(graph=built, now=now, settings=settings)
    findings: list[Finding] = []
    for family in REGISTRY:
        found = list(family.evaluate(context))
        log.debug("%s: %d findings", family.family, len(found))
        findings.extend(found)

    _escalate_admin_keys(findings)
    return sort_findings(findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst severity first, then by rule and resource, so reports are stable."""
    return sorted(findings, key=lambda f: (-f.level, f.rule, f.account, f.resource))


def _escalate_admin_keys(findings: list[Finding]) -> None:
    """A long-lived key held by a standing admin is a standing admin key: both are critical."""
    admins = {f.principal: f for f in findings if f.family == "standing-admin" and f.principal}
    for key in findings:
        if key.family != "long-lived-key" or key.principal not in admins:
            continue
        admin = admins[key.principal]
        key.severity = Severity.CRITICAL.label  # type: ignore[assignment]
        key.title += " (the owner holds administrator power)"
        key.path = [*key.path[::-1], *admin.path[1:]]
        key.evidence["owner_is_admin"] = True
        if admin.severity != Severity.CRITICAL.label:
            admin.severity = Severity.CRITICAL.label  # type: ignore[assignment]
            admin.title += " and has an active long-lived access key"
            admin.evidence["has_long_lived_key"] = key.resource

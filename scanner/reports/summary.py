"""The Markdown summary for a GitHub Actions job summary: counts, drift, worst findings first."""

from __future__ import annotations

from datetime import datetime, timedelta

from scanner.findings import Finding, FindingsReport, Severity
from scanner.markdown import escape_markdown as escape

# GitHub accepts at most 1 MiB per step summary; stay well under it.
MAX_BYTES = 900_000
MAX_ROWS = 200


def to_markdown(report: FindingsReport, notices: list[str] | None = None) -> str:
    """Render the summary; rows beyond the size budget are cut with a note.

    `notices` are warnings shown first (a stale previous snapshot, say).
    """
    open_findings = [f for f in report.findings if f.waiver is None]
    waived = len(report.findings) - len(open_findings)
    new = [f for f in open_findings if f.status == "new"]

    lines = ["# ztdrift scan", ""]
    lines += [f"> **Warning**: {escape(notice)}\n" for notice in notices or []]
    if report.gaps:
        lines += ["> **Partial scan**: some scopes could not be collected (see below).", ""]
    lines += _counts(open_findings, waived, len(new), len(report.resolved))
    lines += _table("New findings", new)
    lines += _table("Existing findings", [f for f in open_findings if f.status == "existing"])
    lines += _proofs(open_findings)
    lines += _resolved(report)
    lines += _changes(report)
    lines += _gaps(report)
    lines += _expired(report)
    lines += _unsupported(report)
    return _fit("\n".join(lines) + "\n")


def stale_warning(
    previous_taken_at: datetime | None, now: datetime, interval: timedelta
) -> str | None:
    """A warning when the previous snapshot is older than twice the expected interval.

    GitHub disables scheduled workflows in repositories idle for 60 days, so a schedule can
    stop without anyone noticing; a long gap between scans is the visible sign of it.
    """
    if previous_taken_at is None or now - previous_taken_at <= 2 * interval:
        return None
    age_hours = (now - previous_taken_at).total_seconds() / 3600
    return (
        f"the previous scan is {age_hours:.0f} hours old, more than twice the expected "
        f"interval of {interval.total_seconds() / 3600:g} hours: check that the scheduled "
        "workflow still runs (GitHub disables schedules after 60 days without activity)"
    )


def _counts(findings: list[Finding], waived: int, new: int, resolved: int) -> list[str]:
    by_severity = {s: 0 for s in Severity}
    for finding in findings:
        by_severity[finding.level] += 1
    cells = " | ".join(str(by_severity[s]) for s in sorted(Severity, reverse=True))
    return [
        "| critical | high | medium | low | info | new | resolved | waived |",
        "|---|---|---|---|---|---|---|---|",
        f"| {cells} | {new} | {resolved} | {waived} |",
        "",
    ]


def _table(heading: str, findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    rows = [
        f"## {heading}",
        "",
        "| severity | rule | account | resource | finding |",
        "|---|---|---|---|---|",
    ]
    for finding in findings[:MAX_ROWS]:
        rows.append(
            f"| {finding.severity} | {finding.rule} | {escape(finding.account)} | "
            f"{escape(finding.resource)} | {escape(finding.title)} |"
        )
    if len(findings) > MAX_ROWS:
        rows.append(f"\n{len(findings) - MAX_ROWS} more in findings.json.")
    return [*rows, ""]


def _proofs(findings: list[Finding]) -> list[str]:
    proven = [f for f in findings if f.evidence.get("proof")]
    if not proven:
        return []
    rows = ["## Paths to administrator power", ""]
    for finding in proven[:50]:
        note = " (conditional)" if finding.conditional else ""
        rows.append(f"- {escape(finding.evidence['proof'])}{note}")
    if len(proven) > 50:
        rows.append(f"- and {len(proven) - 50} more in findings.json")
    return [*rows, ""]


def _resolved(report: FindingsReport) -> list[str]:
    if not report.resolved:
        return []
    rows = ["## Resolved since the previous scan", ""]
    rows += [f"- {r.rule}: {escape(r.resource)}" for r in report.resolved[:MAX_ROWS]]
    return [*rows, ""]


def _changes(report: FindingsReport) -> list[str]:
    if not report.changes:
        return []
    rows = ["## Changes in the estate", ""]
    for kind, items in sorted(report.changes.items()):
        shown = ", ".join(escape(item) for item in items[:20])
        more = f" and {len(items) - 20} more" if len(items) > 20 else ""
        rows.append(f"- {kind.replace('_', ' ')} ({len(items)}): {shown}{more}")
    return [*rows, ""]


def _gaps(report: FindingsReport) -> list[str]:
    if not report.gaps:
        return []
    rows = ["## Not collected", ""]
    for gap in report.gaps:
        place = f"{gap.provider} {gap.account} {gap.service} {gap.region or ''}".strip()
        rows.append(f"- {escape(place)}: {escape(gap.error)}")
    rows.append("")
    rows.append("Findings in these places are neither reported nor resolved by this scan.")
    return [*rows, ""]


def _expired(report: FindingsReport) -> list[str]:
    if not report.expired_waivers:
        return []
    rows = ["## Expired waivers (no longer hiding their findings)", ""]
    for waiver in report.expired_waivers:
        rows.append(
            f"- {escape(waiver['id'])} owned by {escape(waiver['owner'])}, expired "
            f"{waiver['expires']}, matches {len(waiver['findings'])} finding(s)"
        )
    return [*rows, ""]


def _unsupported(report: FindingsReport) -> list[str]:
    if not report.unsupported:
        return []
    rows = ["## Policy constructs evaluated conservatively", ""]
    for note in report.unsupported[:20]:
        rows.append(
            f"- {escape(note['policy'])} statement {note['statement']}: {escape(note['construct'])}"
        )
    if len(report.unsupported) > 20:
        rows.append(f"- and {len(report.unsupported) - 20} more in findings.json")
    return [*rows, ""]


def _fit(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_BYTES:
        return text
    cut = data[:MAX_BYTES].decode(errors="ignore").rsplit("\n", 1)[0]
    return cut + "\n\n_Summary truncated; see findings.json for everything._\n"

"""From a snapshot to reports: rules, waivers, drift, outputs and the exit code."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rules import RuleSettings
from scanner import policy_audit, redaction, snapshot_io, state, waivers
from scanner.analysis import analyze, sort_findings
from scanner.drift import compare
from scanner.errors import ExitCode
from scanner.findings import Finding, FindingsReport, ReportGap, Severity
from scanner.model import Snapshot
from scanner.reports.locations import terraform_locations
from scanner.reports.sarif import to_sarif
from scanner.reports.summary import stale_warning, to_markdown

log = logging.getLogger(__name__)
VERSION = "0.1.0"


@dataclass
class RunOptions:
    """Where to write, what to compare with, and what fails the run."""

    out_dir: Path
    now: datetime
    waiver_file: Path
    state_dir: Path | None = None
    horizon_days: int = waivers.DEFAULT_HORIZON_DAYS
    settings: RuleSettings = field(default_factory=RuleSettings)
    fail_on: Severity = Severity.HIGH
    save_state: bool = True
    sarif_location: str = "ztdrift.yaml"
    expected_interval: timedelta = timedelta(hours=24)
    # Mask account and key ids and withhold paths in SARIF and summary.md (public repositories).
    redact: bool = False
    # The Terraform checkout, so SARIF results point at the block that manages each resource.
    terraform_dir: Path | None = None


def load_waivers(options: RunOptions) -> waivers.WaiverFile:
    """Validate the waiver file first: a broken one stops the run before any output."""
    return waivers.load(
        options.waiver_file, today=options.now.date(), horizon_days=options.horizon_days
    )


def run(snapshot: Snapshot, options: RunOptions) -> tuple[FindingsReport, ExitCode]:
    """Analyse a snapshot, apply waivers and drift, write every output, and decide the exit."""
    waiver_file = load_waivers(options)
    findings = analyze(snapshot, now=options.now, settings=options.settings)
    previous = (
        state.previous(options.state_dir, snapshot.scope_keys()) if options.state_dir else None
    )

    drift = compare(
        previous.findings if previous else None,
        findings,
        current_snapshot=snapshot,
        previous_snapshot=previous.snapshot if previous else None,
    )
    findings += _carried_over(previous.findings if previous else [], drift.unknown)
    outcome = waivers.apply(findings, waiver_file, today=options.now.date())

    report = FindingsReport(
        generated_at=options.now.isoformat(),
        findings=sort_findings(findings),
        resolved=drift.resolved,
        unresolved_unknown=drift.unknown,
        gaps=[ReportGap(**g.model_dump(exclude={"code"})) for g in snapshot.gaps],
        expired_waivers=outcome.expired,
        changes=drift.changes,
        unsupported=policy_audit.unsupported(snapshot),
    )
    stale = stale_warning(
        previous.snapshot.taken_at if previous and previous.snapshot else None,
        options.now,
        options.expected_interval,
    )
    write_outputs(report, snapshot, options, notices=[stale] if stale else [])
    if options.save_state and options.state_dir is not None:
        scan_dir = state.save(options.state_dir, snapshot, report)
        log.info("scan stored in %s", scan_dir)
    return report, exit_code(report, options.fail_on)


def _carried_over(previous: list[Finding], unknown: list[str]) -> list[Finding]:
    """Findings the scan could not re-check stay reported, marked as not re-checked."""
    carried = []
    for finding in previous:
        if finding.id in unknown:
            copy = finding.model_copy(deep=True)
            copy.status = "existing"
            copy.waiver = None
            copy.evidence["not_rechecked"] = "its scope failed to collect in this scan"
            carried.append(copy)
    return carried


def write_outputs(
    report: FindingsReport,
    snapshot: Snapshot,
    options: RunOptions,
    notices: list[str] | None = None,
) -> None:
    """findings.json, findings.sarif, summary.md and the snapshot itself."""
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "findings.json").write_text(state.report_json(report))
    published = redaction.for_publishing(report) if options.redact else report
    locations = (
        terraform_locations(report.findings, options.terraform_dir, today=options.now.date())
        if options.terraform_dir is not None
        else {}
    )
    sarif = to_sarif(
        published.findings,
        version=VERSION,
        default_location=options.sarif_location,
        locations=locations,
    )
    (out / "findings.sarif").write_text(json.dumps(sarif, indent=1) + "\n")
    (out / "summary.md").write_text(to_markdown(published, notices))
    snapshot_io.write(snapshot, out / "snapshot.json.gz")


def exit_code(report: FindingsReport, fail_on: Severity) -> ExitCode:
    """A partial scan (3) wins over findings at or above the threshold (1)."""
    if report.gaps:
        return ExitCode.PARTIAL
    if any(f.waiver is None and f.level >= fail_on for f in report.findings):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN

"""The state directory: every scan's snapshot and findings, to compare the next scan with.

Layout: `<state>/scans/<UTC time>-<digest>/{snapshot.json.gz, findings.json, scan.json}`.
`scan.json` lists the scan's scopes so finding the previous scan of a scope reads no snapshot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from scanner import snapshot_io
from scanner.errors import InputError
from scanner.findings import Finding, FindingsReport
from scanner.model import Snapshot


@dataclass
class Previous:
    """What the earlier scans said about the scopes of this one."""

    findings: list[Finding] = field(default_factory=list)
    snapshot: Snapshot | None = None
    scan_dir: Path | None = None


def save(state_dir: Path, snapshot: Snapshot, report: FindingsReport) -> Path:
    """Store a scan; the directory name sorts by time."""
    stamp = snapshot.taken_at.strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(snapshot_io.to_json(snapshot).encode()).hexdigest()[:8]
    scan_dir = state_dir / "scans" / f"{stamp}-{digest}"
    scan_dir.mkdir(parents=True, exist_ok=True)

    snapshot_io.write(snapshot, scan_dir / "snapshot.json.gz")
    (scan_dir / "findings.json").write_text(report_json(report))
    scopes = sorted([s.provider, s.account] for s in snapshot.scopes)
    (scan_dir / "scan.json").write_text(json.dumps({"scopes": scopes}, indent=1) + "\n")
    return scan_dir


def report_json(report: FindingsReport) -> str:
    return report.model_dump_json(by_alias=True, indent=1) + "\n"


def scans(state_dir: Path) -> list[Path]:
    """Stored scans, newest first."""
    root = state_dir / "scans"
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / "scan.json").exists()), reverse=True)


def previous(state_dir: Path, scopes: set[tuple[str, str]]) -> Previous:
    """For each scope, the findings of the newest scan that covered it."""
    found = Previous()
    wanted = set(scopes)
    for scan_dir in scans(state_dir):
        covered = {tuple(s) for s in json.loads((scan_dir / "scan.json").read_text())["scopes"]}
        mine = covered & wanted
        if not mine:
            continue
        if found.scan_dir is None:
            found.scan_dir = scan_dir
            found.snapshot = snapshot_io.read(scan_dir / "snapshot.json.gz")
        report = load_report(scan_dir / "findings.json")
        found.findings += [f for f in report.findings if (f.provider, f.account) in mine]
        wanted -= mine
        if not wanted:
            break
    return found


def load_report(path: Path) -> FindingsReport:
    """Read a findings.json, with an error naming the file when it is not one."""
    try:
        return FindingsReport.model_validate_json(path.read_text())
    except FileNotFoundError as exc:
        raise InputError("no such findings file", where=str(path)) from exc
    except ValueError as exc:
        raise InputError(
            f"not a ztdrift findings file: {str(exc).splitlines()[0]}", where=str(path)
        ) from exc


def latest_report(state_dir: Path) -> Path:
    """The findings file of the newest scan, for `ztdrift pr`."""
    stored = scans(state_dir)
    if not stored:
        raise InputError(
            "no scan stored yet",
            where=str(state_dir),
            hint="run `ztdrift scan` first, or pass --findings FILE",
        )
    return stored[0] / "findings.json"

"""`ztdrift diff OLD NEW`: what changed between two snapshots."""

from __future__ import annotations

import argparse
from pathlib import Path

from rules import RuleSettings
from scanner import snapshot_io
from scanner.analysis import analyze
from scanner.commands.common import console
from scanner.drift import compare
from scanner.errors import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("diff", help="compare two snapshots: findings and changes")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--max-key-age", type=int, default=90)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    old = snapshot_io.read(args.old)
    new = snapshot_io.read(args.new)
    settings = RuleSettings(max_key_age_days=args.max_key_age)
    before = analyze(old, now=old.taken_at, settings=settings)
    after = analyze(new, now=new.taken_at, settings=settings)
    drift = compare(before, after, current_snapshot=new, previous_snapshot=old)

    out = console()
    if not old.scope_keys() & new.scope_keys():
        out.print(
            "warning: the two snapshots share no scope; every finding shows as new", markup=False
        )
    for finding in after:
        if finding.status == "new":
            out.print(
                f"+ new      {finding.severity:8} {finding.rule}  {finding.resource}", markup=False
            )
    for resolved in drift.resolved:
        out.print(
            f"- resolved {resolved.severity:8} {resolved.rule}  {resolved.resource}", markup=False
        )
    for finding_id in drift.unknown:
        out.print(f"? not re-checked (collection gap): {finding_id}")
    for kind, items in drift.changes.items():
        for item in items:
            out.print(f"  {kind.replace('_', ' ')}: {item}", markup=False)
    return int(ExitCode.CLEAN)

"""`ztdrift analyze`: re-run the rules on a saved snapshot, with no cloud call."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner import snapshot_io
from scanner.commands.common import add_run_options, console, run_options
from scanner.pipeline import run
from scanner.reports.terminal import print_report


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("analyze", help="re-run the rules on a saved snapshot")
    parser.add_argument("snapshot", type=Path, help="snapshot.json or snapshot.json.gz")
    parser.add_argument(
        "--save", action="store_true", help="store the result in the state directory as a scan"
    )
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    options = run_options(args, save_state=args.save)
    if not args.save and not args.state_dir:
        # Comparing a snapshot with the state it may itself be part of would mislead.
        options.state_dir = None
    snapshot = snapshot_io.read(args.snapshot)
    report, code = run(snapshot, options)
    print_report(report, console())
    return int(code)

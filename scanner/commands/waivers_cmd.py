"""`ztdrift waivers check [FILE]`: validate a waiver file on its own (for pre-commit or CI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner import config as config_file
from scanner import waivers
from scanner.commands.common import console
from scanner.errors import ExitCode, InputError
from scanner.timeutil import utcnow


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("waivers", help="work with the waiver file")
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate a waiver file; exit 2 when invalid")
    check.add_argument("file", nargs="?", type=Path)
    check.add_argument("--config", type=Path)
    check.set_defaults(handler=handle_check)


def handle_check(args: argparse.Namespace) -> int:
    config = config_file.load(args.config)
    path = args.file or config.waivers
    if not path.exists():
        raise InputError("no such waiver file", where=str(path))
    today = utcnow().date()
    loaded = waivers.load(path, today=today, horizon_days=config.waiver_horizon_days)

    out = console()
    expired = [w for w in loaded.waivers if not w.active_on(today)]
    for waiver in expired:
        out.print(f"warning: waiver {waiver.id} expired on {waiver.expires}", markup=False)
    out.print(f"{path}: {len(loaded.waivers)} waiver(s) valid, {len(expired)} expired")
    return int(ExitCode.CLEAN)

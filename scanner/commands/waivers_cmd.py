"""`ztdrift waivers list | check | renew | expire`: the waiver file's lifecycle by hand.

`check` is meant for pre-commit and CI: it exits 2 on an invalid file (missing owner, reason
or expiry, an expiry past the horizon, a duplicate id, an unknown rule family) and warns about
waivers that match nothing in the latest findings. `renew` and `expire` edit the file in
place, keeping its comments, order and formatting.

`check` reports every invalid entry of the file in one run, each with its file and line.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scanner import config as config_file
from scanner import state, waiver_edit, waivers
from scanner.commands.common import console
from scanner.config import Config
from scanner.errors import ExitCode, InputError, ZtdriftError
from scanner.findings import Finding
from scanner.timeutil import utcnow

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("waivers", help="work with the waiver file")
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="show every waiver, its status and matches")
    _common(listing)
    listing.set_defaults(handler=handle_list)

    check = actions.add_parser("check", help="validate a waiver file; exit 2 when invalid")
    _common(check)
    check.set_defaults(handler=handle_check)

    renew = actions.add_parser("renew", help="move a waiver's expiry (within the horizon)")
    renew.add_argument("id")
    renew.add_argument("--until", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    renew.add_argument("--reason", required=True, help="why it is still needed")
    _common(renew)
    renew.set_defaults(handler=handle_renew)

    expire = actions.add_parser("expire", help="end a waiver now (it ends yesterday)")
    expire.add_argument("id")
    _common(expire)
    expire.set_defaults(handler=handle_expire)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", type=Path, help="waiver file (default: configured)")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--findings", type=Path, help="findings.json (default: the latest scan)")
    parser.add_argument("--state-dir", type=Path)


def _path(args: argparse.Namespace, config: Config) -> Path:
    path: Path = args.file or config.waivers
    if not path.exists():
        raise InputError("no such waiver file", where=str(path))
    return path


def _latest_findings(args: argparse.Namespace, config: Config) -> list[Finding] | None:
    """The latest scan's findings, or None when there is none to compare with."""
    try:
        path = args.findings or state.latest_report(args.state_dir or config.state_dir)
    except InputError:
        return None
    report = state.load_report(path)
    if report.gaps:
        # A partial scan cannot say that a selector matches nothing.
        log.info("latest scan was partial; not checking which waivers match nothing")
        return None
    return report.findings


def handle_check(args: argparse.Namespace) -> int:
    config = config_file.load(args.config)
    path = _path(args, config)
    today = utcnow().date()
    errors: list[InputError] = []
    loaded = waivers.load(path, today=today, horizon_days=config.waiver_horizon_days, errors=errors)
    if errors:
        _report_errors(path, errors)
        return int(ExitCode.USAGE)

    out = console()
    expired = [w for w in loaded.waivers if not w.active_on(today)]
    for waiver in expired:
        out.print(f"warning: waiver {waiver.id} expired on {waiver.expires}", markup=False)
    findings = _latest_findings(args, config)
    if findings is not None:
        for waiver in waivers.unmatched(loaded, findings):
            line = loaded.lines.get(waiver.id)
            out.print(
                f"warning: {path}:{line}: waiver {waiver.id} matches no finding in the latest "
                "scan (the resource is gone or fixed)",
                markup=False,
            )
    out.print(f"{path}: {len(loaded.waivers)} waiver(s) valid, {len(expired)} expired")
    return int(ExitCode.CLEAN)


def _report_errors(path: Path, errors: list[InputError]) -> None:
    """Every error on stderr, in file order, then how many there were."""
    err = Console(stderr=True, highlight=False, width=200)
    for error in errors:
        err.print(f"error: {error}", markup=False)
    err.print(f"{path}: {len(errors)} error(s); nothing else was checked", markup=False)


def handle_list(args: argparse.Namespace) -> int:
    config = config_file.load(args.config)
    path = _path(args, config)
    today = utcnow().date()
    loaded = waivers.load(path, today=today, horizon_days=config.waiver_horizon_days)
    findings = _latest_findings(args, config)
    soon = today + timedelta(days=config.bot.renewal_window_days)

    table = Table("id", "rule", "resource", "owner", "expires", "status", "matches")
    for waiver in loaded.waivers:
        status = "expired" if not waiver.active_on(today) else "active"
        if status == "active" and waiver.expires <= soon:
            status = "expiring"
        matches = "?" if findings is None else str(sum(waiver.matches(f) for f in findings))
        table.add_row(
            waiver.id,
            waiver.rule,
            waiver.resource,
            waiver.owner,
            waiver.expires.isoformat(),
            status,
            matches,
        )
    console().print(table)
    return int(ExitCode.CLEAN)


def handle_renew(args: argparse.Namespace) -> int:
    config = config_file.load(args.config)
    path = _path(args, config)
    today = utcnow().date()
    text = path.read_text(encoding="utf-8")
    new = waiver_edit.renew(
        text,
        args.id,
        until=args.until,
        reason=args.reason,
        today=today,
        horizon_days=config.waiver_horizon_days,
        where=str(path),
    )
    _write_checked(path, new, config, today)
    console().print(f"renewed {args.id} until {args.until} in {path}", markup=False)
    return int(ExitCode.CLEAN)


def handle_expire(args: argparse.Namespace) -> int:
    config = config_file.load(args.config)
    path = _path(args, config)
    today = utcnow().date()
    new = waiver_edit.expire(
        path.read_text(encoding="utf-8"), args.id, today=today, where=str(path)
    )
    _write_checked(path, new, config, today)
    console().print(f"expired {args.id} in {path} (it hides nothing from today)", markup=False)
    return int(ExitCode.CLEAN)


def _write_checked(path: Path, new: str, config: Config, today: date) -> None:
    """Write the edit, then validate the file; restore the old text if it became invalid."""
    old = path.read_bytes()
    waiver_edit.edit_file(path, new)
    try:
        waivers.load(path, today=today, horizon_days=config.waiver_horizon_days)
    except ZtdriftError:
        path.write_bytes(old)
        raise

"""`ztdrift scan`: collect live or from exports, then analyse and report."""

from __future__ import annotations

import argparse
import logging

from rich.console import Console

from scanner import config as config_file
from scanner.collectors.imports import import_all
from scanner.commands.common import add_run_options, console, run_options
from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.pipeline import load_waivers, run
from scanner.reports.terminal import print_report

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("scan", help="collect a snapshot and report findings and drift")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--provider", choices=["aws"], help="collect live from this cloud")
    source.add_argument(
        "--import",
        dest="imports",
        action="append",
        metavar="KIND=FILE",
        help="read an export instead (aws-authz=FILE); repeatable",
    )
    parser.add_argument("--region", action="append", help="AWS region (repeatable; default all)")
    parser.add_argument("--profile", help="AWS profile of the standard credential chain")
    parser.add_argument("--no-state", action="store_true", help="do not store this scan")
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    options = run_options(args, save_state=not args.no_state)
    load_waivers(options)  # a broken waiver file stops the run before any cloud call

    snapshot = _collect(args, options.now)
    report, code = run(snapshot, options)

    out = console()
    print_report(report, out)
    out.print(f"reports written to {options.out_dir}/ (findings.json, findings.sarif, summary.md)")
    return int(code)


def _collect(args: argparse.Namespace, now: object) -> Snapshot:
    if args.imports:
        return import_all(args.imports, now)  # type: ignore[arg-type]
    config = config_file.load(args.config)
    regions = args.region or config.aws.regions or None
    profile = args.profile or config.aws.profile
    return collect_live(regions, profile)


def collect_live(regions: list[str] | None, profile: str | None) -> Snapshot:
    """Collect from AWS with the standard credential chain, showing progress on stderr."""
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    from scanner.collectors.aws_live import collect_aws

    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound as exc:
        raise ZtdriftError(str(exc), hint="check --profile or AWS_PROFILE") from exc
    status = Console(stderr=True)
    with status.status("collecting AWS") as spinner:
        try:
            return collect_aws(session, regions=regions, progress=lambda text: spinner.update(text))
        except BotoCoreError as exc:
            raise ZtdriftError(f"cannot reach AWS: {exc}") from exc

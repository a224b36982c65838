"""`ztdrift scan`: collect live or from exports, then analyse and report."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime

from scanner import config as config_file
from scanner.collectors.imports import import_all
from scanner.commands.common import add_run_options, console, run_options
from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.pipeline import load_waivers, run
from scanner.providers import PROVIDERS, LiveOptions, readers
from scanner.reports.terminal import print_report
from scanner.shard import check_shard_use

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("scan", help="collect a snapshot and report findings and drift")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--provider", choices=sorted(PROVIDERS), help="collect live from this cloud"
    )
    source.add_argument(
        "--import",
        dest="imports",
        action="append",
        metavar="KIND=FILE",
        help="read an export instead ("
        + ", ".join(f"{k}=FILE" for k in sorted(readers()))
        + "); repeatable",
    )
    parser.add_argument("--region", action="append", help="AWS region (repeatable; default all)")
    parser.add_argument("--profile", help="AWS profile of the standard credential chain")
    parser.add_argument(
        "--gcp-scope", help="organizations/N, folders/N or projects/ID (GCP live collection)"
    )
    parser.add_argument(
        "--azure-scope", help="a management group id (Azure; default every subscription)"
    )
    parser.add_argument(
        "--azure-credential",
        choices=["default", "cli", "environment", "workload-identity"],
        help="the azure-identity credential to use (Azure; default DefaultAzureCredential)",
    )
    parser.add_argument("--org-role", help="AWS Organizations: role to assume in each account")
    parser.add_argument(
        "--include-account", action="append", default=[], help="account id or name glob"
    )
    parser.add_argument(
        "--exclude-account", action="append", default=[], help="account id or name glob"
    )
    parser.add_argument("--shard", metavar="I/N", help="collect only shard I of N of the scopes")
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


def _collect(args: argparse.Namespace, now: datetime) -> Snapshot:
    if args.imports:
        return import_all(args.imports, now)
    config = config_file.load(args.config)
    provider = PROVIDERS[args.provider]
    if provider.collect is None:
        raise ZtdriftError(f"{args.provider} cannot be collected live yet; use --import")
    options = LiveOptions(
        regions=args.region or config.aws.regions or None,
        profile=args.profile or config.aws.profile,
        gcp_scope=args.gcp_scope,
        azure_scope=args.azure_scope or config.azure.scope,
        azure=config.azure.model_copy(
            update={"credential": args.azure_credential or config.azure.credential}
        ),
        org_role=args.org_role or config.organization.role,
        include=tuple(args.include_account or config.organization.include),
        exclude=tuple(args.exclude_account or config.organization.exclude),
        external_id=config.organization.external_id,
        max_accounts_in_parallel=config.organization.max_accounts_in_parallel,
        shard=args.shard,
    )
    check_shard_use(
        options.shard,
        provider=args.provider,
        org_role=options.org_role,
        gcp_scope=options.gcp_scope,
        azure_scope=options.azure_scope,
    )
    return provider.collect(options)

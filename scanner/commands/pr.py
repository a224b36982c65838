"""`ztdrift pr`: turn the latest findings into fix plans, and into pull requests."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scanner import config as config_file
from scanner import state
from scanner.commands.common import console
from scanner.errors import ExitCode, ZtdriftError
from scanner.timeutil import utcnow


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("pr", help="write fix plans, or open and update pull requests")
    parser.add_argument("--findings", type=Path, help="findings.json (default: the latest scan)")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--terraform", type=Path, help="Terraform checkout (default: .)")
    parser.add_argument("--tf-state", type=Path, help="terraform show -json output or tfstate")
    parser.add_argument("--plan-only", action="store_true", help="write plans, touch no GitHub")
    parser.add_argument("--out", type=Path, help="directory for plans (with --plan-only)")
    parser.add_argument("--repo", help="OWNER/NAME to open pull requests in")
    parser.add_argument("--base", help="base branch (default: the repository's default)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from remediators.plan import build_plans, write_plans

    config = config_file.load(args.config)
    findings_path = args.findings or state.latest_report(args.state_dir or config.state_dir)
    report = state.load_report(findings_path)
    terraform = args.terraform or config.terraform.dir
    open_findings = [f for f in report.findings if f.waiver is None]
    waiver_path = _relative_waiver_path(config.waivers, terraform)

    plans = build_plans(
        open_findings,
        terraform,
        state_file=args.tf_state or config.terraform.state_file,
        waiver_file=waiver_path,
        default_owner=config.waiver_owner,
        today=utcnow().date(),
    )
    out = console()
    if args.plan_only:
        if args.out is None:
            raise ZtdriftError("--plan-only needs --out DIR")
        written = write_plans(plans, args.out)
        out.print(f"{len(plans)} plan(s) written to {args.out}/ ({len(written)} directories)")
        for plan in plans:
            out.print(f"  {plan.kind:7} {plan.branch}  {plan.title}", markup=False)
        return int(ExitCode.CLEAN)

    return _sync(args, plans, partial=bool(report.gaps))


def _sync(args: argparse.Namespace, plans: list, partial: bool) -> int:  # type: ignore[type-arg]
    from remediators.github_pr import sync_pull_requests

    if not args.repo:
        raise ZtdriftError("pass --repo OWNER/NAME, or --plan-only --out DIR")
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise ZtdriftError(
            "GITHUB_TOKEN is not set",
            hint="export a token with contents and pull-requests write permission",
        )
    api_url = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    actions = sync_pull_requests(
        plans,
        repo=args.repo,
        token=token,
        api_url=api_url,
        base=args.base,
        dry_run=args.dry_run,
        # A partial scan cannot tell a fixed problem from one it did not see.
        close_stale=not partial,
    )
    out = console()
    if partial:
        out.print("scan was partial: no pull request was closed")
    for action in actions:
        out.print(str(action), markup=False)
    return int(ExitCode.CLEAN)


def _relative_waiver_path(waivers: Path, terraform: Path) -> str:
    try:
        return str(waivers.resolve().relative_to(terraform.resolve()))
    except ValueError:
        return ".ztdrift/waivers.yaml"

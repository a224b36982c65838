"""`ztdrift pr`: turn the latest findings and the waiver file into plans and pull requests."""

from __future__ import annotations

import argparse
import fnmatch
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from scanner import config as config_file
from scanner import snapshot_io, state, waivers
from scanner.commands.common import console
from scanner.config import Config
from scanner.errors import ExitCode, InputError, ZtdriftError
from scanner.findings import Finding, FindingsReport
from scanner.timeutil import utcnow

if TYPE_CHECKING:
    from remediators.pr_proposal import Proposal
    from remediators.workspace import TerraformDir

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("pr", help="write fix plans, or open and update pull requests")
    parser.add_argument("--findings", type=Path, help="findings.json (default: the latest scan)")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument(
        "--terraform",
        type=Path,
        help="Terraform checkout, searched whole (default: the configured directories)",
    )
    parser.add_argument("--tf-state", type=Path, help="terraform show -json output or tfstate")
    parser.add_argument("--plan-only", action="store_true", help="write plans, touch no GitHub")
    parser.add_argument("--out", type=Path, help="directory for plans (with --plan-only)")
    parser.add_argument("--repo", help="OWNER/NAME to open pull requests in")
    parser.add_argument("--base", help="base branch (default: the repository's default)")
    parser.add_argument("--dry-run", action="store_true", help="print every action, write none")
    parser.add_argument(
        "--no-waiver-lifecycle",
        action="store_true",
        help="skip renewal, removal and clean-up pull requests for waivers",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from remediators.plan import build_plans, write_plans
    from remediators.pr_proposal import propose

    config = config_file.load(args.config)
    findings_path = args.findings or state.latest_report(args.state_dir or config.state_dir)
    report = state.load_report(findings_path)
    terraform, directories = _terraform(args, config)
    open_findings = _without_break_glass(
        [f for f in report.findings if f.waiver is None], config.break_glass
    )
    waiver_path = _relative_waiver_path(config.waivers, terraform)
    today = utcnow().date()

    plans = build_plans(
        open_findings,
        terraform,
        state_file=args.tf_state or config.terraform.state_file,
        directories=directories,
        grouping=config.bot.grouping,
        waiver_file=waiver_path,
        default_owner=config.waiver_owner,
        today=today,
    )
    proposals = propose(
        plans,
        report.findings,
        root=terraform,
        labels=config.bot.labels,
        owner_tags=_owner_tags(findings_path),
    )
    if not args.no_waiver_lifecycle:
        proposals += _lifecycle(config, report, terraform, waiver_path)

    out = console()
    if args.plan_only:
        if args.out is None:
            raise ZtdriftError("--plan-only needs --out DIR")
        written = write_plans([p.plan for p in proposals], args.out)
        out.print(f"{len(proposals)} plan(s) written to {args.out}/ ({len(written)} directories)")
        for proposal in proposals:
            plan = proposal.plan
            out.print(f"  {plan.kind:7} {plan.branch}  {plan.title}", markup=False)
        return int(ExitCode.CLEAN)
    return _sync(args, config, proposals, report)


def _sync(
    args: argparse.Namespace,
    config: Config,
    proposals: list,  # type: ignore[type-arg]
    report: FindingsReport,
) -> int:
    from remediators.github_client import DEFAULT_API, Pacing, connect, credentials_from_env
    from remediators.github_pr import BotPolicy, sync
    from remediators.pr_proposal import EVERY_SCOPE

    if not args.repo:
        raise ZtdriftError("pass --repo OWNER/NAME, or --plan-only --out DIR")
    bot = config.bot
    api_url = os.environ.get("GITHUB_API_URL", DEFAULT_API)
    client = connect(credentials_from_env(), args.repo, api_url, Pacing(bot.seconds_between_writes))
    # A partial scan cannot tell a fixed problem from one it did not see.
    unseen = {f"{g.provider}:{g.account}" for g in report.gaps}
    if unseen:
        unseen.add(EVERY_SCOPE)
    policy = BotPolicy(
        max_open=bot.max_open,
        max_new=bot.max_new_per_run,
        cooldown=timedelta(days=bot.cooldown_days),
        grace=timedelta(days=bot.apply_grace_days),
        redaction=bot.redaction,
        run=os.environ.get("GITHUB_RUN_ID") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        now=utcnow(),
    )
    actions = sync(
        proposals,
        client=client,
        repo=args.repo,
        base=args.base or bot.base,
        policy=policy,
        unseen=frozenset(unseen),
        dry_run=args.dry_run,
    )
    out = console()
    if unseen:
        out.print("scan was partial: nothing was opened, updated or closed for unseen scopes")
    for action in actions:
        out.print(action.describe(), markup=False)
    failed = [a for a in actions if a.action == "failed"]
    if failed:
        out.print(f"{len(failed)} pull request action(s) failed; the next run retries them")
        return int(ExitCode.PARTIAL)
    return int(ExitCode.CLEAN)


def _terraform(args: argparse.Namespace, config: Config) -> tuple[Path, list[TerraformDir]]:
    """The repository root and the Terraform directories to search; flags win.

    `--terraform DIR` makes DIR the root and searches all of it (no directories); otherwise
    the configured directories are searched, with paths relative to the configured root.
    `--tf-state` replaces the state of the one configured directory.
    """
    from remediators.workspace import TerraformDir

    settings = config.terraform
    if args.terraform is not None:
        return args.terraform, []
    configured = [(d.dir, d.state_file) for d in settings.directories]
    directories = [TerraformDir(d, state) for d, state in configured] or [
        TerraformDir(settings.dir, settings.state_file)
    ]
    if args.tf_state is not None:
        if len(directories) > 1:
            raise InputError(
                f"--tf-state is ambiguous with {len(directories)} Terraform directories",
                where="terraform.directories",
                hint="set state_file per directory in the configuration, or pass --terraform",
            )
        directories = [TerraformDir(directories[0].path, args.tf_state)]
    return settings.root, directories


def _lifecycle(config: Config, report: FindingsReport, root: Path, rel: str) -> list[Proposal]:
    from remediators.renewal import lifecycle_proposals

    path = root / rel
    if not path.is_file():
        return []
    today = utcnow().date()
    # Horizon checks are for new entries; here the file is read as it stands.
    loaded = waivers.load(path, today=today, horizon_days=10_000)
    return lifecycle_proposals(
        loaded,
        report.findings,
        rel_path=rel,
        today=today,
        window_days=config.bot.renewal_window_days,
        horizon_days=config.waiver_horizon_days,
        labels=tuple(config.bot.labels),
    )


def _without_break_glass(findings: list[Finding], patterns: list[str]) -> list[Finding]:
    """Findings minus those of break-glass principals, whose standing access is deliberate."""
    kept = []
    for finding in findings:
        subject = finding.principal or finding.resource
        if any(fnmatch.fnmatchcase(subject, p) for p in patterns):
            log.info("no pull request for break-glass principal %s", subject)
            continue
        kept.append(finding)
    return kept


def _owner_tags(findings_path: Path) -> dict[str, str]:
    """Owner tags of principals, groups and data stores from the scan's snapshot, if kept."""
    from remediators.pr_proposal import owner_tag

    snapshot_path = findings_path.parent / "snapshot.json.gz"
    if not snapshot_path.is_file():
        return {}
    snapshot = snapshot_io.read(snapshot_path)
    tags: dict[str, str] = {}
    records: list[tuple[str, dict[str, str]]] = [(p.id, p.tags) for p in snapshot.principals]
    records += [(g.id, g.tags) for g in snapshot.network_groups]
    records += [(d.id, d.tags) for d in snapshot.data_stores]
    for record_id, record_tags in records:
        owner = owner_tag(record_tags)
        if owner:
            tags[record_id] = owner
    return tags


def _relative_waiver_path(waivers_file: Path, terraform: Path) -> str:
    try:
        return str(waivers_file.resolve().relative_to(terraform.resolve()))
    except ValueError:
        return ".ztdrift/waivers.yaml"

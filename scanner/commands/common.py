"""Options and helpers that several subcommands share."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from rules import RuleSettings
from scanner import config as config_file
from scanner import redaction
from scanner.findings import Severity
from scanner.pipeline import RunOptions
from scanner.timeutil import utcnow


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="directory for the reports")
    parser.add_argument("--config", type=Path, help="configuration file (default ztdrift.yaml)")
    parser.add_argument("--waivers", type=Path, help="waiver file (default .ztdrift/waivers.yaml)")
    parser.add_argument("--state-dir", type=Path, help="where scans are kept for drift")
    parser.add_argument(
        "--fail-on",
        choices=[s.label for s in Severity],
        help="exit 1 when an unwaived finding is at least this severe (default high)",
    )
    parser.add_argument("--max-key-age", type=int, help="days before an access key is too old")
    parser.add_argument(
        "--terraform",
        type=Path,
        help="Terraform checkout: SARIF results point at the block that manages each resource",
    )
    parser.add_argument(
        "--redact",
        choices=["auto", "on", "off"],
        help="mask account and key ids, withhold paths in SARIF and summary.md (default auto: "
        "on in a public repository's GitHub Actions run)",
    )


def severity_arg(value: str) -> Severity:
    return Severity.parse(value)


def run_options(args: argparse.Namespace, *, save_state: bool) -> RunOptions:
    """Merge the configuration file with flags; flags win."""
    config = config_file.load(args.config)
    max_age = args.max_key_age or config.max_key_age_days
    return RunOptions(
        out_dir=args.out,
        now=utcnow(),
        waiver_file=args.waivers or config.waivers,
        state_dir=args.state_dir or config.state_dir,
        horizon_days=config.waiver_horizon_days,
        settings=RuleSettings(
            max_key_age_days=max_age,
            unused_key_days=config.unused_key_days,
            azure_max_secret_age_days=args.max_key_age or config.azure.max_secret_age_days,
        ),
        fail_on=Severity.parse(args.fail_on or config.fail_on),
        save_state=save_state,
        expected_interval=timedelta(hours=config.expected_interval_hours),
        terraform_dir=args.terraform or _configured_terraform(args, config),
        redact=redaction.wanted(
            args.redact or config.bot.redaction,
            repository_private=not redaction.running_in_public_repository(),
        ),
    )


def _configured_terraform(args: argparse.Namespace, config: config_file.Config) -> Path | None:
    """The configuration's Terraform directory, when a configuration file says where it is."""
    if args.config is None and not Path(config_file.CONFIG_NAME).exists():
        return None
    return config.terraform.dir if config.terraform.dir.is_dir() else None


def console() -> Console:
    """Results on stdout; wide when writing to a file or a CI log, where nothing wraps."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=160)
    return out

"""`ztdrift init`: write a commented starter `ztdrift.yaml` with every key at its default."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner import config as config_file
from scanner.commands.common import console
from scanner.errors import ExitCode, InputError

STARTER = """\
# ztdrift configuration. Every key is optional; command-line flags win over this file.
# Paths are relative to this file's directory.

# Where scans are kept, so the next scan can report drift.
state_dir: .ztdrift/state

# Time-boxed exceptions, reviewed like code. Check them in CI with `ztdrift waivers check`.
waivers: .ztdrift/waivers.yaml
# No waiver may run longer than this many days; renewals extend up to it.
waiver_horizon_days: 90
# Owner written into waivers that the bot proposes (a GitHub login or @org/team).
waiver_owner: "@security"

# Access keys older than this, or unused for this long, are high severity.
max_key_age_days: 90
unused_key_days: 90

# Exit 1 when an unwaived finding is at least this severe.
fail_on: high

# Principals whose standing access is deliberate (globs on ARNs); the bot opens no pull
# request for them. Give each a waiver too, so its owner reviews it on a schedule.
break_glass: []
#  - "arn:aws:iam::123456789012:user/break-glass"

aws:
  regions: []          # empty: every enabled region
  profile: null

# The Terraform that the bot patches, and optionally a state file to match resources by id.
# Patch paths are relative to `root` (this file's directory: the repository root).
terraform:
  dir: .
  state_file: null
#  directories:          # several root directories instead of `dir`, each with its state
#    - dir: infra/prod
#      state_file: state/prod.json
#    - dir: infra/dev

# The pull-request bot.
bot:
  labels: [ztdrift]    # the family and severity labels are added to these
  max_open: 10         # at most this many open bot pull requests
  max_new_per_run: 2   # and this many new ones per run, worst severity first
  grouping: problem    # one pull request per problem; resource or module to share them
  cooldown_days: 14    # after a person closes one, wait this long before proposing again
  apply_grace_days: 7  # a merged fix may take this long to be applied in the cloud
  renewal_window_days: 14  # waivers expiring this soon get a renewal pull request
  redaction: auto      # auto: on for public repositories (no account ids, key ids, paths)
  seconds_between_writes: 1.0
  base: null           # base branch; null means the repository's default branch
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("init", help="write a commented starter ztdrift.yaml")
    parser.add_argument("--path", type=Path, default=Path(config_file.CONFIG_NAME))
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.exists() and not args.force:
        raise InputError("already exists; pass --force to overwrite it", where=str(path))
    path.write_text(STARTER, encoding="utf-8")
    # Prove the starter is valid before telling anyone to edit it.
    config_file.load(path)
    console().print(f"wrote {path}; edit it, then run `ztdrift scan`", markup=False)
    return int(ExitCode.CLEAN)

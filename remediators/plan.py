"""Plans: one per problem, either a Terraform fix or a waiver proposal, ready for a PR.

Findings are grouped by problem (for standing-admin, by the principal holding the policy, so
a role and the users who can assume it share one plan). Each plan's patch is computed against
the pristine checkout on its own, so plans never depend on one another.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from remediators import (
    fix_admin,
    fix_azure_admin,
    fix_azure_egress,
    fix_azure_keys,
    fix_azure_storage,
    fix_buckets,
    fix_egress,
    fix_gcp_admin,
    fix_gcp_buckets,
    fix_gcp_egress,
    fix_gcp_keys,
    fix_keys,
)
from remediators.body import BodyInput, render
from remediators.edits import Edit, apply_edits, parses, unified_diff
from remediators.fixes import Context, Fix, NoFix, arn_name
from remediators.state import read_state
from remediators.terraform_index import TerraformIndex
from remediators.waivers import INTENDED, WaiverEntry, append_entries, propose
from scanner.findings import Finding, SeverityLabel

log = logging.getLogger(__name__)

Fixer = Callable[[list[Finding], Context], Fix | NoFix]

# Fixers by (provider, family); a problem with none gets a waiver proposal.
FIXERS: dict[tuple[str, str], Fixer] = {
    ("aws", "long-lived-key"): fix_keys.fix,
    ("aws", "standing-admin"): fix_admin.fix,
    ("aws", "open-egress"): fix_egress.fix,
    ("aws", "public-data"): fix_buckets.fix,
    ("azure", "long-lived-key"): fix_azure_keys.fix,
    ("azure", "standing-admin"): fix_azure_admin.fix,
    ("azure", "open-egress"): fix_azure_egress.fix,
    ("azure", "public-data"): fix_azure_storage.fix,
    ("gcp", "long-lived-key"): fix_gcp_keys.fix,
    ("gcp", "standing-admin"): fix_gcp_admin.fix,
    ("gcp", "open-egress"): fix_gcp_egress.fix,
    ("gcp", "public-data"): fix_gcp_buckets.fix,
}


class Plan(BaseModel):
    """One problem's change: the branch, PR text and the patch that fixes or waives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    branch: str
    title: str
    body: str
    findings: list[str]
    kind: Literal["fix", "waiver"]
    patch: str
    files: dict[str, str]
    severity: SeverityLabel
    plan_hash: str


def problem_of(finding: Finding) -> tuple[str, str]:
    """The family and 12-hex fingerprint of the problem a finding belongs to."""
    subject = finding.resource
    if finding.family == "standing-admin":
        subject = fix_admin.holder_of(finding)
    text = "\x1f".join((finding.family, finding.provider, finding.account, subject))
    return finding.family, hashlib.sha256(text.encode()).hexdigest()[:12]


def _counts(findings: list[Finding]) -> dict[str, int]:
    """How many key findings each user has: a user with two cannot be matched without state."""
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        if f.family == "long-lived-key":
            counts[
                f"long-lived-key:{f.evidence.get('owner_name') or arn_name(f.principal or '')}"
            ] += 1
    return dict(counts)


def build_plans(
    findings: list[Finding],
    terraform_dir: Path,
    *,
    state_file: Path | None = None,
    waiver_file: str = ".ztdrift/waivers.yaml",
    default_owner: str = "@security",
    today: date,
) -> list[Plan]:
    """A plan for every problem among the unwaived findings, sorted by key.

    Informational findings (an open group attached to nothing) are reported, but nobody
    should have to review a pull request for them.
    """
    active = sorted(
        (f for f in findings if f.waiver is None and f.severity != "info"), key=lambda f: f.id
    )
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in active:
        groups[problem_of(finding)].append(finding)

    index = TerraformIndex.load(terraform_dir)
    state = read_state(state_file) if state_file is not None else None
    ctx = Context(index, state, _counts(active))
    plans = []
    for (family, fp), group in sorted(groups.items()):
        plan = _plan(family, fp, group, ctx, waiver_file, default_owner, today)
        if plan is not None:
            plans.append(plan)
    log.info("built %d plans from %d unwaived findings", len(plans), len(active))
    return plans


def _plan(
    family: str,
    fp: str,
    group: list[Finding],
    ctx: Context,
    waiver_file: str,
    owner: str,
    today: date,
) -> Plan | None:
    fixer = FIXERS.get((group[0].provider, family))
    outcome = fixer(group, ctx) if fixer else NoFix(f"ztdrift has no fixer for {family}")
    files: dict[str, tuple[str | None, str]] = {}
    if isinstance(outcome, Fix):
        files = _apply(ctx.index, outcome)
        if not files:
            outcome = NoFix("the edit did not give valid Terraform")
    waivers = [propose(f, owner, today, INTENDED) for f in group]
    if isinstance(outcome, NoFix):
        waivers = [propose(f, owner, today) for f in group]
        log.info("%s %s: no certain fix (%s); proposing a waiver", family, fp, outcome.reason)
        old, new = append_entries(ctx.index.root, waiver_file, waivers)
        if old == new:
            log.info("%s %s: its waiver entries are already in %s", family, fp, waiver_file)
            return None
        files = {waiver_file: (old, new)}
    return _assemble(family, fp, group, outcome, files, waivers, waiver_file)


def _apply(index: TerraformIndex, fix: Fix) -> dict[str, tuple[str | None, str]]:
    """Old and new text of every edited file; empty if any edit fails to parse again."""
    by_path: dict[str, list[Edit]] = defaultdict(list)
    for edit in fix.edits:
        by_path[edit.path].append(edit)
    files: dict[str, tuple[str | None, str]] = {}
    for path, edits in sorted(by_path.items()):
        old = index.files[path].text
        try:
            new = apply_edits(old, edits)
        except ValueError:
            return {}
        if new == old or not parses(path, new):
            return {}
        files[path] = (old, new)
    return files


def _hash(kind: str, group: list[Finding], files: dict[str, tuple[str | None, str]]) -> str:
    """A hash of what the plan changes; a waiver's expiry date is left out so it is stable."""
    content = {p: new for p, (_, new) in files.items()}
    if kind == "waiver":
        content = {
            p: "\n".join(line for line in new.splitlines() if "expires:" not in line)
            for p, new in content.items()
        }
    doc = {"kind": kind, "findings": [f.id for f in group], "files": content}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


# What each provider calls a credential, a network rule set and a data store, for titles.
NOUNS = {
    "aws": ("access key", "security group", "bucket"),
    "gcp": ("service-account key", "network", "bucket"),
    "azure": ("credential", "network security group", "storage account"),
}


def _title(family: str, kind: str, group: list[Finding]) -> str:
    first = group[0]
    name = str(
        first.evidence.get("holder_name")
        or first.evidence.get("owner_name")
        or first.evidence.get("group_name")
        or first.evidence.get("bucket")
        or arn_name(first.resource)
    )
    # A title is plain text on GitHub, but keep it one line and short.
    name = " ".join(name.split())[:80]
    credential, network, store = NOUNS.get(first.provider, NOUNS["aws"])
    verbs = {
        "long-lived-key": f"remove the long-lived {credential} of {name}",
        "standing-admin": f"remove standing admin from {name}",
        "open-egress": f"close open egress of {network} {name}",
        "public-data": f"block public access to {store} {name}",
    }
    text = verbs.get(family, f"fix {family} on {name}")
    if kind == "waiver":
        text = f"propose a waiver for {family} on {name} (not managed by Terraform)"
    return f"ztdrift: {text}"


def _assemble(
    family: str,
    fp: str,
    group: list[Finding],
    outcome: Fix | NoFix,
    files: dict[str, tuple[str | None, str]],
    waivers: list[WaiverEntry],
    waiver_file: str,
) -> Plan:
    kind: Literal["fix", "waiver"] = "fix" if isinstance(outcome, Fix) else "waiver"
    patch = "".join(unified_diff(p, old, new) for p, (old, new) in sorted(files.items()))
    key = f"{family}:{fp}"
    plan_hash = _hash(kind, group, files)
    title = _title(family, kind, group)
    body = render(
        BodyInput(
            key=key,
            plan_hash=plan_hash,
            title=title,
            family=family,
            kind=kind,
            findings=group,
            changes=outcome.changes if isinstance(outcome, Fix) else (),
            reason=outcome.reason if isinstance(outcome, NoFix) else None,
            patch=patch,
            waivers=waivers,
            waiver_file=waiver_file,
        )
    )
    return Plan(
        key=key,
        branch=f"ztdrift/{family}/{fp}",
        title=title,
        body=body,
        findings=[f.id for f in group],
        kind=kind,
        patch=patch,
        files={p: new for p, (_, new) in sorted(files.items())},
        severity=max(group, key=lambda f: f.level).severity,
        plan_hash=plan_hash,
    )


def write_plans(plans: list[Plan], out_dir: Path) -> list[Path]:
    """Write each plan to its own directory: plan.json, body.md and change.patch."""
    written = []
    for plan in sorted(plans, key=lambda p: p.key):
        directory = out_dir / plan.key.replace(":", "-")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "plan.json").write_text(plan.model_dump_json(indent=2) + "\n", "utf-8")
        (directory / "body.md").write_text(plan.body, "utf-8")
        with (directory / "change.patch").open("w", encoding="utf-8", newline="") as handle:
            handle.write(plan.patch)
        written.append(directory)
    return written

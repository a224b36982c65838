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
from collections.abc import Callable, Sequence
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
    workspace,
)
from remediators.body import BodyInput, GroupInput, render, render_group
from remediators.edits import Edit, apply_edits, parses, unified_diff
from remediators.fixes import Context, Fix, NoFix, arn_name
from remediators.grouping import Group, Grouping, Problem, partition
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
    directories: Sequence[workspace.TerraformDir] = (),
    grouping: Grouping = "problem",
    waiver_file: str = ".ztdrift/waivers.yaml",
    default_owner: str = "@security",
    today: date,
) -> list[Plan]:
    """A plan for every problem (or group of problems) among the unwaived findings, by key.

    `terraform_dir` is the repository root that patch paths are relative to. With
    `directories`, only those Terraform directories are searched, each with its own state;
    without, the whole root is, with `state_file`. Informational findings (an open group
    attached to nothing) are reported, but nobody should have to review a pull request for
    them.
    """
    active = sorted(
        (f for f in findings if f.waiver is None and f.severity != "info"), key=lambda f: f.id
    )
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in active:
        groups[problem_of(finding)].append(finding)

    if directories:
        index, state = workspace.load(terraform_dir, directories)
    else:
        index = TerraformIndex.load(terraform_dir)
        state = read_state(state_file) if state_file is not None else None
    ctx = Context(index, state, _counts(active), today)
    problems = []
    for (family, fp), group in sorted(groups.items()):
        problem = _problem(family, fp, group, ctx, waiver_file, default_owner, today)
        if problem is not None:
            problems.append(problem)
    plans = _grouped(problems, grouping, ctx, waiver_file)
    log.info("built %d plans from %d unwaived findings", len(plans), len(active))
    return plans


def _problem(
    family: str,
    fp: str,
    group: list[Finding],
    ctx: Context,
    waiver_file: str,
    owner: str,
    today: date,
) -> Problem | None:
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
    return Problem(family, fp, group, outcome, files, waivers)


def _grouped(
    problems: list[Problem], grouping: Grouping, ctx: Context, waiver_file: str
) -> list[Plan]:
    """One plan per group, and one per problem that stays on its own, sorted by key."""
    groups, alone = partition(problems, grouping)
    single = [*alone]
    plans = []
    for group, members in groups.items():
        joined, split = _join(members, ctx)
        single += split
        if joined:
            plans.append(_assemble_group(group, joined, ctx, waiver_file))
    for p in single:
        plans.append(
            _assemble(p.family, p.fp, p.findings, p.outcome, p.files, p.waivers, waiver_file)
        )
    return sorted(plans, key=lambda plan: plan.key)


def _join(members: list[Problem], ctx: Context) -> tuple[list[Problem], list[Problem]]:
    """The members whose edits combine into valid Terraform, and those that must stay apart.

    Members are taken in key order; one whose edits overlap those already taken (or whose
    combination does not parse) gets a pull request of its own, so it is still proposed.
    """
    edits: list[Edit] = []
    joined: list[Problem] = []
    split: list[Problem] = []
    for member in members:
        if isinstance(member.outcome, Fix):
            trial = list(dict.fromkeys([*edits, *member.outcome.edits]))
            if not _apply(ctx.index, Fix(tuple(trial), ())):
                log.info("%s: its edit clashes with its group's; kept apart", member.key)
                split.append(member)
                continue
            edits = trial
        joined.append(member)
    return joined, split


def _group_files(
    members: list[Problem], ctx: Context, waiver_file: str
) -> dict[str, tuple[str | None, str]]:
    """The combined files of a group: every fix's edits, then every proposed waiver entry."""
    edits = [e for m in members if isinstance(m.outcome, Fix) for e in m.outcome.edits]
    files = _apply(ctx.index, Fix(tuple(dict.fromkeys(edits)), ())) if edits else {}
    entries = [w for m in members if isinstance(m.outcome, NoFix) for w in m.waivers]
    if entries:
        files[waiver_file] = append_entries(ctx.index.root, waiver_file, entries)
    return files


def _assemble_group(group: Group, members: list[Problem], ctx: Context, waiver_file: str) -> Plan:
    """One plan for a group: the combined patch, and a body listing each problem."""
    files = _group_files(members, ctx, waiver_file)
    findings = [f for m in members for f in m.findings]
    kind: Literal["fix", "waiver"] = (
        "fix" if any(isinstance(m.outcome, Fix) for m in members) else "waiver"
    )
    patch = "".join(unified_diff(p, old, new) for p, (old, new) in sorted(files.items()))
    # The waiver file is hashed apart, without expiry dates, so a rerun on a later day whose
    # proposed entries expire later is still the same plan.
    waiver_part = {p: v for p, v in files.items() if p == waiver_file}
    code_part = {p: v for p, v in files.items() if p != waiver_file}
    halves = _hash(kind, findings, code_part) + _hash("waiver", [], waiver_part)
    plan_hash = hashlib.sha256(halves.encode()).hexdigest()[:16]
    problems = [_member_input(m, waiver_file) for m in members]
    title = (
        problems[0].title
        if len(members) == 1
        else (f"ztdrift: fix {len(members)} problems on {' '.join(group.name.split())[:80]}")
    )
    body = render_group(
        GroupInput(
            key=group.key,
            plan_hash=plan_hash,
            title=title,
            grouping=group.grouping,
            name=group.name,
            problems=problems,
            patch=patch,
            waiver_file=waiver_file,
        )
    )
    return Plan(
        key=group.key,
        branch=group.branch,
        title=title,
        body=body,
        findings=[f.id for f in findings],
        kind=kind,
        patch=patch,
        files={p: new for p, (_, new) in sorted(files.items())},
        severity=max(findings, key=lambda f: f.level).severity,
        plan_hash=plan_hash,
    )


def _member_input(member: Problem, waiver_file: str) -> BodyInput:
    """What a group's body shows about one of its problems (the patch is shown once, whole)."""
    kind = "fix" if isinstance(member.outcome, Fix) else "waiver"
    return BodyInput(
        key=member.key,
        plan_hash="",
        title=_title(member.family, kind, member.findings),
        family=member.family,
        kind=kind,
        findings=member.findings,
        changes=member.outcome.changes if isinstance(member.outcome, Fix) else (),
        reason=member.outcome.reason if isinstance(member.outcome, NoFix) else None,
        patch="",
        waivers=member.waivers,
        waiver_file=waiver_file,
    )


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
    else:
        # A time-bound grant's end is counted from the day of the run, like a waiver's expiry.
        dated = "request.time < timestamp("
        content = {
            p: "\n".join(line for line in new.splitlines() if dated not in line)
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
    # GitHub shows titles as plain text (no links, mentions or HTML): one line, short.
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

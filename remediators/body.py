"""The pull request body of a plan: what drifted, why it matters, the change, how to check it."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from remediators.pr_mermaid import diagram
from remediators.waivers import WaiverEntry
from scanner.findings import Finding
from scanner.markdown import escape_markdown, fence, truncate

MAX_BODY = 65_536
MAX_EVIDENCE = 12_000
MAX_PATCH = 30_000
MARKER_PREFIX = "<!-- ztdrift:"

PRINCIPLES = {
    "long-lived-key": (
        "Zero Trust avoids standing credentials: a static access key works from anywhere until "
        "someone revokes it. Short-lived credentials (an assumed role, OIDC federation for CI) "
        "expire on their own and are bound to a session."
    ),
    "standing-admin": (
        "Least privilege and just-in-time access: nobody should hold administrator rights "
        "between the tasks that need them. Standing admin turns any stolen session into full "
        "control of the account."
    ),
    "open-egress": (
        "Assume breach and segment the network: a workload that can reach every address on the "
        "internet gives an intruder a free channel to exfiltrate data or fetch tooling."
    ),
    "public-data": (
        "Verify every access explicitly: a public bucket serves its data to anyone without "
        "identity, so no policy, log review or revocation can tell who read it."
    ),
}

VERIFY = {
    "long-lived-key": "aws iam list-access-keys --user-name {owner_name}",
    "standing-admin": "aws iam list-attached-{kind}-policies --{kind}-name {holder_name}",
    "open-egress": "aws ec2 describe-security-groups --group-ids {group_id}",
    "public-data": "aws s3api get-public-access-block --bucket {bucket}",
}


@dataclass(frozen=True)
class BodyInput:
    """Everything the body shows about one plan."""

    key: str
    plan_hash: str
    title: str
    family: str
    kind: str
    findings: list[Finding]
    changes: tuple[str, ...]
    reason: str | None
    patch: str
    waivers: list[WaiverEntry]
    waiver_file: str


@dataclass(frozen=True)
class GroupInput:
    """Everything the body of a grouped pull request shows: its problems and one patch."""

    key: str
    plan_hash: str
    title: str
    grouping: str
    name: str
    problems: list[BodyInput]
    patch: str
    waiver_file: str


def marker(key: str, plan_hash: str) -> str:
    """The hidden comment that ties a pull request to its plan."""
    return f"{MARKER_PREFIX}{json.dumps({'key': key, 'plan_hash': plan_hash})} -->"


def render(data: BodyInput) -> str:
    """The Markdown body, within GitHub's 65,536-character limit."""
    sections = [
        f"## {escape_markdown(data.title)}\n",
        _drift(data),
        "### Why it matters\n\n" + PRINCIPLES.get(data.family, "") + "\n",
        _evidence(data.findings),
        _change(data),
        _verify(data),
        _waive(data),
        marker(data.key, data.plan_hash) + "\n",
    ]
    body = "\n".join(sections)
    if len(body) > MAX_BODY:
        # Only the evidence and patch can be long; both were capped, so this is a last resort.
        body = truncate(body, MAX_BODY - 200, "_Body truncated._") + "\n" + sections[-1]
    return body


def render_group(data: GroupInput) -> str:
    """The Markdown body of a group: the problems it fixes, the one change, then each problem.

    Each problem's section is capped like a single body's; a group too large for GitHub's
    limit is truncated, with a pointer to the full report.
    """
    what = "resource" if data.grouping == "resource" else "Terraform directory"
    listing = [
        f"This pull request handles {len(data.problems)} problem(s) on the same {what}, "
        f"{escape_markdown(data.name)}:\n"
    ]
    listing += [f"{n}. {escape_markdown(p.title)}" for n, p in enumerate(data.problems, 1)]
    sections = [f"## {escape_markdown(data.title)}\n", "\n".join(listing) + "\n", _changes(data)]
    for number, problem in enumerate(data.problems, 1):
        parts = [
            _drift(problem),
            "### Why it matters\n\n" + PRINCIPLES.get(problem.family, "") + "\n",
            _evidence(problem.findings),
            _verify(problem),
            _waive(problem),
        ]
        # One heading level down, so each problem's parts sit under its own heading.
        nested = "\n".join(part.replace("### ", "#### ", 1) for part in parts)
        sections.append(f"### Problem {number}: {escape_markdown(problem.title)}\n\n{nested}")
    sections.append(marker(data.key, data.plan_hash) + "\n")
    body = "\n".join(sections)
    if len(body) > MAX_BODY:
        note = "_Body truncated; the full record of every problem is in findings.json._"
        body = truncate(body, MAX_BODY - 300, note) + "\n" + sections[-1]
    return body


def _changes(data: GroupInput) -> str:
    lines = ["### The change\n"]
    for problem in data.problems:
        lines += [f"- {c}" for c in problem.changes]
        if problem.kind == "waiver":
            lines.append(
                f"- No Terraform certainly manages {escape_markdown(problem.title)} "
                f"({escape_markdown(problem.reason or '')}); a time-limited waiver is proposed "
                f"in `{data.waiver_file}` instead."
            )
    note = "… patch truncated; see the branch's commit for the full change."
    return "\n".join(lines) + "\n\n" + fence(truncate(data.patch, MAX_PATCH, note), "diff")


def _drift(data: BodyInput) -> str:
    lines = ["### What drifted\n"]
    for finding in data.findings:
        first_seen = finding.evidence.get("first_seen")
        seen = f" (first seen {escape_markdown(str(first_seen))})" if first_seen else ""
        lines.append(
            f"- **{finding.severity}** {escape_markdown(finding.title)}: "
            f"{escape_markdown(finding.resource)} in account {escape_markdown(finding.account)}"
            f"{seen}"
        )
    return "\n".join(lines) + "\n"


def _evidence(findings: list[Finding]) -> str:
    lines = ["### Evidence\n"]
    chart = diagram(findings)
    if chart:
        lines.append(chart)
    for finding in findings:
        if finding.path:
            steps = " → ".join(escape_markdown(step) for step in finding.path)
            lines.append(f"- Path: {steps}")
    detail = json.dumps({f.id: f.evidence for f in findings}, indent=2, sort_keys=True)
    note = "… evidence truncated; the full record is in findings.json."
    lines.append("")
    lines.append(fence(truncate(detail, MAX_EVIDENCE, note), "json"))
    return "\n".join(lines)


def _change(data: BodyInput) -> str:
    if data.kind == "fix":
        head = "### The change\n\n" + "\n".join(f"- {c}" for c in data.changes) + "\n"
        if data.family == "open-egress":
            head += (
                "\nAfter this change the group allows no outbound traffic. Add `egress` rules "
                "for the specific destinations and ports the workload needs before merging.\n"
            )
    else:
        reason = escape_markdown(data.reason or "")
        head = (
            "### The change\n\nNo Terraform code certainly manages this, so no fix is proposed "
            f"({reason}). This pull request proposes a time-limited waiver in "
            f"`{data.waiver_file}` for review instead; fix the resource where it is managed, "
            "or adjust the waiver's owner and reason before merging.\n"
        )
    note = "… patch truncated; see the branch's commit for the full change."
    return head + "\n" + fence(truncate(data.patch, MAX_PATCH, note), "diff")


def _verify(data: BodyInput) -> str:
    lines = ["### How to verify after apply\n"]
    if data.kind == "fix":
        lines.append("Run `terraform plan` and check it only changes what is listed above. Then:\n")
        commands = sorted({_command(data.family, f) for f in data.findings} - {""})
        lines.append(fence("\n".join(commands), "sh") if commands else "")
    lines.append("Run ztdrift again: the finding(s) above should be reported as resolved.\n")
    return "\n".join(lines)


def _command(family: str, finding: Finding) -> str:
    template = VERIFY.get(family)
    if template is None:
        return ""
    values = {k: str(v) for k, v in finding.evidence.items() if isinstance(v, str | int)}
    holder = str(finding.evidence.get("holder") or "")
    values["kind"] = holder.split(":", 5)[-1].split("/", 1)[0]
    try:
        # Quoted: a name from the cloud must not run as shell code in a reviewer's terminal.
        return template.format(**{k: shlex.quote(v) for k, v in values.items()})
    except KeyError:
        return ""


def _waive(data: BodyInput) -> str:
    entries = "\n".join(line for w in data.waivers for line in w.lines("  "))
    return (
        "### How to waive instead\n\nIf this is intended, add this entry to "
        f"`{data.waiver_file}` (and set a real owner and reason):\n\n"
        + fence("waivers:\n" + entries, "yaml")
    )

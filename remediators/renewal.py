"""Waiver lifecycle pull requests: renew what expires soon, remove what expired, clean up.

- A waiver expiring within the renewal window gets a pull request extending it to the
  horizon and asking its owner for review: merged means renewed, closed means it lapses.
- An expired waiver gets a pull request removing it; its finding is already back.
- A waiver that matches no finding any more (the resource is gone or fixed) gets a clean-up
  pull request. This needs a complete scan, so its proposal rests on every scope.

Each plan hash leaves out dates that move every day (the renewal's new expiry), so a rerun
on the next day leaves an open lifecycle pull request alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from remediators.edits import unified_diff
from remediators.plan import Plan
from remediators.pr_proposal import EVERY_SCOPE, Proposal, labels_for, valid_owner
from scanner import waiver_edit
from scanner.findings import Finding, SeverityLabel
from scanner.markdown import escape_markdown, fence
from scanner.waivers import Waiver, WaiverFile

log = logging.getLogger(__name__)

Purpose = Literal["renewal", "removal", "cleanup"]


def lifecycle_proposals(
    waivers: WaiverFile,
    findings: list[Finding],
    *,
    rel_path: str,
    today: date,
    window_days: int,
    horizon_days: int,
    labels: tuple[str, ...] = ("ztdrift",),
) -> list[Proposal]:
    """One proposal per waiver that needs renewal, removal or clean-up."""
    text = waivers.path.read_text(encoding="utf-8")
    proposals = []
    for waiver in waivers.waivers:
        purpose = _purpose(waiver, findings, today, window_days)
        if purpose is None:
            continue
        hidden = [f for f in findings if waiver.matches(f)]
        new = _edit(text, waiver, purpose, today, horizon_days, rel_path)
        plan = _plan(waiver, purpose, rel_path, text, new, hidden, today, horizon_days)
        owner = valid_owner(waiver.owner)
        proposals.append(
            Proposal(
                plan=plan,
                family=f"waiver-{purpose}",
                scopes=(EVERY_SCOPE,) if purpose == "cleanup" else (),
                labels=labels_for(labels, "waiver", plan.severity),
                owners=(owner,) if owner else (),
                base_files={rel_path: text},
            )
        )
    log.info("%d waiver lifecycle proposal(s)", len(proposals))
    return proposals


def _purpose(
    waiver: Waiver, findings: list[Finding], today: date, window_days: int
) -> Purpose | None:
    if not waiver.active_on(today):
        return "removal"
    if not any(waiver.matches(f) for f in findings):
        return "cleanup"
    if waiver.expires <= today + timedelta(days=window_days):
        return "renewal"
    return None


def _edit(
    text: str, waiver: Waiver, purpose: Purpose, today: date, horizon: int, where: str
) -> str:
    if purpose == "renewal":
        return waiver_edit.renew(
            text,
            waiver.id,
            until=today + timedelta(days=horizon),
            reason=None,
            today=today,
            horizon_days=horizon,
            where=where,
        )
    return waiver_edit.remove(text, [waiver.id], where=where)


def _plan(
    waiver: Waiver,
    purpose: Purpose,
    rel_path: str,
    old: str,
    new: str,
    hidden: list[Finding],
    today: date,
    horizon: int,
) -> Plan:
    fp = hashlib.sha256(waiver.id.encode()).hexdigest()[:12]
    family = f"waiver-{purpose}"
    # The hash names the waiver and its current expiry, not the new date, which moves daily.
    digest = json.dumps([purpose, waiver.id, waiver.expires.isoformat(), waiver.resource])
    plan_hash = hashlib.sha256(digest.encode()).hexdigest()[:16]
    titles = {
        "renewal": f"ztdrift: renew waiver {waiver.id} (expires {waiver.expires})",
        "removal": f"ztdrift: remove expired waiver {waiver.id}",
        "cleanup": f"ztdrift: remove waiver {waiver.id}, which matches nothing",
    }
    patch = unified_diff(rel_path, old, new)
    severities: list[SeverityLabel] = [f.severity for f in hidden] or ["low"]
    worst = max(severities, key=lambda s: ["info", "low", "medium", "high", "critical"].index(s))
    return Plan(
        key=f"{family}:{fp}",
        branch=f"ztdrift/{family}/{fp}",
        title=titles[purpose],
        body=_body(waiver, purpose, patch, hidden, today, horizon),
        findings=[f.id for f in hidden],
        kind="waiver",
        patch=patch,
        files={rel_path: new},
        severity=worst,
        plan_hash=plan_hash,
    )


def _body(
    waiver: Waiver,
    purpose: Purpose,
    patch: str,
    hidden: list[Finding],
    today: date,
    horizon: int,
) -> str:
    wid = escape_markdown(waiver.id)
    what = {
        "renewal": (
            f"Waiver {wid} expires on {waiver.expires}. This extends it to "
            f"{today + timedelta(days=horizon)}, the {horizon}-day horizon. Its owner is asked "
            "to review: merge to renew it, close to let it lapse (its findings then come back)."
        ),
        "removal": (
            f"Waiver {wid} expired on {waiver.expires} and hides nothing any more: its "
            "findings are reported again. This removes the stale entry."
        ),
        "cleanup": (
            f"Waiver {wid} matches no finding in a complete scan: the resource is gone or "
            "fixed. This removes the entry so it cannot silently hide a future problem."
        ),
    }[purpose]
    lines = [
        f"## {escape_markdown(waiver.id)}: waiver {purpose}\n",
        what + "\n",
        f"- Rule: {escape_markdown(waiver.rule)}",
        f"- Resource: {escape_markdown(waiver.resource)}",
        f"- Reason: {escape_markdown(waiver.reason)}",
        f"- Findings it hides: {len(hidden)}\n",
        "### The change\n",
        fence(patch, "diff"),
    ]
    return "\n".join(lines)


def waiver_path(waivers: Path, root: Path) -> str:
    """The waiver file's path inside the checkout, as the commit writes it."""
    try:
        return str(waivers.resolve().relative_to(root.resolve()))
    except ValueError:
        return ".ztdrift/waivers.yaml"

"""Grouping problems into shared pull requests: per cloud resource, or per Terraform module.

A problem is one family's findings on one subject (see `plan.problem_of`). With `resource`
grouping, the problems about the same cloud resource share a pull request; a principal's
access key and its standing admin count as the same resource, the principal, since one
reviewer owns both. With `module` grouping, problems whose fix edits the same Terraform
directory share one; a problem with no Terraform fix has no module and stays on its own.

A group's key and branch come from what it is grouped by, never from its members, so a
problem joining or leaving a group updates the same pull request, and an emptied group's
pull request is closed like any problem that went away.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from remediators import fix_admin
from remediators.fixes import Fix, NoFix, arn_name
from remediators.waivers import WaiverEntry
from scanner.findings import Finding

Grouping = Literal["problem", "resource", "module"]


@dataclass(frozen=True)
class Problem:
    """One problem's outcome on its own: its findings, fix or reason, and standalone files."""

    family: str
    fp: str
    findings: list[Finding]
    outcome: Fix | NoFix
    files: dict[str, tuple[str | None, str]]
    waivers: list[WaiverEntry]

    @property
    def key(self) -> str:
        return f"{self.family}:{self.fp}"


@dataclass(frozen=True)
class Group:
    """What a group of problems shares: its identity, key, branch and a name for people."""

    grouping: Grouping
    identity: str
    name: str

    @property
    def fingerprint(self) -> str:
        text = f"{self.grouping}\x1f{self.identity}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def key(self) -> str:
        return f"{self.grouping}:{self.fingerprint}"

    @property
    def branch(self) -> str:
        return f"ztdrift/{self.grouping}/{self.fingerprint}"


def subject_of(finding: Finding) -> str:
    """The cloud resource a finding is about, for resource grouping."""
    if finding.family == "standing-admin":
        return fix_admin.holder_of(finding)
    if finding.family == "long-lived-key" and finding.principal:
        return finding.principal
    return finding.resource


def group_of(problem: Problem, grouping: Grouping) -> Group | None:
    """The group a problem belongs to, or None when it stays a pull request of its own."""
    if grouping == "resource":
        first = problem.findings[0]
        subject = subject_of(first)
        identity = "\x1f".join((first.provider, first.account, subject))
        return Group(grouping, identity, arn_name(subject) or subject)
    if grouping == "module" and isinstance(problem.outcome, Fix):
        # A fix edits one block in practice; several files would take the first's directory.
        path = sorted(e.path for e in problem.outcome.edits)[0]
        directory = posixpath.dirname(path) or "."
        return Group(grouping, directory, directory)
    return None


def partition(
    problems: list[Problem], grouping: Grouping
) -> tuple[dict[Group, list[Problem]], list[Problem]]:
    """Problems by group (each group's members in key order), and those left on their own."""
    groups: dict[Group, list[Problem]] = defaultdict(list)
    alone: list[Problem] = []
    for problem in sorted(problems, key=lambda p: p.key):
        group = group_of(problem, grouping) if grouping != "problem" else None
        if group is None:
            alone.append(problem)
        else:
            groups[group].append(problem)
    return dict(groups), alone

"""A proposal: a plan plus what the bot needs to file it (scopes, labels, people, base files).

Reviewers and assignees come, in order, from the waiver owner, an owner tag on the resource
and CODEOWNERS for the edited files; the first source that names anyone wins, so a waiver's
owner is never drowned out by a catch-all CODEOWNERS line.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from remediators.plan import Plan
from scanner.findings import Finding
from scanner.waivers import OWNER

log = logging.getLogger(__name__)

CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNER_TAGS = ("owner", "Owner", "OWNER", "ztdrift:owner")
# Scope of a proposal that rests on the whole scan (a waiver that matches nothing).
EVERY_SCOPE = "*"


@dataclass(frozen=True)
class Proposal:
    """One pull request the bot wants to exist."""

    plan: Plan
    family: str
    scopes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ("ztdrift",)
    owners: tuple[str, ...] = ()
    # The checkout's text of each file the plan rewrites (None: the file is new), to notice
    # a base branch that changed those files since the checkout was made.
    base_files: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.plan.key


def scope_of(finding: Finding) -> str:
    """The scope key of a finding: provider and account."""
    return f"{finding.provider}:{finding.account}"


def labels_for(base: Iterable[str], family: str | Iterable[str], severity: str) -> tuple[str, ...]:
    """The configured labels plus the family (each family, for a group) and the severity."""
    families = [family] if isinstance(family, str) else list(family)
    return (*dict.fromkeys([*base, *families]), f"severity:{severity}")


def valid_owner(text: str) -> str | None:
    """`@login` or `@org/team` when `text` is a reachable GitHub owner, else None.

    Owner tags come from the cloud, where anyone who can tag a resource chooses them; only a
    plain login or team name is accepted, so a tag cannot smuggle text into a request.
    """
    text = text.strip()
    if not text or not OWNER.match(text):
        return None
    return text if text.startswith("@") else "@" + text


def codeowners(root: Path) -> list[tuple[str, tuple[str, ...]]]:
    """The CODEOWNERS rules of a checkout, in file order (the last match wins)."""
    for place in CODEOWNERS_PLACES:
        path = root / place
        if path.is_file():
            return _parse_codeowners(path.read_text(encoding="utf-8", errors="replace"))
    return []


def _parse_codeowners(text: str) -> list[tuple[str, tuple[str, ...]]]:
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        # E-mail owners cannot be requested as reviewers through the API; they are skipped.
        named = tuple(o for o in (valid_owner(x) for x in owners if "@" in x[:1]) if o)
        rules.append((pattern, named))
    return rules


def _matches(pattern: str, path: str) -> bool:
    # CODEOWNERS follows gitignore patterns; this covers the common forms (globs, a leading
    # slash anchoring at the root, a trailing slash for a directory). Negations and `**`
    # in the middle of a pattern are not handled and simply do not match.
    anchored = pattern.startswith("/")
    pattern = pattern.strip("/") if pattern != "/" else ""
    if pattern in ("", "*"):
        return True
    candidates = [path] if anchored else [path, *_suffixes(path)]
    return any(
        fnmatch.fnmatchcase(c, pattern) or c.startswith(pattern.rstrip("*") + "/")
        for c in candidates
    )


def _suffixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[i:]) for i in range(1, len(parts))] + parts[-1:]


def owners_from_codeowners(
    rules: list[tuple[str, tuple[str, ...]]], paths: Iterable[str]
) -> list[str]:
    """The owners of the given files: per file, the last matching rule."""
    found: list[str] = []
    for path in paths:
        owners: tuple[str, ...] = ()
        for pattern, named in rules:
            if _matches(pattern, path):
                owners = named
        found += [o for o in owners if o not in found]
    return found


def owners_for(
    findings: Iterable[Finding],
    paths: Iterable[str],
    *,
    waiver_owners: Iterable[str] = (),
    owner_tags: Mapping[str, str] | None = None,
    rules: list[tuple[str, tuple[str, ...]]] | None = None,
) -> tuple[str, ...]:
    """Reviewers in order of preference: waiver owner, resource owner tag, CODEOWNERS."""
    sources: list[list[str]] = [
        [o for o in (valid_owner(w) for w in waiver_owners) if o],
        _tag_owners(findings, owner_tags or {}),
        owners_from_codeowners(rules or [], paths),
    ]
    for owners in sources:
        if owners:
            return tuple(dict.fromkeys(owners))
    return ()


def _tag_owners(findings: Iterable[Finding], owner_tags: Mapping[str, str]) -> list[str]:
    found = []
    for finding in findings:
        for subject in (finding.resource, finding.principal or ""):
            owner = valid_owner(owner_tags.get(subject, ""))
            if owner and owner not in found:
                found.append(owner)
    return found


def owner_tag(tags: Mapping[str, str]) -> str | None:
    """The owner named by a resource's tags, if any."""
    for name in OWNER_TAGS:
        if tags.get(name):
            return tags[name]
    return None


def base_files(root: Path, plan: Plan) -> dict[str, str | None]:
    """The checkout's text of each file a plan writes."""
    found: dict[str, str | None] = {}
    for path in plan.files:
        local = root / path
        found[path] = local.read_text(encoding="utf-8") if local.is_file() else None
    return found


def propose(
    plans: Iterable[Plan],
    findings: Iterable[Finding],
    *,
    root: Path,
    labels: Iterable[str] = ("ztdrift",),
    owner_tags: Mapping[str, str] | None = None,
) -> list[Proposal]:
    """A proposal for each fix or waiver plan, from the findings it came from."""
    by_id = {f.id: f for f in findings}
    rules = codeowners(root)
    proposals = []
    for plan in plans:
        group = [by_id[i] for i in plan.findings if i in by_id]
        family = plan.key.split(":", 1)[0]
        # A grouped plan's key names its grouping; its labels name its members' families.
        families = sorted({f.family for f in group}) or [family]
        proposals.append(
            Proposal(
                plan=plan,
                family=family,
                scopes=tuple(sorted({scope_of(f) for f in group})),
                labels=labels_for(labels, families, plan.severity),
                owners=owners_for(group, plan.files, owner_tags=owner_tags, rules=rules),
                base_files=base_files(root, plan),
            )
        )
    return proposals

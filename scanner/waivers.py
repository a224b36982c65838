"""Waivers: exceptions kept in the repository, each with an owner, a reason and an expiry.

An active waiver marks the findings it matches as waived; an expired one hides nothing and is
listed in the report so its owner renews it or lets it lapse. A broken waiver file stops the
run before anything is opened, with an error naming the line.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from scanner.errors import InputError
from scanner.findings import FAMILIES, Finding

OWNER = re.compile(r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?$")
DEFAULT_HORIZON_DAYS = 90


def _rule_ids() -> set[str]:
    # Imported here: the rules import the graph engine, which waivers need not load otherwise.
    from rules import rule_infos

    return set(rule_infos())


class Waiver(BaseModel):
    """One exception: which findings it hides, who owns it, why, and until when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    rule: str
    resource: str
    owner: str
    reason: str
    expires: date
    ticket: str | None = None
    compensating_control: str | None = None

    @field_validator("rule")
    @classmethod
    def _known_family(cls, value: str) -> str:
        if value.split("/", 1)[0] not in FAMILIES:
            raise ValueError(f"unknown rule family {value!r} (known: {', '.join(FAMILIES)})")
        if "/" in value and value not in _rule_ids():
            raise ValueError(
                f"unknown rule {value!r} (use the family, or a rule id ztdrift reports)"
            )
        return value

    @field_validator("owner")
    @classmethod
    def _owner_is_reachable(cls, value: str) -> str:
        if not OWNER.match(value):
            raise ValueError("must be a GitHub login or @org/team")
        return value

    @field_validator("reason", "id", "resource")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    def matches(self, finding: Finding) -> bool:
        """Rule by family or exact detail; resource exact or by glob."""
        if self.rule != finding.rule and self.rule != finding.family:
            return False
        return self.resource == finding.resource or fnmatch.fnmatchcase(
            finding.resource, self.resource
        )

    def active_on(self, day: date) -> bool:
        """A waiver is active up to and including its expiry day (UTC)."""
        return day <= self.expires


@dataclass
class WaiverFile:
    """A parsed waiver file, with the line of each entry for messages."""

    path: Path
    waivers: list[Waiver]
    lines: dict[str, int]


def load(
    path: Path,
    *,
    today: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    errors: list[InputError] | None = None,
) -> WaiverFile:
    """Read and validate a waiver file; a missing file means no waivers.

    The first invalid entry raises, unless `errors` is given: then every entry's errors are
    collected there and the invalid entries are left out (a file that is not YAML, or not a
    `waivers` list, still raises).
    """
    if not path.exists():
        return WaiverFile(path=path, waivers=[], lines={})
    data = _parse_yaml(path)
    entries = _entries(data, path)

    waivers: list[Waiver] = []
    lines: dict[str, int] = {}
    # Ids of every entry, valid or not, so a duplicate is reported even next to a broken one.
    seen: dict[str, int] = {}
    limit = today + timedelta(days=horizon_days)
    for index, entry in enumerate(entries):
        line = _line_of(entries, index)
        found = _entry_errors(entry, path, line)
        waiver = None if found else Waiver.model_validate(dict(entry))
        entry_id = entry.get("id") if isinstance(entry, CommentedMap) else None
        if isinstance(entry_id, str) and entry_id in seen:
            found.append(
                InputError(
                    f"duplicate waiver id {entry_id!r} (first at line {seen[entry_id]})",
                    where=f"{path}:{line}",
                )
            )
        if isinstance(entry_id, str):
            seen.setdefault(entry_id, line)
        if waiver is not None and waiver.expires > limit:
            found.append(
                InputError(
                    f"waiver {waiver.id!r} expires {waiver.expires}, past the {horizon_days}-day "
                    f"horizon ({limit})",
                    where=f"{path}:{line}",
                    hint="shorten the expiry; renew it when it comes due",
                )
            )
        if found or waiver is None:
            if errors is None:
                raise found[0]
            errors.extend(found)
            continue
        lines[waiver.id] = line
        waivers.append(waiver)
    return WaiverFile(path=path, waivers=waivers, lines=lines)


def _parse_yaml(path: Path) -> Any:
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read waiver file: {exc}", where=str(path)) from exc
    except ValueError as exc:
        # ruamel.yaml raises a bare ValueError for an impossible date such as 2026-13-45.
        raise InputError(f"not valid YAML: {exc}", where=str(path)) from exc


def _entries(data: Any, path: Path) -> CommentedSeq:
    if data is None:
        return CommentedSeq()
    if not isinstance(data, CommentedMap) or "waivers" not in data:
        raise InputError("expected a mapping with a 'waivers' list", where=f"{path}:1")
    entries = data["waivers"]
    if entries is None:
        return CommentedSeq()
    if not isinstance(entries, CommentedSeq):
        raise InputError(
            "'waivers' must be a list", where=f"{path}:{data.lc.key('waivers')[0] + 1}"
        )
    return entries


def _line_of(entries: CommentedSeq, index: int) -> int:
    return int(entries.lc.item(index)[0]) + 1


def _entry_errors(entry: Any, path: Path, line: int) -> list[InputError]:
    """Every field error of one entry, each naming the line of its field."""
    if not isinstance(entry, CommentedMap):
        return [InputError("each waiver must be a mapping", where=f"{path}:{line}")]
    try:
        Waiver.model_validate(dict(entry))
    except ValidationError as exc:
        return [_field_error(entry, error, path, line) for error in exc.errors()]
    return []


def _field_error(entry: CommentedMap, error: Any, path: Path, line: int) -> InputError:
    field = str(error["loc"][0]) if error["loc"] else ""
    field_line = line
    if field in entry:
        field_line = int(entry.lc.key(field)[0]) + 1
    message = "required field missing" if error["type"] == "missing" else error["msg"]
    return InputError(f"waiver field {field!r}: {message}", where=f"{path}:{field_line}")


def unmatched(waivers: WaiverFile, findings: list[Finding]) -> list[Waiver]:
    """Waivers whose selector matches none of `findings` (meaningful after a complete scan)."""
    return [w for w in waivers.waivers if not any(w.matches(f) for f in findings)]


@dataclass
class WaiverOutcome:
    """What applying waivers did: expired waivers and their lines, for the report."""

    expired: list[dict[str, Any]]


def apply(findings: list[Finding], waivers: WaiverFile, *, today: date) -> WaiverOutcome:
    """Mark findings hidden by an active waiver; list expired waivers that still match."""
    expired = {w.id: _describe(w, waivers) for w in waivers.waivers if not w.active_on(today)}
    for finding in findings:
        for waiver in waivers.waivers:
            if not waiver.matches(finding):
                continue
            if waiver.active_on(today):
                finding.waiver = waiver.id
                break
            expired[waiver.id]["findings"].append(finding.id)
    return WaiverOutcome(expired=sorted(expired.values(), key=lambda e: e["id"]))


def _describe(waiver: Waiver, waivers: WaiverFile) -> dict[str, Any]:
    return {
        "id": waiver.id,
        "owner": waiver.owner,
        "expires": waiver.expires.isoformat(),
        "line": waivers.lines.get(waiver.id),
        "findings": [],
    }

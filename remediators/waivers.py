"""Waiver proposals: entries appended to the waiver file for problems no code manages.

The entry is appended as text so the diff only adds lines and every comment stays; the result
is read back with ruamel.yaml to prove it is still a valid waiver file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from remediators.terraform_index import read_text
from scanner.errors import InputError
from scanner.findings import Finding

log = logging.getLogger(__name__)

REASON = "Not managed by Terraform; proposed by ztdrift for review"
INTENDED = "Intended: say why, and which control compensates"
EXPIRY_DAYS = 14


@dataclass(frozen=True)
class WaiverEntry:
    """One proposed waiver."""

    id: str
    rule: str
    resource: str
    owner: str
    reason: str
    expires: date

    def lines(self, indent: str) -> list[str]:
        """YAML lines of this entry; strings are JSON-quoted, which YAML reads back exactly."""
        inner = indent + "  "
        return [
            f"{indent}- id: {self.id}",
            f"{inner}rule: {self.rule}",
            f"{inner}resource: {json.dumps(self.resource)}",
            f"{inner}owner: {json.dumps(self.owner)}",
            f"{inner}reason: {json.dumps(self.reason)}",
            f"{inner}expires: {self.expires.isoformat()}",
        ]


def propose(finding: Finding, owner: str, today: date, reason: str = REASON) -> WaiverEntry:
    """The waiver entry that would silence this finding for two weeks."""
    digest = hashlib.sha256(f"{finding.family}\x1f{finding.resource}".encode()).hexdigest()
    return WaiverEntry(
        id=f"zt-{digest[:8]}",
        rule=finding.family,
        resource=finding.resource,
        owner=owner,
        reason=reason,
        expires=today + timedelta(days=EXPIRY_DAYS),
    )


def _load(text: str, where: str) -> Any:
    try:
        return YAML(typ="safe").load(StringIO(text))
    except YAMLError as exc:
        raise InputError(f"waiver file is not valid YAML: {exc}", where=where) from None


def _existing_ids(doc: Any) -> set[str]:
    items = doc.get("waivers") if isinstance(doc, dict) else None
    return {str(w.get("id")) for w in items or [] if isinstance(w, dict)}


def append_entries(root: Path, rel: str, entries: list[WaiverEntry]) -> tuple[str | None, str]:
    """The waiver file's current text (None if missing) and its text with `entries` added.

    Entries whose id is already in the file are left out. Raises InputError when the file's
    shape does not allow a plain append (for example `waivers:` is not its last key).
    """
    path = root / rel
    old = read_text(path) if path.exists() else None
    if old is None or not old.strip():
        body = "\n".join(line for e in entries for line in e.lines("  "))
        return old, (old or "") + "waivers:\n" + body + "\n"

    doc = _load(old, rel)
    fresh = [e for e in entries if e.id not in _existing_ids(doc)]
    if not isinstance(doc, dict) or list(doc)[-1] != "waivers" or doc["waivers"] == []:
        raise InputError(
            "cannot append to the waiver file: `waivers:` must be its last top-level key",
            where=rel,
            hint="move the `waivers:` list to the end of the file",
        )
    indent = _item_indent(old)
    newline = "\r\n" if "\r\n" in old else "\n"
    prefix = "" if old.endswith("\n") else newline
    added = newline.join(line for e in fresh for line in e.lines(indent))
    new = old + prefix + added + newline if fresh else old
    _check(new, rel, len(_existing_ids(doc)) + len(fresh))
    return old, new


def _item_indent(text: str) -> str:
    """The indentation of the existing list items (two spaces when there are none)."""
    match = re.search(r"^([ \t]*)- ", text.split("waivers:", 1)[-1], re.MULTILINE)
    return match.group(1) if match else "  "


def _check(text: str, where: str, expected: int) -> None:
    doc = _load(text, where)
    if len(_existing_ids(doc)) != expected:
        raise InputError("appending to the waiver file did not give valid entries", where=where)

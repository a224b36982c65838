"""Edit a waiver file in place: renew, expire or remove entries, keeping everything else.

The file goes through a ruamel.yaml round trip with its own indentation guessed, quotes
preserved and no line wrapping, so comments, key order and formatting of untouched entries
stay as they were and a review diff shows only the lines that changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from scanner.errors import InputError

log = logging.getLogger(__name__)


def _yaml(text: str, where: str) -> tuple[YAML, Any]:
    """A round-trip loader set to dump `text` back in its own style, and the document."""
    try:
        _, indent, block_indent = load_yaml_guess_indent(text)
    except YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", where=where) from None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Wide enough that no reason or resource is ever folded onto a second line.
    yaml.width = 4096
    yaml.indent(mapping=block_indent or 2, sequence=indent or 2, offset=block_indent or 0)
    return yaml, yaml.load(text)


def _entries(doc: Any, where: str) -> CommentedSeq:
    entries = doc.get("waivers") if isinstance(doc, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        raise InputError("expected a mapping with a 'waivers' list", where=where)
    return entries


def _find(entries: CommentedSeq, waiver_id: str, where: str) -> CommentedMap:
    for entry in entries:
        if isinstance(entry, CommentedMap) and str(entry.get("id")) == waiver_id:
            return entry
    raise InputError(f"no waiver with id {waiver_id!r}", where=where)


def _dump(yaml: YAML, doc: Any, original: str) -> str:
    out = StringIO()
    yaml.dump(doc, out)
    text = out.getvalue()
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    return text


def renew(
    text: str,
    waiver_id: str,
    *,
    until: date,
    reason: str | None,
    today: date,
    horizon_days: int,
    where: str,
) -> str:
    """The file text with one waiver's expiry moved to `until` (and its reason replaced).

    Raises InputError when `until` is in the past or beyond the horizon, so a renewal can
    never produce a file that `waivers check` would reject.
    """
    limit = today + timedelta(days=horizon_days)
    if until < today or until > limit:
        raise InputError(
            f"renewal date {until} must be between today ({today}) and the {horizon_days}-day "
            f"horizon ({limit})",
            where=where,
        )
    yaml, doc = _yaml(text, where)
    entry = _find(_entries(doc, where), waiver_id, where)

    entry["expires"] = until
    if reason is not None:
        if not reason.strip():
            raise InputError("the renewal reason must not be empty", where=where)
        entry["reason"] = reason
    return _dump(yaml, doc, text)


def expire(text: str, waiver_id: str, *, today: date, where: str) -> str:
    """The file text with one waiver ending yesterday, so from today it hides nothing."""
    yaml, doc = _yaml(text, where)
    entry = _find(_entries(doc, where), waiver_id, where)
    entry["expires"] = today - timedelta(days=1)
    return _dump(yaml, doc, text)


def remove(text: str, waiver_ids: Iterable[str], *, where: str) -> str:
    """The file text without the given waivers; every other entry is kept as written."""
    yaml, doc = _yaml(text, where)
    entries = _entries(doc, where)
    wanted = set(waiver_ids)
    for waiver_id in wanted:
        _find(entries, waiver_id, where)

    for index in reversed(range(len(entries))):
        entry = entries[index]
        if isinstance(entry, CommentedMap) and str(entry.get("id")) in wanted:
            del entries[index]
    return _dump(yaml, doc, text)


def edit_file(path: Path, new_text: str) -> None:
    """Write the edited file, keeping its bytes' newline style (the text already has it)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(new_text)
    log.info("wrote %s", path)

"""Text edits spliced by position, checked by re-parsing, and rendered as a git patch.

An edit replaces one span of a file's text; everything outside the spans stays byte for byte.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
from dataclasses import dataclass

import hcl2

from remediators.hcl_scan import Block, ScanError, parse_blocks

log = logging.getLogger(__name__)

_ELEMENT_TAIL = re.compile(r"\s*,?\s*(#.*|//.*)?\r?")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] of file `path` with `replacement`."""

    path: str
    start: int
    end: int
    replacement: str = ""


def newline_of(text: str) -> str:
    """The file's newline style, so inserted lines match it."""
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _is_blank(line: str) -> bool:
    return not line.strip()


def _line_at(text: str, pos: int) -> str:
    end = text.find("\n", pos)
    return text[pos:] if end < 0 else text[pos:end]


def delete_lines(path: str, text: str, start: int, end: int) -> Edit:
    """Delete the whole lines holding text[start:end], and one blank line it leaves doubled.

    Comment lines above the span are kept even when they described what is deleted: they are
    a person's words, and the reviewer can remove them in the pull request.
    """
    if text[_line_start(text, start) : start].strip():
        return Edit(path, start, end)
    start = _line_start(text, start)
    rest = text.find("\n", end)
    if rest < 0:
        end = len(text)
    elif not text[end:rest].strip() or text[end:rest].lstrip().startswith(("#", "//")):
        end = rest + 1
    # Collapse the blank line above when the block sat between blank lines or before a `}`.
    if start > 0:
        prev = _line_start(text, start - 1)
        following = _line_at(text, end)
        closes = following.strip().startswith("}") or end >= len(text)
        if _is_blank(text[prev : start - 1]) and (_is_blank(following) or closes):
            start = prev
    return Edit(path, start, end)


def remove_list_element(path: str, text: str, spans: list[tuple[int, int]], k: int) -> Edit:
    """Remove element `k` of a list expression, with the separator next to it.

    An element alone on its line (with its comma and comment) goes with the whole line.
    """
    start, end = spans[k]
    line_end = text.find("\n", end)
    tail = text[end : len(text) if line_end < 0 else line_end]
    if not text[_line_start(text, start) : start].strip() and _ELEMENT_TAIL.fullmatch(tail):
        return Edit(path, _line_start(text, start), len(text) if line_end < 0 else line_end + 1)
    if len(spans) == 1:
        return Edit(path, spans[0][0], spans[0][1])
    if k < len(spans) - 1:
        return Edit(path, spans[k][0], spans[k + 1][0])
    return Edit(path, spans[k - 1][1], spans[k][1])


def insert_attributes(path: str, text: str, block: Block, lines: list[tuple[str, str]]) -> Edit:
    """Add `name = value` lines just before a block's closing brace, aligned like its siblings.

    Returns an edit at the brace; the caller rejects single-line blocks before calling.
    """
    newline = newline_of(text)
    indent, column = _attribute_layout(text, block)
    body = ""
    for name, value in lines:
        body += f"{indent}{name.ljust(max(column, len(name)))} = {value}{newline}"
    at = _line_start(text, block.body_end)
    return Edit(path, at, at, body)


def _attribute_layout(text: str, block: Block) -> tuple[str, int]:
    """Indentation of a block's attributes and the width names are padded to before `=`."""
    if not block.attributes:
        closing = text[_line_start(text, block.body_end) : block.body_end]
        return closing + "  ", 0
    first = block.attributes[0]
    indent = text[_line_start(text, first.start) : first.start]
    widths = {text.find("=", a.start) - a.start for a in block.attributes}
    width = widths.pop() if len(widths) == 1 else 0
    return indent, width - 1 if width > 1 else 0


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits of one file; raise ValueError if two overlap."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ValueError("overlapping edits")
    for edit in reversed(ordered):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def parses(path: str, text: str) -> bool:
    """True if both python-hcl2 and our scanner read the edited text."""
    try:
        hcl2.loads(text)
        parse_blocks(text, path)
    except ScanError:
        return False
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds for bad HCL
        log.warning("rejected an edit of %s: result is not valid HCL (%s)", path, exc)
        return False
    return True


def unified_diff(path: str, old: str | None, new: str) -> str:
    """A git-style patch from `old` (None: the file is new) to `new`, paths relative to root."""
    header = f"diff --git a/{path} b/{path}\n"
    if old is None:
        header += "new file mode 100644\n"
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile=f"b/{path}",
    )
    body = ""
    for line in lines:
        body += line
        # difflib leaves a last line without newline bare; git marks it explicitly.
        if not line.endswith("\n"):
            body += "\n\\ No newline at end of file\n"
    return header + body if body else ""

"""A light positional scanner for Terraform's HCL: where blocks and attributes sit in the text.

python-hcl2 tells us what a file means but not where each piece is, and a patch must leave every
other byte alone. This scanner finds the character span of each block, attribute and value while
respecting strings (with `${...}` templates), heredocs and all three comment styles. It reads
only the structure Terraform files use (attributes and labelled blocks); expressions are kept as
spans of text and evaluated only when they are a plain string literal or a reference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from scanner.errors import InputError

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
_TWO_CHAR_OPS = ("==", "!=", "<=", ">=", "=>", "&&", "||", "..")
_OPENERS = {"{": "}", "[": "]", "(": ")"}


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is ident, string, heredoc, number, punct, newline or comment."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Attribute:
    """`name = value`: `start` is the name, `value_start`/`value_end` bound the expression."""

    name: str
    start: int
    end: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class Block:
    """`type "label" ... { body }`: `start` is the type keyword, `end` is just past the `}`."""

    type: str
    labels: tuple[str, ...]
    start: int
    end: int
    body_start: int
    body_end: int
    attributes: tuple[Attribute, ...] = ()
    blocks: tuple[Block, ...] = field(default=())

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called `name`, if the block sets it."""
        return next((a for a in self.attributes if a.name == name), None)

    def children(self, type_: str) -> list[Block]:
        """The nested blocks of one type, in file order."""
        return [b for b in self.blocks if b.type == type_]


class ScanError(InputError):
    """The scanner met text it does not understand; the file is not edited."""


def line_of(text: str, pos: int) -> int:
    """The 1-based line number of a character position."""
    return text.count("\n", 0, pos) + 1


def tokenize(text: str, where: str = "<text>") -> list[Token]:
    """Split HCL text into tokens, keeping exact positions."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        token = _next_token(text, pos, where)
        if token is None:
            pos += 1
            continue
        tokens.append(token)
        pos = token.end
    return tokens


def _next_token(text: str, pos: int, where: str) -> Token | None:
    char = text[pos]
    if char in " \t\r":
        return None
    if char == "\n":
        return Token("newline", "\n", pos, pos + 1)
    if char == "#" or text.startswith("//", pos):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        return Token("comment", text[pos:end], pos, end)
    if text.startswith("/*", pos):
        end = text.find("*/", pos + 2)
        if end < 0:
            raise ScanError("unterminated /* comment", where=f"{where}:{line_of(text, pos)}")
        return Token("comment", text[pos : end + 2], pos, end + 2)
    if char == '"':
        end = _string_end(text, pos, where)
        return Token("string", text[pos:end], pos, end)
    heredoc = _HEREDOC.match(text, pos)
    if heredoc:
        end = _heredoc_end(text, heredoc, where)
        return Token("heredoc", text[pos:end], pos, end)
    return _word_token(text, pos)


def _word_token(text: str, pos: int) -> Token:
    ident = _IDENT.match(text, pos)
    if ident:
        return Token("ident", ident.group(), pos, ident.end())
    number = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?").match(text, pos)
    if number:
        return Token("number", number.group(), pos, number.end())
    if text[pos : pos + 2] in _TWO_CHAR_OPS:
        return Token("punct", text[pos : pos + 2], pos, pos + 2)
    return Token("punct", text[pos], pos, pos + 1)


def _string_end(text: str, pos: int, where: str) -> int:
    """Position just past the closing quote of the string opening at `pos`."""
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if char == "\n":
            break
        if text[i : i + 2] in ("${", "%{"):
            i = _template_end(text, i + 2, where)
            continue
        i += 1
    raise ScanError("unterminated string", where=f"{where}:{line_of(text, pos)}")


def _template_end(text: str, pos: int, where: str) -> int:
    """Position just past the `}` closing a template interpolation; strings may nest inside."""
    depth = 1
    i = pos
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i, where)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ScanError("unterminated ${ template", where=f"{where}:{line_of(text, pos)}")


def _heredoc_end(text: str, match: re.Match[str], where: str) -> int:
    """Position just past the closing marker line's marker of a heredoc."""
    marker = match.group(2)
    i = match.end()
    while i <= len(text):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        if text[i:end].strip() == marker:
            return i + text[i:end].rstrip("\r").rfind(marker) + len(marker)
        if end >= len(text):
            break
        i = end + 1
    raise ScanError("unterminated heredoc", where=f"{where}:{line_of(text, match.start())}")


class _Parser:
    """Recursive descent over tokens into attributes and blocks."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.tokens = [t for t in tokenize(text, where) if t.kind != "comment"]
        self.i = 0

    def fail(self, message: str) -> ScanError:
        pos = self.tokens[self.i].start if self.i < len(self.tokens) else len(self.text)
        return ScanError(message, where=f"{self.where}:{line_of(self.text, pos)}")

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def body(self, closing: bool) -> tuple[list[Attribute], list[Block], int]:
        """Parse items until `}` (when `closing`) or the end; return them and the stop position."""
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        while True:
            token = self.peek()
            if token is None:
                if closing:
                    raise self.fail("missing }")
                return attributes, blocks, len(self.text)
            if token.kind == "newline":
                self.i += 1
                continue
            if token.text == "}" and closing:
                self.i += 1
                return attributes, blocks, token.start
            if token.kind != "ident":
                raise self.fail(f"unexpected {token.text!r}")
            item = self.item()
            if isinstance(item, Attribute):
                attributes.append(item)
            else:
                blocks.append(item)

    def item(self) -> Attribute | Block:
        name = self.tokens[self.i]
        self.i += 1
        nxt = self.peek()
        if nxt is not None and nxt.text == "=":
            self.i += 1
            return self.attribute(name)
        return self.block(name)

    def attribute(self, name: Token) -> Attribute:
        depth = 0
        first: Token | None = None
        last: Token | None = None
        while (token := self.peek()) is not None:
            if depth == 0 and (token.kind == "newline" or token.text == "}"):
                break
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _OPENERS.values():
                depth -= 1
            first = first or token
            last = token
            self.i += 1
        if first is None or last is None:
            raise self.fail(f"attribute {name.text} has no value")
        return Attribute(name.text, name.start, last.end, first.start, last.end)

    def block(self, type_: Token) -> Block:
        labels: list[str] = []
        while (token := self.peek()) is not None and token.text != "{":
            if token.kind == "string":
                labels.append(string_literal(token.text) or "")
            elif token.kind == "ident":
                labels.append(token.text)
            else:
                raise self.fail(f"unexpected {token.text!r} in block header")
            self.i += 1
        if token is None:
            raise self.fail(f"block {type_.text} has no body")
        self.i += 1
        attributes, blocks, close = self.body(closing=True)
        return Block(
            type_.text,
            tuple(labels),
            type_.start,
            close + 1,
            token.end,
            close,
            tuple(attributes),
            tuple(blocks),
        )


def parse_blocks(text: str, where: str = "<text>") -> list[Block]:
    """The top-level blocks of an HCL file, with positions; raises ScanError if unreadable."""
    parser = _Parser(text, where)
    attributes, blocks, _ = parser.body(closing=False)
    if attributes:
        raise ScanError(
            f"top-level attribute {attributes[0].name} is not Terraform",
            where=f"{where}:{line_of(text, attributes[0].start)}",
        )
    return blocks


def string_literal(expr: str) -> str | None:
    """The value of a plain quoted string without templates, else None."""
    expr = expr.strip()
    if len(expr) < 2 or expr[0] != '"' or expr[-1] != '"' or "${" in expr or "%{" in expr:
        return None
    try:
        value = json.loads(expr)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def reference(expr: str) -> tuple[str, ...] | None:
    """A plain traversal such as `aws_iam_user.ci.name` split on dots, else None."""
    expr = expr.strip()
    if expr.startswith("${") and expr.endswith("}"):
        expr = expr[2:-1].strip()
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+", expr):
        return tuple(expr.split("."))
    return None


def list_elements(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """Spans of the elements of a `[a, b]` list expression at text[start:end], else None."""
    tokens = [t for t in tokenize(text[start:end]) if t.kind not in ("comment", "newline")]
    if len(tokens) < 2 or tokens[0].text != "[" or tokens[-1].text != "]":
        return None
    spans: list[tuple[int, int]] = []
    depth = 0
    current: list[Token] = []
    for token in tokens[1:-1]:
        if depth == 0 and token.text == ",":
            if not current:
                return None
            spans.append((start + current[0].start, start + current[-1].end))
            current = []
            continue
        depth += 1 if token.text in _OPENERS else -1 if token.text in _OPENERS.values() else 0
        current.append(token)
    if current:
        spans.append((start + current[0].start, start + current[-1].end))
    return spans

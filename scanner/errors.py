"""One error type for everything a user can get wrong, caught once in the CLI."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit codes; the README documents them."""

    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    PARTIAL = 3


class ZtdriftError(Exception):
    """An error the user can act on: what went wrong, where, and what to do.

    `where` names the file and place (a line, a JSON path) or the cloud scope.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(ZtdriftError):
    """A file the user gave is missing, unreadable or not of the expected shape."""

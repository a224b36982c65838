"""One module per subcommand; each has `register(subparsers)` that sets its handler."""

from __future__ import annotations

from types import ModuleType

from scanner.commands import analyze, demo, diff, init, merge, pr, scan, waivers_cmd

COMMANDS: tuple[ModuleType, ...] = (scan, merge, analyze, diff, waivers_cmd, pr, demo, init)

"""The `ztdrift` command line: parse, dispatch to one module per subcommand, handle errors once."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from scanner.commands import COMMANDS
from scanner.errors import ExitCode, ZtdriftError

log = logging.getLogger("scanner")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="ztdrift",
        description="Zero Trust posture drift scanner with a pull-request bot.",
    )
    top.add_argument("-v", "--verbose", action="count", default=0, help="more diagnostics")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return top


def _configure_logging(verbosity: int) -> None:
    level = os.environ.get("ZTDRIFT_LOG", "").upper() or (
        "DEBUG" if verbosity > 1 else "INFO" if verbosity == 1 else "WARNING"
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("scanner", "rules", "remediators"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors print one clear message (a traceback only with -vv)."""
    args = parser().parse_args(argv)
    _configure_logging(args.verbose)
    errors = Console(stderr=True, highlight=False)
    try:
        return int(args.handler(args))
    except ZtdriftError as exc:
        if args.verbose > 1:
            log.exception("details")
        errors.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        errors.print("interrupted")
        return int(ExitCode.USAGE)


if __name__ == "__main__":
    sys.exit(main())

"""`ztdrift demo`: the whole job on an embedded estate, no cloud account needed."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("demo", help="run the whole job against a local fake AWS")
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from scanner.demo.run import run_demo

    return int(run_demo(args.out))

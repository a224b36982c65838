"""`ztdrift merge`: join the snapshots of several shards into one, for `ztdrift analyze`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from scanner import snapshot_io
from scanner.commands.common import console
from scanner.errors import InputError
from scanner.merge import merge
from scanner.model import Snapshot

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("merge", help="join shard snapshots into one snapshot")
    parser.add_argument("snapshots", type=Path, nargs="+", help="snapshot.json(.gz) files")
    parser.add_argument(
        "--out", type=Path, required=True, help="the merged snapshot (snapshot.json.gz)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    snapshots = [snapshot_io.read(path) for path in args.snapshots]
    merged = merge_shards(snapshots, args.snapshots)

    snapshot_io.write(merged, args.out)
    console().print(
        f"merged {len(snapshots)} snapshot(s), {len(merged.scopes)} scope(s), "
        f"{len(merged.gaps)} gap(s) into {args.out}"
    )
    return 0


def merge_shards(snapshots: list[Snapshot], paths: list[Path]) -> Snapshot:
    """Join shard snapshots; a scope in two of them means the shards were not disjoint.

    The merged snapshot takes the earliest collection time, so a late shard never makes the
    whole estate look fresher than it is.
    """
    owner: dict[tuple[str, str], Path] = {}
    for snapshot, path in zip(snapshots, paths, strict=True):
        for scope in snapshot.scopes:
            key = (scope.provider, scope.account)
            if key in owner:
                raise InputError(
                    f"scope {scope.provider}:{scope.account} is also in {owner[key]}; "
                    "shards must not overlap (same N for every shard?)",
                    where=str(path),
                )
            owner[key] = path

    taken_at = min(snapshot.taken_at for snapshot in snapshots)
    return merge(snapshots, taken_at=taken_at)

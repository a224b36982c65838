"""Offline collection: build a snapshot from files the clouds' own tools export.

Each `--import KIND=FILE` names a format; a registry maps formats to readers, so adding a
provider's export adds one entry here rather than a branch in the command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.collectors.aws_authz import parse_authz
from scanner.errors import InputError
from scanner.merge import merge
from scanner.model import Scope, Snapshot

Reader = Callable[[Path, Any], Snapshot]


def read_json(path: Path) -> Any:
    """Load a JSON file; a syntax error names the line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", where=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", where=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}"
        ) from exc


def read_aws_authz(path: Path, taken_at: datetime) -> Snapshot:
    """`aws iam get-account-authorization-details` output: IAM only, no keys or network."""
    records = parse_authz(read_json(path), where=str(path))
    return Snapshot(
        taken_at=taken_at,
        # Authorization details hold IAM only: no keys (the credential report), no network,
        # no buckets. Findings of those kinds are left unresolved by a scan of this export.
        scopes=(Scope(provider="aws", account=records.account, services=("iam",)),),
        principals=tuple(records.principals),
        policies=tuple(records.policies),
        grants=tuple(records.grants),
        trusts=tuple(records.trusts),
    )


def readers() -> dict[str, Callable[[Path, datetime], Snapshot]]:
    from scanner.providers import readers as registered

    return registered()


def parse_spec(spec: str) -> tuple[str, Path]:
    """Split `KIND=FILE`, checking the kind is one we read."""
    kind, sep, file = spec.partition("=")
    if not sep or not file:
        raise InputError(f"--import expects KIND=FILE, got {spec!r}")
    known = readers()
    if kind not in known:
        raise InputError(f"unknown import format {kind!r} (known: {', '.join(sorted(known))})")
    return kind, Path(file)


def import_all(specs: list[str], taken_at: datetime) -> Snapshot:
    """Read every import and merge them into one snapshot."""
    snapshots = []
    for spec in specs:
        kind, path = parse_spec(spec)
        snapshots.append(readers()[kind](path, taken_at))
    return merge(snapshots, taken_at=taken_at)

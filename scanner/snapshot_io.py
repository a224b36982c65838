"""Reading and writing snapshots as deterministic, schema-versioned JSON (optionally gzip)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scanner.errors import InputError
from scanner.model import SNAPSHOT_SCHEMA, Snapshot


def _stable_key(record: Any) -> str:
    return json.dumps(record, sort_keys=True)


def to_json(snapshot: Snapshot) -> str:
    """Serialise with sorted keys and sorted record lists, so equal snapshots are equal bytes."""
    data = snapshot.model_dump(mode="json", by_alias=True)
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = sorted(value, key=_stable_key)
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


def write(snapshot: Snapshot, path: Path) -> Path:
    """Write a snapshot; a name ending in .gz is gzip-compressed with a fixed header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = to_json(snapshot).encode()
    if path.suffix == ".gz":
        # mtime=0 keeps the compressed bytes deterministic too.
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path


def read(path: Path) -> Snapshot:
    """Read a snapshot written by :func:`write`, with errors that name the file and field."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except FileNotFoundError as exc:
        raise InputError("no such snapshot file", where=str(path)) from exc
    except (OSError, EOFError, zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable snapshot: {exc}", where=str(path)) from exc

    if not isinstance(data, dict) or data.get("schema") != SNAPSHOT_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"expected schema {SNAPSHOT_SCHEMA!r}, found {found!r}", where=str(path))
    try:
        return Snapshot.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{first['msg']} at {place}", where=str(path)) from exc

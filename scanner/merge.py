"""Join snapshots (several imports, or shards of one organisation) into one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scanner.model import Snapshot

FIELDS = (
    "scopes",
    "principals",
    "credentials",
    "policies",
    "grants",
    "trusts",
    "network_groups",
    "network_rules",
    "data_stores",
    "gaps",
)


def merge(snapshots: Sequence[Snapshot], *, taken_at: datetime) -> Snapshot:
    """Union of records; one seen twice (say an AWS-managed policy) is kept once."""
    if len(snapshots) == 1:
        return snapshots[0]
    merged: dict[str, dict[str, object]] = {name: {} for name in FIELDS}
    for snapshot in snapshots:
        for name in FIELDS:
            for record in getattr(snapshot, name):
                merged[name].setdefault(record.model_dump_json(), record)
    records = {name: tuple(merged[name].values()) for name in FIELDS}
    return Snapshot.model_validate({"taken_at": taken_at, **records})

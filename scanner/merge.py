"""Join snapshots (several imports, or shards of one organisation) into one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scanner.model import Scope, Snapshot

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
    records["scopes"] = _without_aliases(records["scopes"])
    return Snapshot.model_validate({"taken_at": taken_at, **records})


def _without_aliases(scopes: tuple[object, ...]) -> tuple[object, ...]:
    """Drop a scope that another names as an alias (a GCP project seen by its number in one
    export and by its id, with the number as alias, in another), and merge the duplicates."""
    known = [s for s in scopes if isinstance(s, Scope)]
    # An alias may be written `projects/NUMBER` while the other export names the scope NUMBER.
    aliases = {
        (s.provider, name) for s in known for a in s.aliases for name in (a, a.split("/")[-1])
    }
    kept = [s for s in known if (s.provider, s.account) not in aliases]
    by_key: dict[tuple[str, str], Scope] = {}
    for scope in kept:
        previous = by_key.get((scope.provider, scope.account))
        by_key[(scope.provider, scope.account)] = (
            scope if previous is None else _joined(previous, scope)
        )
    return tuple(by_key.values())


def _joined(a: Scope, b: Scope) -> Scope:
    return a.model_copy(
        update={
            "regions": tuple(sorted({*a.regions, *b.regions})),
            "parents": a.parents or b.parents,
            "aliases": tuple(sorted({*a.aliases, *b.aliases})),
            # Either import saw these services; empty means everything.
            "services": ()
            if not a.services or not b.services
            else tuple(sorted({*a.services, *b.services})),
        }
    )

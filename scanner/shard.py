"""Split the scopes of a large estate into N deterministic shares, one per machine.

A scope's shard depends only on its own id (a hash of it), so adding or removing accounts never
moves the others between shards, and every machine of a matrix job computes the same split
without talking to the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.errors import InputError

SHARD_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def holds(self, scope_id: str) -> bool:
        """Whether this shard collects the scope with this id."""
        return shard_number(scope_id, self.count) == self.index

    def select(self, scope_ids: Iterable[str]) -> list[str]:
        """This shard's share of the ids, in their given order."""
        return [scope_id for scope_id in scope_ids if self.holds(scope_id)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_number(scope_id: str, count: int) -> int:
    """The 1-based shard of a scope id; SHA-256 spreads ids evenly whatever their form."""
    digest = hashlib.sha256(scope_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str, *, where: str = "--shard") -> Shard:
    """Read 'I/N' with 1 <= I <= N, as `ztdrift scan --shard` takes it."""
    match = SHARD_PATTERN.match(text)
    if not match:
        raise InputError(f"expected I/N (for example 2/8), got {text!r}", where=where)
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"shard {index}/{count}: I must be between 1 and N", where=where)
    return Shard(index=index, count=count)


def check_shard_use(
    shard: str | None,
    *,
    provider: str,
    org_role: str | None,
    gcp_scope: str | None = None,
    azure_scope: str | None = None,
) -> None:
    """Refuse --shard where it would be ignored, rather than collect everything N times.

    AWS shards the accounts of an organization (with --org-role), Azure the visible
    subscriptions (not a management group, whose membership the shard could not see), GCP the
    projects of an organization or folder scope.
    """
    if shard is None:
        return
    parse_shard(shard)
    allowed = {
        "aws": bool(org_role),
        "azure": azure_scope is None,
        "gcp": bool(gcp_scope) and not str(gcp_scope).startswith("projects/"),
    }
    if not allowed.get(provider, False):
        raise InputError(
            "sharding needs an AWS Organizations scan (--org-role), an Azure scan of every "
            "subscription (no --azure-scope), or a GCP organization or folder scope",
            where="--shard",
        )

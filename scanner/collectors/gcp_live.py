"""Live collection from the Cloud Asset API: a few paged sweeps over one scope.

One `ListAssets` sweep per content type (RESOURCE, IAM_POLICY, ORG_POLICY) over the asset
types ztdrift reads, at organization, folder or project scope. A sweep that fails becomes a
collection gap for the scope (and each project the other sweeps found), and the rest goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core import retry as retries
from google.cloud import asset_v1

from scanner.collectors.gcp_assets import (
    ASSET_TYPES,
    BUCKET,
    FOLDER,
    PROJECT,
    SERVICE_ACCOUNT,
    Asset,
    to_snapshot,
)
from scanner.collectors.gcp_errors import COLLECTION_FAILURES, gap_for, retry_policy
from scanner.errors import InputError
from scanner.model import Gap, Scope, Snapshot
from scanner.timeutil import utcnow

log = logging.getLogger(__name__)

ORGANIZATION = "cloudresourcemanager.googleapis.com/Organization"
PAGE_SIZE = 1000


@dataclass(frozen=True)
class Sweep:
    """One ListAssets sweep: a content type, the asset types it covers, the gap service."""

    # The ContentType enum value; the library types its members as plain ints.
    content_type: int
    asset_types: tuple[str, ...]
    service: str

    @property
    def label(self) -> str:
        return str(asset_v1.ContentType(self.content_type).name)


SWEEPS = (
    Sweep(asset_v1.ContentType.RESOURCE, ASSET_TYPES, "cloudasset-resource"),
    Sweep(
        asset_v1.ContentType.IAM_POLICY,
        (ORGANIZATION, FOLDER, PROJECT, SERVICE_ACCOUNT, BUCKET),
        "cloudasset-iam-policy",
    ),
    Sweep(
        asset_v1.ContentType.ORG_POLICY, (ORGANIZATION, FOLDER, PROJECT), "cloudasset-org-policy"
    ),
)


def parse_scope(scope: str) -> str:
    """Check `organizations/N`, `folders/N` or `projects/ID`; user errors name the flag."""
    kind, _, name = scope.partition("/")
    if kind not in ("organizations", "folders", "projects") or not name or "/" in name:
        raise InputError(
            f"not a GCP scope: {scope!r}",
            where="--gcp-scope",
            hint="use organizations/NUMBER, folders/NUMBER or projects/PROJECT_ID",
        )
    return scope


def scope_account(scope: str) -> str:
    """The account a scope's gaps are filed under: the project id, or the container name."""
    return scope.removeprefix("projects/")


def collect_gcp(
    client: asset_v1.AssetServiceClient,
    scope: str,
    *,
    retry: retries.Retry | None = None,
    progress: Callable[[str], None] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Snapshot:
    """Sweep one scope with a ready client; failures become gaps, never half-read records."""
    parse_scope(scope)
    retry = retry or retry_policy()
    assets: list[Asset] = []
    failed: list[tuple[Sweep, BaseException]] = []
    for sweep in SWEEPS:
        if progress:
            progress(f"GCP {scope}: {sweep.label} assets")
        try:
            assets += _sweep(client, scope, sweep, retry)
        except COLLECTION_FAILURES as exc:
            log.warning("GCP %s %s sweep failed: %s", scope, sweep.label, exc)
            failed.append((sweep, exc))

    given = (
        [Scope(provider="gcp", account=scope_account(scope))]
        if scope.startswith("projects/")
        else []
    )
    snapshot = to_snapshot(assets, now(), given)
    return snapshot.model_copy(update={"gaps": tuple(_gaps(snapshot, scope, failed))})


def _sweep(
    client: asset_v1.AssetServiceClient, scope: str, sweep: Sweep, retry: retries.Retry
) -> list[Asset]:
    request = asset_v1.ListAssetsRequest(
        parent=scope,
        asset_types=list(sweep.asset_types),
        content_type=sweep.content_type,
        page_size=PAGE_SIZE,
    )
    found = []
    # The pager fetches further pages lazily, each under the same retry policy.
    for item in client.list_assets(request=request, retry=retry):
        raw: dict[str, Any] = asset_v1.Asset.to_dict(item)
        found.append(Asset.of(raw, where=f"{scope} {raw.get('name')}"))
    log.info("GCP %s: %d %s assets", scope, len(found), sweep.label)
    return found


def _gaps(snapshot: Snapshot, scope: str, failed: list[tuple[Sweep, BaseException]]) -> list[Gap]:
    accounts = sorted({scope_account(scope)} | {s.account for s in snapshot.scopes})
    return [gap_for(account, sweep.service, exc) for sweep, exc in failed for account in accounts]

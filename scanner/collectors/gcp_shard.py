"""One shard of a GCP organization or folder: its share of the projects, and what is above them.

A shard lists the scope's projects (one cheap sweep), keeps the projects whose id falls in it
(scanner.shard hashes ids, so a project never moves when others come or go), sweeps each of
them, and sweeps the organization and folders once for the IAM policies every project
inherits. `ztdrift merge` joins the shards; container records repeat across shards and are
kept once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from google.api_core import retry as retries
from google.cloud import asset_v1

from scanner.collectors.gcp_assets import FOLDER, PROJECT, Asset, to_snapshot
from scanner.collectors.gcp_errors import COLLECTION_FAILURES, gap_for, retry_policy
from scanner.collectors.gcp_live import (
    ORGANIZATION,
    Sweep,
    _sweep,
    collect_gcp,
    parse_scope,
    scope_account,
)
from scanner.errors import InputError
from scanner.merge import merge
from scanner.model import Snapshot
from scanner.shard import Shard
from scanner.timeutil import utcnow

log = logging.getLogger(__name__)

CONTAINERS = (ORGANIZATION, FOLDER)
CONTAINER_SWEEPS = (
    Sweep(asset_v1.ContentType.RESOURCE, CONTAINERS, "cloudasset-resource"),
    Sweep(asset_v1.ContentType.IAM_POLICY, CONTAINERS, "cloudasset-iam-policy"),
    Sweep(asset_v1.ContentType.ORG_POLICY, CONTAINERS, "cloudasset-org-policy"),
)


def collect_gcp_shard(
    client: asset_v1.AssetServiceClient,
    scope: str,
    shard: Shard,
    *,
    retry: retries.Retry | None = None,
    progress: Callable[[str], None] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Snapshot:
    """Collect this shard's projects of an organization or folder scope."""
    parse_scope(scope)
    if scope.startswith("projects/"):
        raise InputError("one project cannot be split into shards", where="--shard")
    retry = retry or retry_policy()
    listing = Sweep(asset_v1.ContentType.RESOURCE, (PROJECT,), "cloudasset-resource")
    try:
        projects = _sweep(client, scope, listing, retry)
    except COLLECTION_FAILURES as exc:
        # Without the project list no project can be placed in a shard: nothing is seen.
        gap = gap_for(scope_account(scope), "*", exc)
        return Snapshot(taken_at=now(), gaps=(gap,))

    mine = sorted((p for p in projects if shard.holds(_project_id(p))), key=_project_id)
    log.info("GCP %s: shard %s holds %d of %d projects", scope, shard, len(mine), len(projects))
    parts = [_containers(client, scope, [_project_id(p) for p in mine], retry, now)]
    for project in mine:
        parts.append(collect_gcp(client, _parent(project), retry=retry, progress=progress, now=now))
    return merge(parts, taken_at=now())


def _project_id(project: Asset) -> str:
    data = project.data or {}
    return str(data.get("projectId") or project.name.rsplit("/", 1)[-1])


def _parent(project: Asset) -> str:
    """The project as a ListAssets parent: by number, as the asset names it."""
    return "projects/" + project.name.rsplit("/", 1)[-1]


def _containers(
    client: asset_v1.AssetServiceClient,
    scope: str,
    projects: list[str],
    retry: retries.Retry,
    now: Callable[[], datetime],
) -> Snapshot:
    """The organization and folders above the shard's projects, with their IAM policies."""
    assets: list[Asset] = []
    gaps = []
    for sweep in CONTAINER_SWEEPS:
        try:
            assets += _sweep(client, scope, sweep, retry)
        except COLLECTION_FAILURES as exc:
            # Inherited grants are unseen: every project of the shard is incomplete for it.
            gaps += [gap_for(project, sweep.service, exc) for project in projects]
    snapshot = to_snapshot(assets, now(), [])
    return snapshot.model_copy(update={"gaps": (*snapshot.gaps, *gaps)})

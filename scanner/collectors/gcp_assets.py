"""Cloud Asset Inventory assets to a snapshot, from an export file or from the live API.

Exports (`gcloud asset export`, newline-delimited JSON) use proto field names at the top level
(`asset_type`, `iam_policy`); the REST API uses lowerCamelCase (`assetType`, `iamPolicy`). Both
are read. One export holds one content type, so several are usually merged; records that
refer to each other across files (a project's number in an IAM policy, its id elsewhere) are
joined later through the project scope's aliases.

Exports of the 2018 v1beta1 era name asset types after the service's API package
(`google.compute.Firewall`) rather than its host (`compute.googleapis.com/Firewall`); the types
ztdrift reads are mapped to today's names, and `gcp_records` accepts the singular field names
of that era (`port`, `sourceRange`, `targetTag`). A legacy type outside that table is logged
and left out, as a current type outside ASSET_TYPES is.

Known shortcomings: a project known only from an IAM policy export
keeps its number as its account. Grants carry no account, so a GCP binding added or removed
between two scans is not listed under `changes` (its findings still are new or resolved).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.collectors import gcp_records as rec
from scanner.collectors.gcp_records import pick
from scanner.errors import InputError
from scanner.gcp.names import container_of, relative
from scanner.model import (
    Credential,
    DataStore,
    Grant,
    NetworkGroup,
    NetworkRule,
    Policy,
    Principal,
    Scope,
    Snapshot,
)

log = logging.getLogger(__name__)

PROJECT = "cloudresourcemanager.googleapis.com/Project"
FOLDER = "cloudresourcemanager.googleapis.com/Folder"
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
KEY = "iam.googleapis.com/ServiceAccountKey"
ROLE = "iam.googleapis.com/Role"
FIREWALL = "compute.googleapis.com/Firewall"
NETWORK = "compute.googleapis.com/Network"
BUCKET = "storage.googleapis.com/Bucket"
ASSET_TYPES = (
    "cloudresourcemanager.googleapis.com/Organization",
    FOLDER,
    PROJECT,
    SERVICE_ACCOUNT,
    KEY,
    ROLE,
    FIREWALL,
    NETWORK,
    BUCKET,
)
# v1beta1-era asset type names (the Security Command Center spelling) of the types read above.
LEGACY_TYPES = {
    "google.cloud.resourcemanager.Organization": ASSET_TYPES[0],
    "google.cloud.resourcemanager.Folder": FOLDER,
    "google.cloud.resourcemanager.Project": PROJECT,
    "google.iam.ServiceAccount": SERVICE_ACCOUNT,
    "google.iam.ServiceAccountKey": KEY,
    "google.iam.Role": ROLE,
    "google.compute.Firewall": FIREWALL,
    "google.compute.Network": NETWORK,
    "google.cloud.storage.Bucket": BUCKET,
}


@dataclass(frozen=True)
class Asset:
    """One asset in either casing, reduced to what ztdrift reads."""

    name: str
    asset_type: str
    data: dict[str, Any] | None
    parent: str | None
    ancestors: tuple[str, ...]
    iam_policy: dict[str, Any] | None
    org_policy: list[dict[str, Any]]
    where: str = ""

    @classmethod
    def of(cls, raw: dict[str, Any], where: str = "") -> Asset:
        resource = raw.get("resource") or {}
        return cls(
            name=str(raw["name"]),
            asset_type=current_type(str(pick(raw, "asset_type")), where),
            data=resource.get("data"),
            parent=resource.get("parent"),
            ancestors=tuple(raw.get("ancestors") or ()),
            iam_policy=pick(raw, "iam_policy"),
            org_policy=list(pick(raw, "org_policy") or []),
            where=where,
        )


def current_type(asset_type: str, where: str = "") -> str:
    """Today's name of an asset type; a v1beta1-era name is mapped when ztdrift reads it."""
    if asset_type in LEGACY_TYPES:
        return LEGACY_TYPES[asset_type]
    if asset_type.startswith("google.") and "/" not in asset_type:
        log.info("%s: legacy asset type %s is not read by ztdrift", where or "?", asset_type)
    return asset_type


@dataclass
class _Parts:
    """Records gathered while reading assets, before they become a snapshot."""

    projects: dict[str, Asset] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    principals: list[Principal] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    groups: list[NetworkGroup] = field(default_factory=list)
    rules: list[NetworkRule] = field(default_factory=list)
    stores: list[DataStore] = field(default_factory=list)
    keys: list[Asset] = field(default_factory=list)
    policy_projects: set[str] = field(default_factory=set)


def to_snapshot(
    assets: Iterable[Asset], taken_at: datetime, scopes: Iterable[Scope] = ()
) -> Snapshot:
    """Build a snapshot from assets of any content types, in any order."""
    parts = _Parts()
    items = list(assets)
    # Projects and service accounts first: later records are named after them.
    for step in (_index, _record):
        for asset in items:
            _checked(step, parts, asset)
    for key in parts.keys:
        credential = rec.service_account_key(key.name, key.data or {}, parts.emails)
        if credential is not None:
            parts.credentials.append(credential)
    return Snapshot(
        taken_at=taken_at,
        scopes=tuple(_scopes(parts, list(scopes))),
        principals=tuple(parts.principals),
        credentials=tuple(parts.credentials),
        policies=tuple(parts.policies),
        grants=tuple(parts.grants),
        network_groups=tuple(parts.groups),
        network_rules=tuple(parts.rules),
        data_stores=tuple(parts.stores),
    )


def _checked(step: Callable[[_Parts, Asset], None], parts: _Parts, asset: Asset) -> None:
    """Run one step on one asset; a record of an unexpected shape names where it came from."""
    try:
        step(parts, asset)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        where = asset.where or asset.name
        raise InputError(f"unexpected {asset.asset_type} content: {exc!r}", where=where) from exc


def _index(parts: _Parts, asset: Asset) -> None:
    data = asset.data or {}
    if asset.asset_type == PROJECT and data:
        parts.projects[str(data["projectId"])] = asset
        parts.numbers[str(data.get("projectNumber", ""))] = str(data["projectId"])
    elif asset.asset_type == FOLDER and data:
        parent = data.get("parent")
        folder = container_of(asset.name) or relative(asset.name)
        parts.folders[folder] = _parent_name(parent) or (asset.ancestors[1:2] or ("",))[0]
    elif asset.asset_type == SERVICE_ACCOUNT and data and data.get("uniqueId"):
        parts.emails[str(data["uniqueId"])] = str(data["email"])


def _project_of(parts: _Parts, asset: Asset) -> str:
    """The id of the project an asset lives in, from its name, ancestors or parent."""
    rel = relative(asset.name)
    if rel.startswith("projects/"):
        name = rel.split("/")[1]
        return parts.numbers.get(name, name)
    for candidate in (*asset.ancestors, relative(asset.parent or "")):
        if candidate.startswith("projects/"):
            name = candidate.split("/")[1]
            return parts.numbers.get(name, name)
    number = str((asset.data or {}).get("projectNumber") or "")
    return parts.numbers.get(number, number)


def _record(parts: _Parts, asset: Asset) -> None:
    if asset.iam_policy is not None:
        parts.grants += rec.bindings(asset.name, asset.iam_policy)
        project = container_of(asset.name)
        if project and project.startswith("projects/"):
            parts.policy_projects.add(project.split("/")[1])
    if asset.org_policy:
        parts.policies += rec.org_policies(asset.name, asset.org_policy)
    data = asset.data
    if data is None:
        return
    project = _project_of(parts, asset)
    kind = asset.asset_type
    if kind == SERVICE_ACCOUNT:
        parts.principals.append(rec.service_account(data, project))
    elif kind == KEY:
        parts.keys.append(asset)
    elif kind == ROLE:
        role = rec.custom_role(data)
        parts.policies += [role] if role else []
    elif kind == FIREWALL:
        group, rules = rec.firewall(asset.name, data, project)
        parts.groups.append(group)
        parts.rules += rules
    elif kind == NETWORK:
        parts.groups.append(rec.network(asset.name, data, project))
    elif kind == BUCKET:
        parts.stores.append(rec.bucket(asset.name, data, project))


def _parent_name(parent: Any) -> str | None:
    """`{"type": "organization", "id": "1"}` (v1) or `"organizations/1"` (v3) as a name."""
    if isinstance(parent, dict) and parent.get("type") and parent.get("id"):
        return f"{parent['type']}s/{parent['id']}"
    return str(parent) if parent else None


def _chain(parts: _Parts, asset: Asset) -> tuple[str, ...]:
    if len(asset.ancestors) > 1:
        return tuple(asset.ancestors[1:])
    chain: list[str] = []
    current = _parent_name((asset.data or {}).get("parent")) or relative(asset.parent or "")
    while current and current not in chain:
        chain.append(current)
        current = parts.folders.get(current, "")
    return tuple(chain)


def _scopes(parts: _Parts, given: list[Scope]) -> list[Scope]:
    """One scope per project, with its number as an alias and the containers above it."""
    scopes = {s.account: s for s in given}
    for project_id, asset in sorted(parts.projects.items()):
        number = str((asset.data or {}).get("projectNumber", ""))
        scopes[project_id] = Scope(
            provider="gcp",
            account=project_id,
            parents=_chain(parts, asset),
            aliases=(f"projects/{number}",) if number else (),
        )
    known = set(parts.numbers) | set(scopes)
    for name in sorted(parts.policy_projects - known):
        # Known only from its IAM policy: the RESOURCE export that names it was not read.
        scopes[name] = Scope(provider="gcp", account=name)
    return list(scopes.values())


def read_lines(path: Path) -> list[Asset]:
    """Read an export file, one asset per line; a broken line names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", where=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", where=str(path)) from exc
    assets = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            assets.append(_parse_line(line, f"{path}:{number}"))
    log.debug("read %d assets from %s", len(assets), path)
    return assets


def _parse_line(line: str, where: str) -> Asset:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", where=where) from exc
    if not isinstance(raw, dict) or "name" not in raw or pick(raw, "asset_type") is None:
        raise InputError(
            "not a Cloud Asset: each line needs `name` and `asset_type` (or `assetType`)",
            where=where,
            hint="export with `gcloud asset export --output-path=gs://...` and copy the file",
        )
    try:
        return Asset.of(raw, where)
    except (TypeError, AttributeError) as exc:
        raise InputError(f"unexpected shape: {exc}", where=where) from exc


def read_export(path: Path, taken_at: datetime) -> Snapshot:
    """`--import gcp-cai=FILE`: one Cloud Asset export (any content type).

    An export with no asset at all is refused: a failed or empty `gcloud asset export` must
    not pass as a clean scan.
    """
    assets = read_lines(path)
    if not assets:
        raise InputError(
            "no Cloud Asset records in this export",
            where=str(path),
            hint="check that `gcloud asset export` finished and wrote its output",
        )
    return to_snapshot(assets, taken_at)

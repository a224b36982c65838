"""GCP shards: each collects its share of the projects; together they see what one scan sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import asset_v1

from scanner.collectors.gcp_errors import retry_policy
from scanner.collectors.gcp_shard import collect_gcp_shard
from scanner.errors import InputError
from scanner.merge import merge
from scanner.shard import Shard
from tests.fake_gcp import FakeAssets, fake_cloud_asset
from tests.fake_gcp_assets import NOW, findings_of
from tests.test_gcp_live import _no_metadata, collect, demo_assets

__all__ = ["_no_metadata"]
ORG = "organizations/401234567890"


@pytest.fixture
def client() -> Iterator[asset_v1.AssetServiceClient]:
    with fake_cloud_asset(FakeAssets(assets=demo_assets(), page_size=4)) as endpoint:
        yield asset_v1.AssetServiceClient(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options=ClientOptions(api_endpoint=endpoint),
        )


def _shard(client: asset_v1.AssetServiceClient, index: int, count: int):  # type: ignore[no-untyped-def]
    retry = retry_policy(initial=0.01, deadline=5)
    return collect_gcp_shard(client, ORG, Shard(index, count), retry=retry, now=lambda: NOW)


def _keys(snapshot) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((f.rule, f.resource) for f in findings_of(snapshot))


def test_shards_together_find_what_one_scan_finds(client: asset_v1.AssetServiceClient) -> None:
    # Seven shards put the demo's two projects in two different shards (ids hash that way).
    whole = collect(client)
    shards = [_shard(client, i, 7) for i in range(1, 8)]

    joined = merge(shards, taken_at=NOW)

    assert _keys(joined) == _keys(whole)
    projects = [{s.account for s in shard.scopes} for shard in shards]
    assert sorted(len(p) for p in projects if p) == [1, 1], "one project in each of two shards"
    assert set().union(*projects) == {s.account for s in whole.scopes}


def test_a_shard_is_deterministic(client: asset_v1.AssetServiceClient) -> None:
    first = _shard(client, 1, 2)
    again = _shard(client, 1, 2)

    assert [s.account for s in first.scopes] == [s.account for s in again.scopes]


def test_one_project_cannot_be_sharded(client: asset_v1.AssetServiceClient) -> None:
    with pytest.raises(InputError, match="cannot be split"):
        collect_gcp_shard(client, "projects/acme-prod", Shard(1, 2))

"""The live path: the real google-cloud-asset client (REST) against a loopback fake server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import asset_v1

from scanner.collectors.gcp_errors import retry_policy
from scanner.collectors.gcp_live import collect_gcp
from scanner.errors import InputError
from tests.fake_gcp import FakeAssets, camel, fake_cloud_asset
from tests.fake_gcp_assets import NOW, findings_of

DEMO = Path(__file__).parents[1] / "scanner" / "demo" / "gcp"
CONTENT = {
    "resource.jsonl": "RESOURCE",
    "iam-policy.jsonl": "IAM_POLICY",
    "org-policy.jsonl": "ORG_POLICY",
}


@pytest.fixture(autouse=True)
def _no_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may probe a metadata server: point it at a closed loopback port."""
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("NO_GCE_CHECK", "true")


def demo_assets() -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for name, content in CONTENT.items():
        lines = (DEMO / name).read_text().splitlines()
        found[content] = [camel(json.loads(line)) for line in lines if line.strip()]
    return found


@pytest.fixture
def fake() -> FakeAssets:
    return FakeAssets(assets=demo_assets(), page_size=4)


@pytest.fixture
def client(fake: FakeAssets) -> Iterator[asset_v1.AssetServiceClient]:
    with fake_cloud_asset(fake) as endpoint:
        yield asset_v1.AssetServiceClient(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options=ClientOptions(api_endpoint=endpoint),
        )


def collect(client: asset_v1.AssetServiceClient, scope: str = "organizations/401234567890"):  # type: ignore[no-untyped-def]
    return collect_gcp(client, scope, retry=retry_policy(initial=0.01, deadline=5), now=lambda: NOW)


def test_live_sweeps_page_through_every_content_type(client, fake) -> None:  # type: ignore[no-untyped-def]
    snapshot = collect(client)

    contents = [r["contentType"][0] for r in fake.requests]
    assert set(contents) == {"RESOURCE", "IAM_POLICY", "ORG_POLICY"}
    assert contents.count("RESOURCE") > 1  # the fake pages by 4, so the pager followed tokens
    assert all(r["path"] == "/v1/organizations/401234567890/assets" for r in fake.requests)
    assert {s.account for s in snapshot.scopes} >= {"acme-prod", "acme-sandbox"}
    assert not snapshot.gaps


def test_live_and_export_give_the_same_findings(client) -> None:  # type: ignore[no-untyped-def]
    live = findings_of(collect(client))
    from tests.fake_gcp_assets import demo_snapshot

    exported = findings_of(demo_snapshot())
    assert sorted((f.rule, f.resource) for f in live) == sorted(
        (f.rule, f.resource) for f in exported
    )
    assert any(f.rule == "standing-admin/impersonation" for f in live)


def test_transient_errors_are_retried(client, fake) -> None:  # type: ignore[no-untyped-def]
    fake.faults["RESOURCE"] = [503, 429]

    snapshot = collect(client)

    assert not snapshot.gaps
    assert any(s.kind == "gcs-bucket" for s in snapshot.data_stores)


def test_a_denied_sweep_is_a_gap_and_the_rest_goes_on(client, fake) -> None:  # type: ignore[no-untyped-def]
    fake.faults["IAM_POLICY"] = [403]

    snapshot = collect(client)

    gaps = {(g.account, g.service, g.code) for g in snapshot.gaps}
    assert ("acme-prod", "cloudasset-iam-policy", "access-denied") in gaps
    assert ("organizations/401234567890", "cloudasset-iam-policy", "access-denied") in gaps
    assert snapshot.credentials  # the RESOURCE sweep still came through
    assert not any(g.service == "cloudasset-resource" for g in snapshot.gaps)


def test_a_bad_scope_is_a_user_error(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="not a GCP scope"):
        collect(client, "project/acme-prod")

"""Live Azure collection: real azure-core clients against the local HTTPS fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.collectors.azure_export import read_azure_arg, read_azure_graph
from scanner.collectors.azure_live import AzureCollector, AzureEndpoints, make_client
from scanner.merge import merge
from tests.builders import NOW
from tests.fake_azure import DEMO, FakeAzure, StaticToken, fake_azure


@pytest.fixture(autouse=True)
def _no_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "IDENTITY_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def _collect(  # type: ignore[no-untyped-def]
    fake: FakeAzure, tmp_path: Path, management_group: str | None = None, shard: Any = None
):
    with fake_azure(fake, tmp_path) as (base, ca):
        endpoints = AzureEndpoints(arm=base, graph=base)
        token = StaticToken()
        collector = AzureCollector(
            make_client(base, token, endpoints.scope(base), ca),
            make_client(base, token, endpoints.scope(base), ca),
            management_group=management_group,
            shard=shard,
        )
        return collector.collect(NOW)


def _ids(snapshot) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(f.rule, f.resource) for f in analyze(snapshot, now=NOW, settings=RuleSettings())}


def test_live_scan_finds_what_the_export_scan_finds(tmp_path: Path) -> None:
    fake = FakeAzure.demo()
    live = _collect(fake, tmp_path)
    exported = merge(
        [
            read_azure_arg(DEMO / "resource-graph.json", NOW),
            read_azure_graph(DEMO / "microsoft-graph.json", NOW),
        ],
        taken_at=NOW,
    )

    assert not live.gaps
    assert _ids(live) == _ids(exported)
    assert {f.split("/")[0] for f, _ in _ids(live)} == {
        "long-lived-key",
        "standing-admin",
        "open-egress",
        "public-data",
    }


def test_live_scan_follows_skip_tokens_and_graph_next_links(tmp_path: Path) -> None:
    fake = FakeAzure.demo()
    snapshot = _collect(fake, tmp_path)

    arg_calls = [r for r in fake.requests if r.startswith("POST")]
    assert len(arg_calls) > 3  # more than one page for some table
    assert any("page=1" in r for r in fake.requests)
    assert len(snapshot.network_groups) == 3
    assert len([p for p in snapshot.principals if p.kind == "application"]) == 3


def test_pim_that_cannot_be_read_is_a_gap_and_other_parts_go_on(tmp_path: Path) -> None:
    fake = FakeAzure.demo()
    fake.failing_pim = set(fake.subscriptions())
    snapshot = _collect(fake, tmp_path)

    assert [(g.service, g.code) for g in snapshot.gaps] == [("pim", "AuthorizationFailed")]
    assert snapshot.network_groups
    # Without PIM, the eligible Owner is invisible rather than reported as permanent.
    azure_roles = [g for g in snapshot.grants if "Microsoft.Authorization" in g.policy]
    assert azure_roles and not [g for g in azure_roles if g.kind == "eligible"]


def test_requests_without_a_token_are_refused_and_recorded_as_gaps(tmp_path: Path) -> None:
    class NoToken(StaticToken):
        def get_token(self, *scopes, **kwargs):  # type: ignore[no-untyped-def]
            from azure.core.credentials import AccessToken

            return AccessToken("wrong", 4_102_444_800)

    fake = FakeAzure.demo()
    with fake_azure(fake, tmp_path) as (base, ca):
        client = make_client(base, NoToken(), base + "/.default", ca)
        snapshot = AzureCollector(client, client).collect(NOW)

    assert {g.service for g in snapshot.gaps} == {"*", "graph"}
    assert {g.code for g in snapshot.gaps} == {"InvalidAuthenticationToken"}


def test_subscription_shards_together_find_what_one_scan_finds(tmp_path: Path) -> None:
    from scanner.shard import Shard

    # With five shards the demo's subscription falls in shard 3, the tenant stays in shard 1.
    whole = _collect(FakeAzure.demo(), tmp_path)
    shards = [_collect(FakeAzure.demo(), tmp_path, shard=Shard(i, 5)) for i in range(1, 6)]

    assert _ids(merge(shards, taken_at=NOW)) == _ids(whole)
    accounts = [{s.account for s in shard.scopes} for shard in shards]
    assert accounts[0] and accounts[2] and not accounts[0] & accounts[2]
    assert not accounts[1] and not accounts[3] and not accounts[4]

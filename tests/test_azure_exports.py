"""Azure exports: the documented response shapes read as snapshots, and bad files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediators.plan import build_plans
from scanner.collectors.azure_export import read_azure_arg, read_azure_graph
from scanner.collectors.imports import import_all
from scanner.errors import InputError
from tests.builders import NOW
from tests.fake_azure import DEMO

REPO_SAMPLES = Path(__file__).parent / "data" / "azure"


def _sample(name: str) -> Any:
    path = REPO_SAMPLES / name
    return json.loads(path.read_text())


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_documented_nsg_and_storage_bodies_read_as_rows(tmp_path: Path) -> None:
    nsg = _sample("nsg-get.json")["responses"]["200"]["body"]
    account = _sample("storage-account-create-disallow-public-network-access.json")
    body = account["responses"]["200"]["body"]
    rows = [nsg, body]
    snapshot = read_azure_arg(_write(tmp_path, "rows.json", {"count": 2, "data": rows}), NOW)

    assert [g.name for g in snapshot.network_groups] == ["testnsg"]
    default = [r for r in snapshot.network_rules if r.name == "AllowInternetOutBound"]
    assert default and default[0].peer_kind == "service-tag" and default[0].priority == 65001
    assert len([r for r in snapshot.network_rules if r.priority and r.priority >= 65000]) == 6
    store = snapshot.data_stores[0]
    assert store.attributes["publicNetworkAccess"] == "Disabled"


def test_documented_graph_responses_read_as_a_bundle(tmp_path: Path) -> None:
    bundle = [
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
            "value": [_sample("graph-application-get.json")],
        },
        _sample("graph-directory-roleassignments-list-expand-principal.json"),
    ]
    snapshot = read_azure_graph(_write(tmp_path, "graph.json", bundle), NOW)

    assert {p.name for p in snapshot.principals} >= {"User One", "User Two", "User Three"}
    assert [p.kind for p in snapshot.principals if p.tags.get("appId")] == ["application"]
    assert len([g for g in snapshot.grants if g.kind == "assignment"]) == 3


def test_import_command_reads_both_formats_of_the_demo_estate() -> None:
    snapshot = import_all(
        [
            f"azure-arg={DEMO / 'resource-graph.json'}",
            f"azure-graph={DEMO / 'microsoft-graph.json'}",
        ],
        NOW,
    )
    assert ("azure", "6f1d3c2a-8b4e-4f7a-9c1d-2e3f4a5b6c7d") in snapshot.scope_keys()
    assert all(c.kind in ("client-secret", "certificate") for c in snapshot.credentials)
    assert "secretText" not in snapshot.model_dump_json()


@pytest.mark.parametrize(
    ("reader", "content", "message"),
    [
        (read_azure_arg, "{not json", "not valid JSON"),
        (read_azure_arg, {"rows": []}, "expected a list of Resource Graph rows"),
        (read_azure_arg, [{"id": 3, "type": "x"}], "row 0"),
        (read_azure_arg, [], "no subscription"),
        (read_azure_graph, {"foo": 1}, "not a Graph export"),
        (
            read_azure_graph,
            {"@odata.context": "https://x/$metadata#users", "value": []},
            "unsupported",
        ),
        (read_azure_graph, {"applications": [{"id": "a", "passwordCredentials": [{}]}]}, "keyId"),
        (
            read_azure_graph,
            {
                "applications": [
                    {"id": "a", "passwordCredentials": [{"keyId": "k", "endDateTime": "soon"}]}
                ]
            },
            "ISO 8601",
        ),
    ],
)
def test_broken_files_name_the_file_and_place(
    tmp_path: Path, reader: Any, content: Any, message: str
) -> None:
    path = _write(tmp_path, "bad.json", content)
    with pytest.raises(InputError) as error:
        reader(path, NOW)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_demo_plans_fix_every_family_in_the_bundled_terraform(tmp_path: Path) -> None:
    import shutil

    from rules import RuleSettings
    from scanner.analysis import analyze
    from scanner.merge import merge

    snapshot = merge(
        [
            read_azure_arg(DEMO / "resource-graph.json", NOW),
            read_azure_graph(DEMO / "microsoft-graph.json", NOW),
        ],
        taken_at=NOW,
    )
    findings = analyze(snapshot, now=NOW, settings=RuleSettings())
    terraform = tmp_path / "tf"
    shutil.copytree(DEMO / "terraform", terraform)
    plans = {p.title: p for p in build_plans(findings, terraform, today=NOW.date())}
    fixes = {p.key.split(":")[0]: p for p in plans.values() if p.kind == "fix"}

    assert set(fixes) == {"long-lived-key", "standing-admin", "open-egress", "public-data"}
    admin = next(p for p in plans.values() if p.kind == "fix" and "standing-admin" in p.key)
    assert 'resource "azurerm_pim_eligible_role_assignment" "alice_owner"' in admin.files["iam.tf"]
    assert "duration_days = 90" in admin.files["iam.tf"]
    assert 'resource "azurerm_role_assignment" "gina_reader"' in admin.files["iam.tf"]
    egress = next(p for p in plans.values() if p.kind == "fix" and "open-egress" in p.key)
    assert 'destination_address_prefix = "Internet"' in egress.patch and '"Deny"' in egress.patch
    keys = [p for p in plans.values() if p.kind == "fix" and "long-lived-key" in p.key]
    patches = "".join(p.patch for p in keys)
    assert "+  shared_access_key_enabled       = false" in patches
    assert "+  storage_use_azuread = true" in patches
    assert "time_rotating.deploy_rotation.rotation_rfc3339" in patches
    public = next(p for p in plans.values() if p.kind == "fix" and "public-data" in p.key)
    assert "+  allow_nested_items_to_be_public = false" in public.patch
    # Unmanaged resources get waiver proposals, never a guessed edit.
    assert any(p.kind == "waiver" and "nsg-data" in p.title for p in plans.values())


def test_one_page_of_a_paged_resource_graph_answer_is_refused(tmp_path: Path) -> None:
    page = {"count": 1, "total_records": 17, "skip_token": "abc", "data": [{"id": "x"}]}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))

    with pytest.raises(InputError, match="holds 1 of 17 rows") as caught:
        read_azure_arg(path, NOW)

    assert str(path) in str(caught.value)

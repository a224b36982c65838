"""The export path: Cloud Asset exports in both casings, the demo estate, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.collectors.gcp_assets import read_export
from scanner.collectors.imports import import_all
from scanner.errors import InputError
from tests.fake_gcp import camel
from tests.fake_gcp_assets import DEMO, NOW, demo_snapshot, findings_of

SHARED = Path(__file__).parent / "data" / "gcp"


def by_rule(findings):  # type: ignore[no-untyped-def]
    return {(f.rule, f.resource.split(":", 1)[-1].rsplit("/", 1)[-1]) for f in findings}


def test_demo_export_has_every_family_and_spares_its_clean_twins() -> None:
    found = by_rule(findings_of(demo_snapshot()))

    assert found == {
        ("long-lived-key/service-account-key", "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"),
        ("standing-admin/direct", "ci-deployer@acme-prod.iam.gserviceaccount.com"),
        ("standing-admin/direct", "deployer@acme-prod.iam.gserviceaccount.com"),
        ("standing-admin/direct", "alice@acme.example"),
        ("standing-admin/inherited", "sre@acme.example"),
        ("standing-admin/impersonation", "bob@acme.example"),
        ("open-egress/all-traffic", "prod-allow-all-egress"),
        ("open-egress/all-traffic", "sandbox-vpc"),
        ("public-data/read", "acme-public-assets"),
        ("public-data/read", "acme-legacy-downloads"),
    }


def test_impersonation_path_runs_through_the_service_account() -> None:
    bob = next(f for f in findings_of(demo_snapshot()) if f.principal == "user:bob@acme.example")

    assert bob.account == "acme-prod"
    assert bob.path == [
        "user:bob@acme.example",
        "serviceAccount:deployer@acme-prod.iam.gserviceaccount.com",
        "//cloudresourcemanager.googleapis.com/projects/520000000001#roles/owner",
        "gcp:acme-prod:administrator",
    ]
    assert "iam.serviceAccounts.getAccessToken" in bob.evidence["impersonation"][0]["permissions"]


def test_admin_key_makes_both_findings_critical() -> None:
    found = {
        f.rule: f for f in findings_of(demo_snapshot()) if "ci-deployer" in (f.principal or "")
    }

    assert found["long-lived-key/service-account-key"].severity == "critical"
    assert found["standing-admin/direct"].severity == "critical"


def test_camel_case_api_form_reads_the_same(tmp_path: Path) -> None:
    paths = []
    for name in ("resource.jsonl", "iam-policy.jsonl", "org-policy.jsonl"):
        lines = (DEMO / name).read_text().splitlines()
        target = tmp_path / name
        target.write_text("\n".join(json.dumps(camel(json.loads(line))) for line in lines))
        paths.append(f"gcp-cai={target}")

    camel_findings = by_rule(findings_of(import_all(paths, NOW)))

    assert camel_findings == by_rule(findings_of(demo_snapshot()))


def test_shared_forseti_samples_are_read() -> None:
    snapshot = import_all(
        [
            f"gcp-cai={SHARED / 'cai-export-iam-policy.jsonl'}",
            f"gcp-cai={SHARED / 'cai-export-resource.jsonl'}",
        ],
        NOW,
    )
    found = by_rule(findings_of(snapshot))

    project1 = next(s for s in snapshot.scopes if s.account == "project1")
    assert project1.aliases == ("projects/1041",)
    assert project1.parents == ("organizations/111222333",)
    assert ("standing-admin/direct", "a_user@forseti.test") in found
    assert ("open-egress/all-traffic", "default") in found
    # The BigQuery dataset open to allAuthenticatedUsers is not a bucket.
    assert not any(rule.startswith("public-data") for rule, _ in found)


def test_broken_line_names_file_and_line(tmp_path: Path) -> None:
    export = tmp_path / "broken.jsonl"
    export.write_text((DEMO / "resource.jsonl").read_text().splitlines()[0] + "\n{not json\n")

    with pytest.raises(InputError) as error:
        read_export(export, NOW)
    assert error.value.where == f"{export}:2"


def test_line_without_asset_type_is_rejected(tmp_path: Path) -> None:
    export = tmp_path / "odd.jsonl"
    export.write_text('{"name": "//storage.googleapis.com/b"}\n')

    with pytest.raises(InputError, match="not a Cloud Asset") as error:
        read_export(export, NOW)
    assert error.value.where == f"{export}:1"


def test_record_of_the_wrong_shape_names_its_line(tmp_path: Path) -> None:
    export = tmp_path / "shape.jsonl"
    line = {
        "name": "//iam.googleapis.com/x",
        "asset_type": "iam.googleapis.com/ServiceAccount",
        "resource": {"data": {"projectId": "p"}},
    }
    export.write_text(json.dumps(line) + "\n")

    with pytest.raises(InputError, match="ServiceAccount") as error:
        read_export(export, NOW)
    assert error.value.where == f"{export}:1"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_export(tmp_path / "nope.jsonl", NOW)


def test_empty_export_is_refused_not_clean(tmp_path: Path) -> None:
    from scanner.collectors.gcp_assets import read_export
    from scanner.errors import InputError

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")

    with pytest.raises(InputError, match="no Cloud Asset records") as caught:
        read_export(empty, NOW)

    assert str(empty) in str(caught.value)


def test_exports_split_by_content_type_give_the_same_scopes_as_one_file(tmp_path: Path) -> None:
    resource, iam = DEMO / "resource.jsonl", DEMO / "iam-policy.jsonl"
    joined = tmp_path / "all.jsonl"
    joined.write_text(resource.read_text() + iam.read_text())

    split = import_all([f"gcp-cai={resource}", f"gcp-cai={iam}"], NOW)
    single = import_all([f"gcp-cai={joined}"], NOW)

    assert sorted(s.account for s in split.scopes) == sorted(s.account for s in single.scopes)
    assert all(not s.account.isdigit() for s in split.scopes)

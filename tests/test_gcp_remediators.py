"""google-provider plans for the demo estate: each patch applies and makes the smallest fix."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from remediators.plan import Plan, build_plans, write_plans
from tests.fake_gcp_assets import DEMO, NOW, demo_snapshot, findings_of


@pytest.fixture
def plans(tmp_path: Path) -> dict[str, Plan]:
    terraform = tmp_path / "tf"
    shutil.copytree(DEMO / "terraform", terraform)
    built = build_plans(findings_of(demo_snapshot()), terraform, today=NOW.date())
    write_plans(built, tmp_path / "plans")
    for patch in sorted((tmp_path / "plans").glob("*/change.patch")):
        subprocess.run(["git", "apply", "--check", str(patch)], cwd=terraform, check=True)
    return {p.title: p for p in built}


def plan_for(plans: dict[str, Plan], text: str) -> Plan:
    return next(p for title, p in plans.items() if text in title)


def test_key_plan_deletes_the_key_block(plans: dict[str, Plan]) -> None:
    plan = plan_for(plans, "ci-deployer@acme-prod.iam.gserviceaccount.com")
    assert plan.kind == "fix"
    assert 'resource "google_service_account_key" "ci"' not in plan.files["iam.tf"]
    assert 'resource "google_service_account" "ci_deployer"' in plan.files["iam.tf"]


def test_admin_plans_replace_basic_roles_with_time_bound_review(plans: dict[str, Plan]) -> None:
    alice = plan_for(plans, "standing admin from alice").files["iam.tf"]
    owner = alice.split('"alice_owner"')[1].split("\n}\n")[0]
    assert 'role    = "roles/iam.securityReviewer"' in owner
    assert 'expression  = "request.time < timestamp(\\"2026-12-31T00:00:00Z\\")"' in owner
    assert '"roles/owner"' not in owner
    assert 'role    = "roles/accessapproval.configEditor"' in alice
    sre = plan_for(plans, "standing admin from sre").files["iam.tf"]
    assert '"google_folder_iam_binding" "prod_editors"' not in sre
    assert '"google_folder_iam_member" "prod_editors_sre_reviewer"' in sre


def test_egress_plans_narrow_ranges_and_deny_implied_egress(plans: dict[str, Plan]) -> None:
    explicit = plan_for(plans, "prod-allow-all-egress")
    assert 'destination_ranges = ["10.20.0.0/16"]' in explicit.files["network.tf"]
    implied = plan_for(plans, "sandbox-vpc")
    text = implied.files["network.tf"]
    assert '"google_compute_firewall" "sandbox_deny_egress"' in text
    assert "priority           = 65534" in text and 'protocol = "all"' in text


def test_bucket_plan_enforces_prevention_and_drops_all_users(plans: dict[str, Plan]) -> None:
    plan = plan_for(plans, "acme-public-assets")
    text = plan.files["storage.tf"]
    assert 'public_access_prevention    = "enforced"' in text.split("audit_logs")[0]
    assert '"allUsers"' not in text
    unmanaged = plan_for(plans, "acme-legacy-downloads")
    assert unmanaged.kind == "waiver"

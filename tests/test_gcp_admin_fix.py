"""standing-admin fixes on the google provider: basic roles become time-bound review access."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import hcl2
import pytest

from remediators.plan import Plan, build_plans, write_plans
from scanner.gcp.conditions import end_time
from tests.fake_gcp_assets import CRM, NOW, binding, findings_of, policy, project, snapshot_of

PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project"
TODAY = date(2026, 12, 1)
MEMBER = """\
resource "google_project_iam_member" "ann" {
  project = "p1"
  role    = "{role}"
  member  = "user:ann@x.test"
}
"""
BINDING = """\
# Editors of p1.
resource "google_project_iam_binding" "editors" {
  project = "p1"
  role    = "roles/editor"
  members = [
    "user:ann@x.test",
    "user:ben@x.test",
  ]
}
"""
REVIEWERS = """
resource "google_project_iam_binding" "reviewers" {
  project = "p1"
  role    = "roles/iam.securityReviewer"
  members = ["group:sec@x.test"]
}
"""


def plans_for(tmp_path: Path, tf: str, role: str, today: date = TODAY) -> dict[str, Plan]:
    """Plans for ann (and ben) holding `role` on project p1, against one Terraform file."""
    terraform = tmp_path / "tf"
    terraform.mkdir(exist_ok=True)
    (terraform / "iam.tf").write_text(tf)
    grants = binding(role, "user:ann@x.test", "user:ben@x.test")
    snapshot = snapshot_of(project(), policy(f"{CRM}projects/11", PROJECT_TYPE, grants))
    built = build_plans(findings_of(snapshot), terraform, today=today)
    out = tmp_path / f"plans-{today}"
    write_plans(built, out)
    for patch in out.glob("*/change.patch"):
        subprocess.run(["git", "apply", "--check", str(patch)], cwd=terraform, check=True)
    return {p.title.rsplit(" ", 1)[-1]: p for p in built}


def plain(value: Any) -> Any:
    """python-hcl2 keeps string quotes and escapes and marks blocks; drop all three."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('\\"', '"')
    return value


def resources(text: str, kind: str) -> dict[str, Any]:
    parsed = hcl2.loads(text)
    return {
        name.strip('"'): plain(body)
        for block in parsed.get("resource", [])
        for type_, named in block.items()
        if type_.strip('"') == kind
        for name, body in named.items()
    }


def test_basic_role_member_is_replaced_in_place_with_an_expiring_condition(
    tmp_path: Path,
) -> None:
    plan = plans_for(tmp_path, MEMBER.replace("{role}", "roles/owner"), "roles/owner")["ann@x.test"]

    assert plan.kind == "fix"
    ann = resources(plan.files["iam.tf"], "google_project_iam_member")["ann"]
    assert ann["role"] == "roles/iam.securityReviewer"
    assert ann["member"] == "user:ann@x.test"
    (condition,) = ann["condition"]
    until = end_time(condition["expression"])
    assert until is not None and until.date() == date(2026, 12, 31)
    assert "Why roles/iam.securityReviewer" in plan.body
    assert "conditions are not allowed on basic roles" in plan.body


def test_predefined_admin_role_member_is_deleted_not_replaced(tmp_path: Path) -> None:
    tf = MEMBER.replace("{role}", "roles/iam.securityAdmin")
    plan = plans_for(tmp_path, tf, "roles/iam.securityAdmin")["ann@x.test"]

    assert "google_project_iam_member" not in plan.files["iam.tf"]
    assert "securityReviewer" not in plan.body


def test_binding_member_leaves_and_gets_a_separate_conditional_member(tmp_path: Path) -> None:
    plan = plans_for(tmp_path, BINDING, "roles/editor")["ann@x.test"]
    text = plan.files["iam.tf"]

    editors = resources(text, "google_project_iam_binding")["editors"]
    assert editors["members"] == ["user:ben@x.test"]
    assert text.startswith("# Editors of p1.\n")  # the person's comment survives
    added = resources(text, "google_project_iam_member")["editors_ann_reviewer"]
    assert added["project"] == "p1" and added["member"] == "user:ann@x.test"
    assert added["role"] == "roles/iam.securityReviewer"
    assert "request.time < timestamp" in added["condition"][0]["expression"]


def test_only_member_binding_becomes_the_conditional_member(tmp_path: Path) -> None:
    alone = BINDING.replace('    "user:ben@x.test",\n', "")
    plan = plans_for(tmp_path, alone, "roles/editor")["ann@x.test"]
    text = plan.files["iam.tf"]

    assert "google_project_iam_binding" not in text
    assert list(resources(text, "google_project_iam_member")) == ["editors_ann_reviewer"]


def test_authoritative_reviewer_binding_is_not_contradicted(tmp_path: Path) -> None:
    plan = plans_for(tmp_path, BINDING + REVIEWERS, "roles/editor")["ann@x.test"]
    text = plan.files["iam.tf"]

    assert "google_project_iam_member" not in text
    assert resources(text, "google_project_iam_binding")["editors"]["members"] == [
        "user:ben@x.test"
    ]
    assert "holds that role authoritatively" in plan.body


def test_plan_hash_does_not_move_with_the_day_of_the_run(tmp_path: Path) -> None:
    tf = MEMBER.replace("{role}", "roles/owner")
    first = plans_for(tmp_path, tf, "roles/owner")["ann@x.test"]
    later = plans_for(tmp_path, tf, "roles/owner", today=date(2026, 12, 5))["ann@x.test"]

    assert "2027-01-04" in later.files["iam.tf"] and "2027-01-04" not in first.files["iam.tf"]
    assert first.plan_hash == later.plan_hash


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor"])
def test_replacement_is_neither_admin_nor_standing(tmp_path: Path, role: str) -> None:
    plan = plans_for(tmp_path, MEMBER.replace("{role}", role), role)["ann@x.test"]
    ann = resources(plan.files["iam.tf"], "google_project_iam_member")["ann"]
    condition = ann["condition"][0]
    after = binding(ann["role"], ann["member"], condition=condition)

    snapshot = snapshot_of(project(), policy(f"{CRM}projects/11", PROJECT_TYPE, after))
    assert not [f for f in findings_of(snapshot) if f.family == "standing-admin"]
    assert NOW.date() < end_time(condition["expression"]).date()  # type: ignore[union-attr]

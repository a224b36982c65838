"""Grouped pull requests and several Terraform directories, over runs against the fake GitHub.

The checkout is a real git repository with Terraform in two directories; combined patches are
checked with `git apply`, and the bot is driven through PyGithub against the local fake.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediators import pr_marker
from remediators.github_client import Credentials, Pacing, connect
from remediators.github_pr import BotPolicy, PrAction, sync
from remediators.grouping import Grouping
from remediators.plan import Plan, build_plans
from remediators.pr_proposal import Proposal, propose
from remediators.workspace import TerraformDir
from scanner.findings import Finding
from tests.fake_github import FakeGitHub
from tests.test_bot_runs import NOW, REPO, TOKEN
from tests.test_remediators_findings import (
    ACCOUNT,
    DEMO,
    TODAY,
    admin_finding,
    bucket_finding,
    egress_finding,
    key_finding,
)

USER = f"arn:aws:iam::{ACCOUNT}:user/ci-deployer"
IAM = """\
resource "aws_iam_user" "ci" {
  name = "ci-deployer"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

resource "aws_iam_user_policy_attachment" "ci_admin" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "infra" / "prod").mkdir(parents=True)
    (root / "infra" / "data").mkdir(parents=True)
    (root / "infra" / "prod" / "iam.tf").write_text(IAM, encoding="utf-8")
    network = (DEMO / "network.tf").read_text(encoding="utf-8")
    (root / "infra" / "prod" / "network.tf").write_text(network, encoding="utf-8")
    storage = (DEMO / "storage.tf").read_text(encoding="utf-8")
    (root / "infra" / "data" / "storage.tf").write_text(storage, encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return root


@pytest.fixture
def fake(checkout: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        files = {
            p.relative_to(checkout).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(checkout.rglob("*.tf"))
        }
        server.add_repo(REPO, files)
        yield server


DIRS = [TerraformDir(Path("infra/prod")), TerraformDir(Path("infra/data"))]


def _findings(*, admin: bool = True, key: bool = True) -> list[Finding]:
    found = [egress_finding(), bucket_finding()]
    if key:
        found.append(key_finding())
    if admin:
        found.append(admin_finding(USER, USER))
    return found


def _plans(root: Path, findings: list[Finding], grouping: Grouping) -> list[Plan]:
    dirs = [TerraformDir(root / d.path) for d in DIRS]
    return build_plans(findings, root, directories=dirs, grouping=grouping, today=TODAY)


def _proposals(root: Path, findings: list[Finding], grouping: Grouping) -> list[Proposal]:
    return propose(_plans(root, findings, grouping), findings, root=root)


def _run(fake: FakeGitHub, proposals: list[Proposal], dry_run: bool = False) -> list[PrAction]:
    client = connect(Credentials(token=TOKEN), REPO, fake.url, Pacing(0, secondary_rate_wait=1))
    policy = BotPolicy(run="run-1", now=NOW)
    return sync(proposals, client=client, repo=REPO, policy=policy, dry_run=dry_run)


def _applies(root: Path, plan: Plan) -> None:
    patch = root.parent / "change.patch"
    patch.write_text(plan.patch, encoding="utf-8")
    _git(root, "apply", "--check", str(patch))
    _git(root, "apply", str(patch))
    for path, content in plan.files.items():
        assert (root / path).read_text(encoding="utf-8") == content
    _git(root, "checkout", "-q", "--", ".")


def test_resource_grouping_joins_a_users_key_and_admin_in_one_plan(checkout: Path) -> None:
    plans = _plans(checkout, _findings(), "resource")

    assert len(plans) == 3 and all(p.key.startswith("resource:") for p in plans)
    user = next(p for p in plans if len(p.findings) == 2)
    assert user.branch == "ztdrift/resource/" + user.key.split(":")[1]
    assert list(user.files) == ["infra/prod/iam.tf"]
    assert "aws_iam_access_key" not in user.files["infra/prod/iam.tf"]
    assert "ci_admin" not in user.files["infra/prod/iam.tf"]
    assert 'aws_iam_user" "ci"' in user.files["infra/prod/iam.tf"]
    assert "### Problem 1:" in user.body and "### Problem 2:" in user.body
    assert "long-lived" in user.body and "standing admin" in user.body
    assert user.title == "ztdrift: fix 2 problems on ci-deployer"
    _applies(checkout, user)


def test_module_grouping_joins_problems_of_one_terraform_directory(checkout: Path) -> None:
    plans = _plans(checkout, _findings(), "module")

    by_files = {tuple(sorted(p.files)): p for p in plans}
    assert set(by_files) == {
        ("infra/prod/iam.tf", "infra/prod/network.tf"),
        ("infra/data/storage.tf",),
    }
    prod = by_files[("infra/prod/iam.tf", "infra/prod/network.tf")]
    assert prod.key.startswith("module:") and len(prod.findings) == 3
    assert "infra/prod" in prod.body
    _applies(checkout, prod)


def test_problem_grouping_keeps_one_plan_per_problem(checkout: Path) -> None:
    plans = _plans(checkout, _findings(), "problem")
    assert sorted(p.key.split(":")[0] for p in plans) == [
        "long-lived-key",
        "open-egress",
        "public-data",
        "standing-admin",
    ]


def test_group_keys_and_hashes_are_stable_across_runs(checkout: Path) -> None:
    first = {p.key: p.plan_hash for p in _plans(checkout, _findings(), "resource")}
    again = {p.key: p.plan_hash for p in _plans(checkout, list(reversed(_findings())), "resource")}
    assert first == again


def test_group_pull_request_over_runs_open_noop_shrink_and_close(
    checkout: Path, fake: FakeGitHub
) -> None:
    repo = fake.repos[REPO]
    opened = _run(fake, _proposals(checkout, _findings(), "resource"))
    assert {a.action for a in opened} == {"opened"} and len(repo.pulls) == 3
    group = next(pr for pr in repo.pulls if "Problem 2:" in pr["body"])
    assert {"long-lived-key", "standing-admin", "severity:critical"} <= set(group["labels"])
    before = len(fake.requests)

    # Nothing changed: nothing is written.
    rerun = _run(fake, _proposals(checkout, _findings(), "resource"))
    assert {a.action for a in rerun} == {"unchanged"}
    assert [r for r in fake.requests[before:] if r[0] != "GET"] == []

    # The admin problem left the group: the same pull request gets a new commit and body.
    shrunk = _run(fake, _proposals(checkout, _findings(admin=False), "resource"))
    updated = [a for a in shrunk if a.action == "updated"]
    assert len(updated) == 1 and updated[0].number == group["number"]
    iam = repo.file_at(group["head"], "infra/prod/iam.tf")
    assert "aws_iam_access_key" not in iam and "ci_admin" in iam
    assert "Problem 2:" not in group["body"]
    assert (pr_marker.read(group["body"]) or pr_marker.Marker(key="")).key == updated[0].key

    # The group emptied: its pull request is closed and its branch deleted.
    emptied = _run(fake, _proposals(checkout, _findings(admin=False, key=False), "resource"))
    assert [a.number for a in emptied if a.action == "closed"] == [group["number"]]
    assert group["state"] == "closed"
    assert f"refs/heads/{group['head']}" not in repo.refs
    assert len(repo.pulls) == 3


def _state(key_id: str, user: str) -> str:
    resource = {
        "mode": "managed",
        "type": "aws_iam_access_key",
        "name": "ci",
        "instances": [{"attributes": {"id": key_id, "user": user, "secret": "s3cr3t"}}],
    }
    return json.dumps({"version": 4, "resources": [resource]})


def test_each_directorys_state_pins_its_own_blocks(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    key_block = 'variable "user" {}\n\nresource "aws_iam_access_key" "ci" {\n  user = var.user\n}\n'
    for env in ("prod", "dev"):
        (root / "envs" / env).mkdir(parents=True)
        (root / "envs" / env / "keys.tf").write_text(key_block, encoding="utf-8")
        (root / f"{env}.tfstate").write_text(
            _state(f"AKIA{env.upper()}0001", "ci-deployer"), encoding="utf-8"
        )
    dirs = [TerraformDir(root / "envs" / env, root / f"{env}.tfstate") for env in ("prod", "dev")]

    plans = build_plans([key_finding(key_id="AKIADEV0001")], root, directories=dirs, today=TODAY)
    assert [p.kind for p in plans] == ["fix"]
    assert list(plans[0].files) == ["envs/dev/keys.tf"]
    assert "diff --git a/envs/dev/keys.tf b/envs/dev/keys.tf" in plans[0].patch
    assert "s3cr3t" not in plans[0].body + plans[0].patch

    # One index of the whole root with both states cannot tell the two blocks apart.
    merged = root / "both.tfstate"
    doc = json.loads(_state("AKIADEV0001", "ci-deployer"))
    doc["resources"] += json.loads(_state("AKIAPROD0001", "ci-deployer"))["resources"]
    merged.write_text(json.dumps(doc), encoding="utf-8")
    whole = build_plans([key_finding(key_id="AKIADEV0001")], root, state_file=merged, today=TODAY)
    assert [p.kind for p in whole] == ["waiver"]

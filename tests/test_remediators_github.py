"""The pull request bot through real PyGithub against a local fake GitHub."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediators.github_pr import read_marker, sync_pull_requests
from remediators.plan import Plan, build_plans
from tests.fake_github import FakeGitHub, FakeRepo
from tests.test_remediators_findings import DEMO, TODAY, demo_findings

REPO = "acme/infra"
TOKEN = "ghp_testtoken0000000000000000000000000000"


def _demo_files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(DEMO.glob("*.tf"))}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, _demo_files())
        yield server


@pytest.fixture
def plans() -> list[Plan]:
    return build_plans(demo_findings(), DEMO, today=TODAY)


def _sync(
    fake: FakeGitHub, plans: list[Plan], *, dry_run: bool = False, close_stale: bool = False
) -> list[tuple[str, int | None]]:
    actions = sync_pull_requests(
        plans,
        repo=REPO,
        token=TOKEN,
        api_url=fake.url,
        dry_run=dry_run,
        close_stale=close_stale,
        seconds_between_writes=0,
    )
    return [(a.action, a.number) for a in actions]


def _repo(fake: FakeGitHub) -> FakeRepo:
    return fake.repos[REPO]


def test_first_run_opens_one_pr_per_plan_on_its_branch(fake: FakeGitHub, plans: list[Plan]) -> None:
    actions = _sync(fake, plans)
    assert sorted(a for a, _ in actions) == ["opened"] * len(plans)
    repo = _repo(fake)
    assert len(repo.pulls) == len(plans)
    for plan in plans:
        pr = next(pr for pr in repo.pulls if pr["head"] == plan.branch)
        assert pr["base"] == "main" and pr["labels"] == ["ztdrift"]
        assert read_marker(pr["body"]) == {"key": plan.key, "plan_hash": plan.plan_hash}
        for path, content in plan.files.items():
            assert repo.file_at(plan.branch, path) == content
        # Files the plan does not touch are the base's.
        assert repo.file_at(plan.branch, "main.tf") == _demo_files()["main.tf"]


def test_rerun_with_same_plans_changes_nothing(fake: FakeGitHub, plans: list[Plan]) -> None:
    _sync(fake, plans)
    before = len(fake.requests)
    commits = len(_repo(fake).commits)
    actions = _sync(fake, plans)
    assert {a for a, _ in actions} == {"unchanged"}
    assert [r for r in fake.requests[before:] if r[0] != "GET"] == []
    assert len(_repo(fake).commits) == commits


def test_changed_plan_updates_the_same_pr(fake: FakeGitHub, plans: list[Plan]) -> None:
    _sync(fake, plans)
    plan = plans[0]
    changed = plan.model_copy(
        update={
            "plan_hash": "0" * 16,
            "body": plan.body.replace(plan.plan_hash, "0" * 16),
            "files": {p: c + "# reviewed\n" for p, c in plan.files.items()},
        }
    )
    before = len(fake.requests)
    actions = _sync(fake, [changed, *plans[1:]])
    number = next(pr["number"] for pr in _repo(fake).pulls if pr["head"] == plan.branch)
    assert ("updated", number) in actions
    assert [a for a, _ in actions].count("updated") == 1
    writes = [r for r in fake.requests[before:] if r[0] != "GET"]
    assert ("POST", f"/repos/{REPO}/pulls") not in writes
    assert any(method == "PATCH" and "/git/refs/heads/" in path for method, path in writes)
    repo = _repo(fake)
    assert len(repo.pulls) == len(plans)
    for path, content in changed.files.items():
        assert repo.file_at(plan.branch, path) == content


def test_same_problem_never_gets_a_second_pr(fake: FakeGitHub, plans: list[Plan]) -> None:
    _sync(fake, plans)
    repo = _repo(fake)
    # A person removes the marker from one body: the branch still ties it to its plan.
    repo.pulls[0]["body"] = "edited by a person"
    actions = _sync(fake, plans)
    assert "opened" not in {a for a, _ in actions}
    assert len(repo.pulls) == len(plans)


def test_close_stale_closes_comments_and_deletes_branch(
    fake: FakeGitHub, plans: list[Plan]
) -> None:
    _sync(fake, plans)
    gone, kept = plans[0], plans[1:]
    assert ("closed", 1) not in _sync(fake, kept)
    repo = _repo(fake)
    assert all(pr["state"] == "open" for pr in repo.pulls)

    actions = _sync(fake, kept, close_stale=True)
    closed = [n for a, n in actions if a == "closed"]
    pr = next(pr for pr in repo.pulls if pr["head"] == gone.branch)
    assert closed == [pr["number"]]
    assert pr["state"] == "closed"
    assert f"refs/heads/{gone.branch}" not in repo.refs
    assert [n for n, _ in repo.comments] == [pr["number"]]


def test_dry_run_writes_nothing(fake: FakeGitHub, plans: list[Plan]) -> None:
    actions = _sync(fake, plans, dry_run=True)
    assert {a for a, _ in actions} == {"opened"}
    assert fake.writes() == []


def test_token_is_sent_but_never_logged(
    fake: FakeGitHub, plans: list[Plan], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _sync(fake, plans)
    assert TOKEN not in caplog.text
    assert all(header.endswith(TOKEN) for header in fake.auth_headers)


def test_fake_binds_loopback_only(fake: FakeGitHub, tmp_path: Path) -> None:
    assert fake.url.startswith("http://127.0.0.1:")

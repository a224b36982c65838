"""The bot over a sequence of runs, through real PyGithub against the local fake GitHub.

Each test drives `sync` as scheduled runs would: state lives only in the fake repository
(branches, bodies with markers, closed and merged pull requests).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from remediators import pr_marker
from remediators.github_client import Credentials, Pacing, connect
from remediators.github_pr import BotPolicy, PrAction, sync
from remediators.plan import build_plans
from remediators.pr_proposal import EVERY_SCOPE, Proposal, propose
from scanner.errors import ZtdriftError
from tests.fake_github import FakeGitHub, FakeRepo
from tests.test_remediators_findings import ACCOUNT, DEMO, TODAY, demo_findings

REPO = "acme/infra"
TOKEN = "ghp_testtoken0000000000000000000000000000"
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
SCOPE = f"aws:{ACCOUNT}"


def _demo_files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(DEMO.glob("*.tf"))}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, _demo_files())
        yield server


def _proposals(findings: list | None = None) -> list[Proposal]:  # type: ignore[type-arg]
    findings = demo_findings() if findings is None else findings
    plans = build_plans(findings, DEMO, today=TODAY)
    return propose(plans, findings, root=DEMO, labels=("ztdrift",))


def _run(
    fake: FakeGitHub,
    proposals: list[Proposal],
    *,
    now: datetime = NOW,
    unseen: frozenset[str] = frozenset(),
    dry_run: bool = False,
    **limits: int,
) -> list[PrAction]:
    client = connect(Credentials(token=TOKEN), REPO, fake.url, Pacing(0, secondary_rate_wait=1))
    policy = BotPolicy(
        max_open=limits.get("max_open"),
        max_new=limits.get("max_new"),
        cooldown=timedelta(days=14),
        grace=timedelta(days=7),
        run="run-1",
        now=now,
    )
    return sync(proposals, client=client, repo=REPO, policy=policy, unseen=unseen, dry_run=dry_run)


def _by_action(actions: list[PrAction]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in actions:
        found.setdefault(action.action, []).append(action.key)
    return found


def _repo(fake: FakeGitHub) -> FakeRepo:
    return fake.repos[REPO]


def test_limits_open_worst_severity_first_and_defer_the_rest(fake: FakeGitHub) -> None:
    proposals = _proposals()
    actions = _run(fake, proposals, max_new=2)

    opened = _by_action(actions)["opened"]
    assert all(k.startswith("standing-admin:") for k in opened) and len(opened) == 2
    assert len(_by_action(actions)["deferred"]) == len(proposals) - 2
    repo = _repo(fake)
    assert {"ztdrift", "standing-admin", "severity:critical"} <= set(repo.labels)
    assert sorted(repo.pulls[0]["labels"]) == ["severity:critical", "standing-admin", "ztdrift"]

    # Next run: two more, the worst of what is left (high before medium).
    second = _by_action(_run(fake, proposals, max_new=2))
    assert len(second["opened"]) == 2 and "open-egress:" not in " ".join(second["opened"])
    third = _by_action(_run(fake, proposals, max_new=5, max_open=4))
    assert "opened" not in third and len(third["deferred"]) == 1


def test_rerun_with_nothing_changed_writes_nothing(fake: FakeGitHub) -> None:
    proposals = _proposals()
    _run(fake, proposals)
    before, commits = len(fake.requests), len(_repo(fake).commits)

    actions = _run(fake, proposals)
    assert {a.action for a in actions} == {"unchanged"}
    assert [r for r in fake.requests[before:] if r[0] != "GET"] == []
    assert len(_repo(fake).commits) == commits and _repo(fake).comments == []


def test_marker_holds_key_hash_run_and_hashed_scopes(fake: FakeGitHub) -> None:
    _run(fake, _proposals())
    marker = pr_marker.read(_repo(fake).pulls[0]["body"])
    assert marker is not None and marker.run == "run-1" and marker.plan_hash
    assert marker.scopes and ACCOUNT not in str(marker.scopes)


def test_changed_problem_updates_its_pull_request(fake: FakeGitHub) -> None:
    proposals = _proposals()
    _run(fake, proposals)
    target = proposals[0]
    plan = target.plan
    changed_plan = plan.model_copy(
        update={
            "plan_hash": "f" * 16,
            "files": {p: c + "# reviewed\n" for p, c in plan.files.items()},
        }
    )
    changed = Proposal(
        plan=changed_plan, family=target.family, scopes=target.scopes, base_files=target.base_files
    )
    actions = _run(fake, [changed, *proposals[1:]])

    assert _by_action(actions)["updated"] == [plan.key]
    repo = _repo(fake)
    pr = next(pr for pr in repo.pulls if pr["head"] == plan.branch)
    assert (pr_marker.read(pr["body"]) or pr_marker.Marker(key="")).plan_hash == "f" * 16
    for path, content in changed_plan.files.items():
        assert repo.file_at(plan.branch, path) == content
    assert len(repo.pulls) == len(proposals)


def test_disappeared_problem_is_closed_with_comment_and_branch_deleted(fake: FakeGitHub) -> None:
    proposals = _proposals()
    _run(fake, proposals)
    gone = proposals[0]

    actions = _run(fake, proposals[1:])
    assert _by_action(actions)["closed"] == [gone.key]
    repo = _repo(fake)
    pr = next(pr for pr in repo.pulls if pr["head"] == gone.plan.branch)
    assert pr["state"] == "closed"
    assert f"refs/heads/{gone.plan.branch}" not in repo.refs
    assert [n for n, _ in repo.comments] == [pr["number"]]
    assert (pr_marker.read(pr["body"]) or pr_marker.Marker(key="")).resolved

    # The problem comes back: the bot closed it, so a new PR opens at once, no cool-down.
    again = _by_action(_run(fake, proposals))
    assert again["opened"] == [gone.key]


def test_partial_scan_opens_updates_and_closes_nothing_in_unseen_scopes(
    fake: FakeGitHub,
) -> None:
    proposals = _proposals()
    _run(fake, proposals[:3])
    writes = len(fake.writes())

    # Problem 0 vanished and 3+ are new, but the account was not fully scanned this time.
    actions = _run(fake, proposals[1:], unseen=frozenset({SCOPE, EVERY_SCOPE}))
    assert set(_by_action(actions)) == {"skipped"}
    assert len(fake.writes()) == writes
    assert all(pr["state"] == "open" for pr in _repo(fake).pulls)


def test_person_closed_pr_is_not_reopened_until_the_cool_down_ends(fake: FakeGitHub) -> None:
    proposals = _proposals()[:1]
    _run(fake, proposals)
    repo = _repo(fake)
    repo.close_by_person(1)

    for days in (0, 13):
        actions = _run(fake, proposals, now=NOW + timedelta(days=days))
        assert [a.action for a in actions] == ["cooling-down"]
    assert len(repo.pulls) == 1

    actions = _run(fake, proposals, now=NOW + timedelta(days=15))
    assert [a.action for a in actions] == ["opened"]
    new = repo.pulls[1]
    assert new["state"] == "open" and repo.pulls[0]["state"] == "closed"
    assert "#1" in new["body"]
    assert (pr_marker.read(new["body"]) or pr_marker.Marker(key="")).supersedes == 1


def test_merged_but_not_applied_awaits_apply_until_the_grace_period(fake: FakeGitHub) -> None:
    proposals = _proposals()
    key_plan = next(p for p in proposals if p.key.startswith("long-lived-key"))
    _run(fake, [key_plan])
    repo = _repo(fake)
    repo.close_by_person(1, merged=True)

    actions = _run(fake, [key_plan], now=NOW + timedelta(days=3))
    assert [a.action for a in actions] == ["awaiting-apply"]
    assert len(repo.pulls) == 1

    # After the grace period the problem is reported again; the merged fix is now on the
    # base, so the stale plan (made from the old checkout) is reported as a conflict.
    late = _run(fake, [key_plan], now=NOW + timedelta(days=8))
    assert [a.action for a in late] == ["conflict"]


def test_moved_base_is_reported_once_on_the_pull_request_not_forced(fake: FakeGitHub) -> None:
    proposals = _proposals()
    target = next(p for p in proposals if "iam.tf" in p.plan.files)
    _run(fake, [target])
    repo = _repo(fake)
    repo.push("main", {"iam.tf": _demo_files()["iam.tf"] + "# someone else's change\n"})
    changed = Proposal(
        plan=target.plan.model_copy(update={"plan_hash": "e" * 16}),
        family=target.family,
        scopes=target.scopes,
        base_files=target.base_files,
    )
    head_before = repo.refs[f"refs/heads/{target.plan.branch}"]

    first = _run(fake, [changed])
    second = _run(fake, [changed])
    assert [a.action for a in first] == [a.action for a in second] == ["conflict"]
    assert len(repo.comments) == 1 and "iam.tf" in repo.comments[0][1]
    assert repo.refs[f"refs/heads/{target.plan.branch}"] == head_before


def test_secondary_rate_limit_is_waited_out(fake: FakeGitHub) -> None:
    fake.rate_limit_writes = 1
    fake.retry_after = "1"
    started = time.monotonic()
    actions = _run(fake, _proposals()[:1])
    assert [a.action for a in actions] == ["opened"]
    assert time.monotonic() - started >= 1.0
    posts = [r for r in fake.requests if r == ("POST", f"/repos/{REPO}/git/blobs")]
    assert len(posts) == 2  # refused once, then sent again


def test_github_read_failure_changes_nothing_and_says_so(fake: FakeGitHub) -> None:
    fake.failing.add(("GET", "/pulls"))
    with pytest.raises(ZtdriftError, match="no pull request was opened"):
        _run(fake, _proposals())
    assert fake.writes() == []


def test_failed_write_is_reported_and_the_rest_proceeds(fake: FakeGitHub) -> None:
    fake.failing.add(("POST", "/pulls"))
    actions = _run(fake, _proposals())
    assert {a.action for a in actions} == {"failed"}
    assert all("500" in a.detail for a in actions)
    fake.failing.clear()
    assert {a.action for a in _run(fake, _proposals())} == {"opened"}


def test_dry_run_lists_every_action_and_writes_nothing(fake: FakeGitHub) -> None:
    actions = _run(fake, _proposals(), dry_run=True, max_new=2)
    assert fake.writes() == []
    assert [a.describe().split()[:2] for a in actions if a.action == "opened"] == [
        ["would", "opened"]
    ] * 2
    assert len([a for a in actions if a.action == "deferred"]) == 3


def test_reviewers_and_assignees_come_from_codeowners(fake: FakeGitHub, tmp_path: Path) -> None:
    for name, text in _demo_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "* @acme/everyone\n*.tf @acme/platform @alice dev@example.com\nnetwork.tf @bob\n",
        encoding="utf-8",
    )
    findings = demo_findings()
    proposals = propose(build_plans(findings, tmp_path, today=TODAY), findings, root=tmp_path)
    _run(fake, proposals)

    repo = _repo(fake)
    egress = next(pr for pr in repo.pulls if "open-egress" in pr["head"])
    assert egress["reviewers"] == ["bob"] and egress["assignees"] == ["bob"]
    key = next(pr for pr in repo.pulls if "long-lived-key" in pr["head"])
    assert key["teams"] == ["platform"] and key["reviewers"] == ["alice"]


def test_public_repository_bodies_are_redacted(fake: FakeGitHub) -> None:
    _repo(fake).private = False
    client = connect(Credentials(token=TOKEN), REPO, fake.url, Pacing(0))
    sync(_proposals(), client=client, repo=REPO, policy=BotPolicy(redaction="auto", now=NOW))
    for pr in _repo(fake).pulls:
        assert ACCOUNT not in pr["body"]
        assert "AKIAEXAMPLE" not in pr["body"] and "```mermaid" not in pr["body"]
        assert "Withheld" in pr["body"]
        assert (pr_marker.read(pr["body"]) or pr_marker.Marker(key="")).redacted


def test_private_repository_bodies_show_the_mermaid_path(fake: FakeGitHub) -> None:
    _run(fake, _proposals())
    bodies = [pr["body"] for pr in _repo(fake).pulls]
    assert all("```mermaid\nflowchart LR" in body for body in bodies)


def test_github_app_installation_token_is_used(fake: FakeGitHub) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    client = connect(Credentials(app_id="17", private_key=pem), REPO, fake.url, Pacing(0))
    actions = sync(_proposals()[:1], client=client, repo=REPO, policy=BotPolicy(now=NOW))

    assert [a.action for a in actions] == ["opened"]
    token = fake.installation_tokens[0]
    repo_calls = [
        header
        for (_, path), header in zip(fake.requests, fake.auth_headers, strict=True)
        if path.startswith(f"/repos/{REPO}/") and not path.endswith("/installation")
    ]
    assert repo_calls and all(header == f"token {token}" for header in repo_calls)
    assert "Credentials(kind='app'" in repr(Credentials(app_id="17", private_key=pem))
    assert "PRIVATE" not in repr(Credentials(app_id="17", private_key=pem))


def _person_pr(repo: FakeRepo, number: int, head: str, body: str) -> None:
    repo.refs[f"refs/heads/{head}"] = repo.refs["refs/heads/main"]
    repo.pulls.insert(
        0,
        {
            "number": number,
            "state": "open",
            "title": "a person's change",
            "body": body,
            "head": head,
            "base": "main",
            "labels": [],
            "assignees": [],
            "reviewers": [],
            "teams": [],
            "created_at": NOW,
        },
    )


def test_a_copied_marker_never_makes_a_persons_pr_the_bots(fake: FakeGitHub) -> None:
    proposals = _proposals()
    _run(fake, proposals, max_new=1)
    repo = _repo(fake)
    bot = repo.pulls[0]
    copied = pr_marker.read(bot["body"])
    assert copied is not None
    main = repo.refs["refs/heads/main"]
    _person_pr(
        repo,
        100,
        "release",
        "fix typo\n" + copied.model_copy(update={"plan_hash": "changed"}).comment(),
    )
    _person_pr(
        repo,
        101,
        "feature-x",
        "quoting the bot:\n" + pr_marker.Marker(key="standing-admin:gone", plan_hash="x").comment(),
    )

    _run(fake, proposals, max_new=0)

    assert repo.refs["refs/heads/release"] == main
    assert "refs/heads/feature-x" in repo.refs
    assert repo.pull(100)["title"] == "a person's change"
    assert repo.pull(101)["state"] == "open"
    assert repo.pull(bot["number"])["state"] == "open"

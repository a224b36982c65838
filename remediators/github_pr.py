"""Open, update and close one pull request per plan, idempotently.

A pull request belongs to a plan through its head branch (`ztdrift/<family>/<fingerprint>`)
and a hidden marker in its body holding the plan's key and hash. A rerun with an unchanged
plan touches nothing; a changed plan gets a fresh commit and body on the same branch and PR.

The bot owns its branches: an update builds the new commit on top of the current base and
moves the branch to it (a force update), so the PR never conflicts with changes merged since.
Commits that people push to a bot branch are replaced by the next update.

Plans carry whole file contents computed from the local checkout. If the base branch changed
one of those files after the checkout was made, the commit would undo that change in the PR's
diff; this is not detected here, so run the bot on a fresh checkout of the base branch.
Several waiver PRs each append to the same waiver file; after one merges, the others conflict
until the next run rebuilds them on the new base.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Literal

import github
from github import Auth, InputGitTreeElement
from github.GithubException import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict

from remediators.body import MARKER_PREFIX
from remediators.plan import Plan

log = logging.getLogger(__name__)

BRANCH_PREFIX = "ztdrift/"
LABEL = "ztdrift"
_MARKER = re.compile(re.escape(MARKER_PREFIX) + r"(\{.*?\}) -->")


class PrAction(BaseModel):
    """What sync did (or, in a dry run, would do) for one plan or stale pull request."""

    model_config = ConfigDict(frozen=True)

    action: Literal["opened", "updated", "unchanged", "closed"]
    key: str
    branch: str
    number: int | None = None
    dry_run: bool = False


def read_marker(body: str | None) -> dict[str, str] | None:
    """The key and plan_hash from a bot PR body, or None if it has no valid marker."""
    match = _MARKER.search(body or "")
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return None
    return {"key": data["key"], "plan_hash": str(data.get("plan_hash", ""))}


def sync_pull_requests(
    plans: list[Plan],
    *,
    repo: str,
    token: str,
    api_url: str = "https://api.github.com",
    base: str | None = None,
    dry_run: bool = False,
    close_stale: bool = False,
    seconds_between_writes: float = 1.0,
) -> list[PrAction]:
    """Make the repository's open ztdrift PRs match `plans`: one PR per plan, never two.

    Stale bot PRs (marker present, key no longer planned) are closed only with `close_stale`,
    which the caller passes only after a scan that saw every scope. Writes are paced as
    GitHub asks of integrations (secondary rate limits); tests may pass 0.
    """
    client = github.Github(
        base_url=api_url,
        auth=Auth.Token(token),
        seconds_between_requests=min(0.25, seconds_between_writes),
        seconds_between_writes=seconds_between_writes,
    )
    target = client.get_repo(repo)
    base_branch = base or target.default_branch
    open_prs = _open_bot_prs(target)
    actions = []
    for plan in sorted(plans, key=lambda p: p.key):
        pr = _find(open_prs, plan)
        actions.append(_sync_one(target, base_branch, plan, pr, dry_run))
    if close_stale:
        planned = {p.key for p in plans}
        for key, pr in sorted(open_prs.items()):
            # Only PRs with a marker are known to be ztdrift's; branch-only matches stay open.
            if key not in planned and not key.startswith("branch:"):
                actions.append(_close(target, key, pr, dry_run))
    return actions


def _open_bot_prs(target: Repository) -> dict[str, PullRequest]:
    """Open PRs by plan key: by marker, else by a ztdrift head branch."""
    found: dict[str, PullRequest] = {}
    for pr in target.get_pulls(state="open"):
        marker = read_marker(pr.body)
        key = marker["key"] if marker else None
        if key is None and pr.head.ref.startswith(BRANCH_PREFIX):
            key = "branch:" + pr.head.ref
        if key is not None and key not in found:
            found[key] = pr
    return found


def _find(open_prs: dict[str, PullRequest], plan: Plan) -> PullRequest | None:
    pr = open_prs.pop(plan.key, None) or open_prs.pop("branch:" + plan.branch, None)
    if pr is None:
        # A PR whose marker was edited away still owns the plan's branch.
        for key, candidate in list(open_prs.items()):
            if candidate.head.ref == plan.branch:
                pr = open_prs.pop(key)
                break
    return pr


def _sync_one(
    target: Repository, base: str, plan: Plan, pr: PullRequest | None, dry_run: bool
) -> PrAction:
    if pr is None:
        number = None if dry_run else _open(target, base, plan)
        log.info("%s PR for %s", "would open" if dry_run else "opened", plan.key)
        return PrAction(
            action="opened", key=plan.key, branch=plan.branch, number=number, dry_run=dry_run
        )
    marker = read_marker(pr.body)
    if marker is not None and marker["plan_hash"] == plan.plan_hash:
        return PrAction(
            action="unchanged", key=plan.key, branch=plan.branch, number=pr.number, dry_run=dry_run
        )
    if not dry_run:
        sha = _commit(target, base, plan)
        _move_branch(target, pr.head.ref, sha)
        pr.edit(title=plan.title, body=plan.body)
    log.info("%s PR #%d for %s", "would update" if dry_run else "updated", pr.number, plan.key)
    return PrAction(
        action="updated", key=plan.key, branch=pr.head.ref, number=pr.number, dry_run=dry_run
    )


def _commit(target: Repository, base: str, plan: Plan) -> str:
    """A commit on top of `base` writing the plan's files; returns its sha."""
    head = target.get_git_commit(target.get_git_ref(f"heads/{base}").object.sha)
    elements = []
    for path, content in sorted(plan.files.items()):
        blob = target.create_git_blob(content, "utf-8")
        elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
    tree = target.create_git_tree(elements, head.tree)
    # No author or committer: GitHub attributes the commit to the token's identity.
    commit = target.create_git_commit(plan.title, tree, [head])
    return commit.sha


def _move_branch(target: Repository, branch: str, sha: str) -> None:
    try:
        target.get_git_ref(f"heads/{branch}").edit(sha, force=True)
    except GithubException as exc:
        if exc.status != 404:
            raise
        target.create_git_ref(f"refs/heads/{branch}", sha)


def _open(target: Repository, base: str, plan: Plan) -> int:
    sha = _commit(target, base, plan)
    _move_branch(target, plan.branch, sha)
    pr = target.create_pull(base=base, head=plan.branch, title=plan.title, body=plan.body)
    pr.add_to_labels(LABEL)
    return pr.number


def _close(target: Repository, key: str, pr: PullRequest, dry_run: bool) -> PrAction:
    branch = pr.head.ref
    if not dry_run:
        pr.create_issue_comment(
            "ztdrift no longer finds this problem in a complete scan, so this pull request "
            "is closed."
        )
        pr.edit(state="closed")
        same_repo = pr.head.repo is not None and pr.head.repo.full_name == target.full_name
        if same_repo and branch.startswith(BRANCH_PREFIX):
            target.get_git_ref(f"heads/{branch}").delete()
    log.info("%s stale PR #%d (%s)", "would close" if dry_run else "closed", pr.number, key)
    return PrAction(action="closed", key=key, branch=branch, number=pr.number, dry_run=dry_run)

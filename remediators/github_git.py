"""The bot's writes to one repository: commits through the git data API, labels, reviewers.

Commits are made from blobs, trees and commits with no author or committer given, so GitHub
attributes them to the token's or App's identity and shows them as verified.
"""

from __future__ import annotations

import hashlib
import logging

from github import InputGitTreeElement
from github.GithubException import GithubException, UnknownObjectException
from github.PullRequest import PullRequest
from github.Repository import Repository

from remediators.plan import Plan

log = logging.getLogger(__name__)

LABEL_COLOUR = "5319e7"


def base_head(target: Repository, base: str) -> str:
    """The sha of the base branch's head."""
    return target.get_git_ref(f"heads/{base}").object.sha


def base_moved(target: Repository, base_sha: str, expected: dict[str, str | None]) -> list[str]:
    """Files whose text on the base differs from the checkout the plan was made from.

    Reads the base tree once and compares blob shas computed locally, so an unchanged file
    costs no request.
    """
    tree = target.get_git_tree(target.get_git_commit(base_sha).tree.sha, recursive=True)
    on_base = {item.path: item.sha for item in tree.tree if item.type == "blob"}
    moved = []
    for path, text in sorted(expected.items()):
        local = None if text is None else _blob_sha(text)
        if on_base.get(path) != local:
            moved.append(path)
    return moved


def _blob_sha(text: str) -> str:
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit(target: Repository, base_sha: str, plan: Plan) -> str:
    """A commit on top of `base_sha` writing the plan's files; returns its sha."""
    head = target.get_git_commit(base_sha)
    elements = []
    for path, content in sorted(plan.files.items()):
        blob = target.create_git_blob(content, "utf-8")
        elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob.sha))
    tree = target.create_git_tree(elements, head.tree)
    # No author or committer: GitHub attributes the commit to the token's identity.
    return target.create_git_commit(plan.title, tree, [head]).sha


def move_branch(target: Repository, branch: str, sha: str) -> None:
    """Point `branch` at `sha`, creating it when missing (the bot owns its branches)."""
    try:
        target.get_git_ref(f"heads/{branch}").edit(sha, force=True)
    except UnknownObjectException:
        target.create_git_ref(f"refs/heads/{branch}", sha)


def delete_branch(target: Repository, pr: PullRequest) -> None:
    """Delete a bot pull request's branch, only when it lives in this repository."""
    same_repo = pr.head.repo is not None and pr.head.repo.full_name == target.full_name
    if not same_repo:
        return
    try:
        target.get_git_ref(f"heads/{pr.head.ref}").delete()
    except UnknownObjectException:
        log.info("branch %s was already deleted", pr.head.ref)


class Labels:
    """The repository's labels, listed once per run; missing ones are created on first use."""

    def __init__(self, target: Repository) -> None:
        self._target = target
        self._known: set[str] | None = None
        self._planned: set[str] = set()

    def plan(self, names: tuple[str, ...]) -> list[str]:
        """The labels among `names` that do not exist yet and nobody is about to create.

        Reads only. Each missing label is reported to one caller per run, as `ensure` creates
        it once, so a dry run lists every creation exactly once.
        """
        known = self._existing() | self._planned
        missing = [n for n in dict.fromkeys(names) if n.lower() not in known]
        self._planned.update(n.lower() for n in missing)
        return missing

    def _existing(self) -> set[str]:
        if self._known is None:
            self._known = {label.name.lower() for label in self._target.get_labels()}
        return self._known

    def ensure(self, names: tuple[str, ...]) -> None:
        """Create the labels among `names` that the repository does not have."""
        known = self._existing()
        for name in names:
            if name.lower() in known:
                continue
            try:
                self._target.create_label(name, LABEL_COLOUR, "Opened by ztdrift")
            except GithubException as exc:
                # 422: another runner created it a moment ago.
                if exc.status != 422:
                    raise
            known.add(name.lower())


def review_steps(owners: tuple[str, ...]) -> list[str]:
    """What `request_review` asks of GitHub for these owners, for the action log."""
    people = [o.lstrip("@") for o in owners if "/" not in o]
    steps = [f"request review from {', '.join(owners)}"] if owners else []
    if people:
        steps.append(f"assign {', '.join(people)}")
    return steps


def request_review(pr: PullRequest, owners: tuple[str, ...]) -> None:
    """Ask the owners for review; people are also assigned (teams cannot be assignees)."""
    people = [o.lstrip("@") for o in owners if "/" not in o]
    teams = [o.split("/", 1)[1] for o in owners if "/" in o]
    if not (people or teams):
        return
    try:
        pr.create_review_request(reviewers=people, team_reviewers=teams)
    except GithubException as exc:
        # 422: someone cannot review (not a collaborator, or the PR's own author). The PR
        # stays open without them; the log says who.
        if exc.status != 422:
            raise
        log.warning("could not request review of #%d from %s", pr.number, ", ".join(owners))
    if people:
        pr.add_to_assignees(*people)

"""Open, update and close one pull request per proposal, idempotently across runs.

The bot keeps no database: a pull request belongs to a problem through its head branch
(`ztdrift/<family>/<fingerprint>`) and the hidden marker in its body (key, plan hash, run,
scopes). Each run reads that state back from GitHub and decides per proposal:

- an open pull request with the same plan hash is left alone (no request that writes);
- a changed plan gets a new commit on the same branch, built on the current base, and a new
  body; if the base changed the files the plan rewrites since the checkout it was made from,
  that is reported on the pull request once instead of forcing an outdated file over it;
- a problem gone from a complete view of its scopes has its pull request closed with a
  comment and its branch deleted;
- a pull request a person closed without merging is never reopened; a new one may be opened
  after the cool-down, linking the closed one;
- a merged fix whose problem is still in the cloud is awaiting apply until the grace period
  ends;
- new pull requests respect the open and per-run limits, worst severity first.

A proposal in a scope the scan could not see is neither opened, updated nor closed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Literal

import github
from github.GithubException import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict

from remediators import github_git, pr_marker
from remediators.github_client import DEFAULT_API, Credentials, Pacing, connect
from remediators.plan import Plan
from remediators.pr_marker import Marker
from remediators.pr_proposal import EVERY_SCOPE, Proposal
from remediators.pr_redact import redact
from scanner.errors import ZtdriftError
from scanner.findings import Severity
from scanner.redaction import RedactionSetting, wanted

log = logging.getLogger(__name__)

BRANCH_PREFIX = "ztdrift/"
LABEL = "ztdrift"

Action = Literal[
    "opened",
    "updated",
    "unchanged",
    "closed",
    "deferred",
    "awaiting-apply",
    "cooling-down",
    "skipped",
    "conflict",
    "failed",
]


class PrAction(BaseModel):
    """What sync did (or, in a dry run, would do) for one proposal or stale pull request."""

    model_config = ConfigDict(frozen=True)

    action: Action
    key: str
    branch: str
    number: int | None = None
    dry_run: bool = False
    detail: str = ""
    # Each write the action consists of (commit, pull request, label, review request,
    # comment, branch deletion), in order; a dry run lists exactly what a real run would do.
    steps: tuple[str, ...] = ()

    def describe(self) -> str:
        """For people: `would opened ztdrift/... #3: detail`, then one line per write."""
        verb = f"would {self.action}" if self.dry_run else self.action
        number = f" #{self.number}" if self.number else ""
        detail = f": {self.detail}" if self.detail else ""
        prefix = "  would " if self.dry_run else "  "
        return "\n".join(
            [f"{verb:18} {self.branch}{number}{detail}"] + [prefix + step for step in self.steps]
        )


@dataclass(frozen=True)
class BotPolicy:
    """Limits and timings for one run; None means no limit."""

    max_open: int | None = None
    max_new: int | None = None
    cooldown: timedelta = timedelta(days=14)
    grace: timedelta = timedelta(days=7)
    redaction: RedactionSetting = "off"
    run: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def read_marker(body: str | None) -> dict[str, str] | None:
    """The key and plan_hash from a bot PR body, or None if it has no valid marker."""
    marker = pr_marker.read(body)
    return None if marker is None else {"key": marker.key, "plan_hash": marker.plan_hash}


def sync_pull_requests(
    plans: list[Plan],
    *,
    repo: str,
    token: str,
    api_url: str = DEFAULT_API,
    base: str | None = None,
    dry_run: bool = False,
    close_stale: bool = False,
    seconds_between_writes: float = 1.0,
) -> list[PrAction]:
    """Make the open ztdrift PRs match `plans` with no limits: the plain form of `sync`."""
    client = connect(Credentials(token=token), repo, api_url, Pacing(seconds_between_writes))
    proposals = [Proposal(plan=p, family=p.key.split(":", 1)[0]) for p in plans]
    return sync(
        proposals, client=client, repo=repo, base=base, dry_run=dry_run, close_stale=close_stale
    )


def sync(
    proposals: Iterable[Proposal],
    *,
    client: github.Github,
    repo: str,
    base: str | None = None,
    policy: BotPolicy | None = None,
    unseen: frozenset[str] = frozenset(),
    close_stale: bool = True,
    dry_run: bool = False,
) -> list[PrAction]:
    """Make the repository's bot pull requests match `proposals`; see the module docstring.

    `unseen` holds the scopes the scan could not see (EVERY_SCOPE when any was missed).
    Raises ZtdriftError when GitHub cannot be read, before anything is written.
    """
    try:
        target = client.get_repo(repo)
        run = _Run(target, base or target.default_branch, policy or BotPolicy(), dry_run)
        run.redacted = wanted(run.policy.redaction, bool(target.private))
        open_prs = _open_bot_prs(target)
    except GithubException as exc:
        raise ZtdriftError(
            f"GitHub could not be read (HTTP {exc.status}); no pull request was opened, "
            "updated or closed",
            where=repo,
        ) from None
    return run.sync(sorted(proposals, key=lambda p: p.key), open_prs, unseen, close_stale)


def _open_bot_prs(target: Repository) -> dict[str, PullRequest]:
    """Open PRs by key: by marker, else by a ztdrift head branch.

    Only PRs from a `ztdrift/` branch of this repository count: a marker is public text that
    anyone can paste into another PR, and the bot force-moves and deletes the branches of
    the PRs it owns.
    """
    found: dict[str, PullRequest] = {}
    for pr in target.get_pulls(state="open"):
        if not _bot_branch(target, pr):
            continue
        marker = pr_marker.read(pr.body)
        key = marker.key if marker else None
        if key is None and pr.head.ref.startswith(BRANCH_PREFIX):
            key = "branch:" + pr.head.ref
        if key is not None and key not in found:
            found[key] = pr
    return found


def _bot_branch(target: Repository, pr: PullRequest) -> bool:
    """Whether the PR's head is a ztdrift branch in the target repository itself."""
    if not pr.head.ref.startswith(BRANCH_PREFIX):
        return False
    head_repo = pr.head.repo
    return head_repo is None or head_repo.full_name == target.full_name


def _find(open_prs: dict[str, PullRequest], plan: Plan) -> PullRequest | None:
    pr = open_prs.pop(plan.key, None) or open_prs.pop("branch:" + plan.branch, None)
    if pr is None:
        # A PR whose marker was edited away still owns the plan's branch.
        for key, candidate in list(open_prs.items()):
            if candidate.head.ref == plan.branch:
                pr = open_prs.pop(key)
                break
    return pr


def _hidden(scopes: Iterable[str], unseen: frozenset[str]) -> bool:
    """Whether any of `scopes` was not fully seen; no known scopes needs a complete scan."""
    scopes = list(scopes)
    if not unseen:
        return False
    return not scopes or EVERY_SCOPE in scopes or any(s in unseen for s in scopes)


@dataclass
class _Run:
    """One sync: the repository, the base branch and what has been decided so far."""

    target: Repository
    base: str
    policy: BotPolicy
    dry_run: bool
    redacted: bool = False
    actions: list[PrAction] = field(default_factory=list)
    _base_sha: str | None = None
    _labels: github_git.Labels | None = None

    def sync(
        self,
        proposals: list[Proposal],
        open_prs: dict[str, PullRequest],
        unseen: frozenset[str],
        close_stale: bool,
    ) -> list[PrAction]:
        fresh: list[Proposal] = []
        matched = 0
        for proposal in proposals:
            pr = _find(open_prs, proposal.plan)
            matched += pr is not None
            if _hidden(proposal.scopes, unseen):
                self._note("skipped", proposal, pr, "its scope was not fully scanned")
            elif pr is None:
                fresh.append(proposal)
            else:
                self._guard(proposal, partial(self._update, proposal, pr))

        still_open = matched + len(open_prs)
        hidden_tokens = frozenset(_scope_token(s) for s in unseen)
        for key, pr in sorted(open_prs.items()):
            if close_stale:
                still_open -= self._close_stale(key, pr, hidden_tokens)

        self._open_new(fresh, still_open)
        return self.actions

    # -- deciding --------------------------------------------------------------------------

    def _update(self, proposal: Proposal, pr: PullRequest) -> None:
        marker = pr_marker.read(pr.body)
        plan = proposal.plan
        same = marker is not None and marker.plan_hash == plan.plan_hash
        if same and marker is not None and marker.redacted == self.redacted:
            self._note("unchanged", proposal, pr)
            return
        if marker is not None and marker.conflict == plan.plan_hash:
            self._note("conflict", proposal, pr, "already reported; needs a fresh checkout")
            return

        moved = self._moved(proposal)
        if moved:
            self._report_conflict(proposal, pr, marker, moved)
            return
        steps = [
            _commit_step(plan, pr.head.ref, self.base),
            f"edit the title and body of #{pr.number}",
            *self._label_steps(proposal),
        ]
        if not self.dry_run:
            github_git.move_branch(
                self.target, pr.head.ref, github_git.commit(self.target, self._base(), plan)
            )
            supersedes = marker.supersedes if marker else None
            pr.edit(title=plan.title, body=self._body(proposal, supersedes))
            self._ensure_labels(proposal)
        self._note("updated", proposal, pr, "new commit and body", steps)

    def _close_stale(self, key: str, pr: PullRequest, unseen: frozenset[str]) -> int:
        """Close a bot PR whose problem is gone; 1 when it was (or would be) closed."""
        marker = pr_marker.read(pr.body)
        # Only PRs with a marker are known to be ztdrift's; branch-only matches stay open.
        if marker is None:
            return 0
        if _hidden(marker.scopes, unseen):
            self._note_key("skipped", key, pr, "problem not seen, but its scope was not scanned")
            return 0

        def close() -> None:
            if self.dry_run:
                return
            pr.create_issue_comment(
                "ztdrift no longer finds this problem in a complete scan of its scope, so "
                "this pull request is closed and its branch deleted."
            )
            body = pr_marker.stamp(pr.body or "", marker.model_copy(update={"resolved": True}))
            pr.edit(state="closed", body=body)
            github_git.delete_branch(self.target, pr)

        if self._guard_key(key, pr, close):
            steps = (
                f"comment on #{pr.number} that the problem is gone",
                f"close #{pr.number}",
                f"delete branch {pr.head.ref}",
            )
            self._note_key("closed", key, pr, "problem no longer found", steps=steps)
            return 1
        return 0

    def _open_new(self, fresh: list[Proposal], still_open: int) -> None:
        """Open what the limits allow, worst severity first; the rest waits for later runs."""
        ranked = sorted(fresh, key=lambda p: (-Severity.parse(p.plan.severity), p.key))
        opened = 0
        for proposal in ranked:
            full = self.policy.max_open is not None and still_open >= self.policy.max_open
            spent = self.policy.max_new is not None and opened >= self.policy.max_new
            if full or spent:
                why = "open limit reached" if full else "new-per-run limit reached"
                self._note("deferred", proposal, None, why)
                continue
            done = self._guard(proposal, partial(self._open_one, proposal))
            if done and self.actions[-1].action == "opened":
                opened += 1
                still_open += 1

    def _open_one(self, proposal: Proposal) -> None:
        prior = self._last_closed(proposal.plan.branch)
        supersedes = None
        if prior is not None:
            decision = self._after_closed(prior)
            if decision is not None:
                self._note(decision[0], proposal, prior, decision[1])
                return
            supersedes = prior.number

        moved = self._moved(proposal)
        if moved:
            self._note("conflict", proposal, None, "base changed " + ", ".join(moved))
            return
        plan = proposal.plan
        steps = [
            _commit_step(plan, plan.branch, self.base),
            f"open a pull request from {plan.branch} into {self.base}: {plan.title}",
            *self._label_steps(proposal),
            "add labels " + ", ".join(proposal.labels),
            *github_git.review_steps(proposal.owners),
        ]
        number = None
        if not self.dry_run:
            number = self._create(proposal, supersedes)
        detail = f"after #{supersedes}" if supersedes else ""
        self._note_key(
            "opened", proposal.key, None, detail, proposal.plan.branch, number, tuple(steps)
        )

    def _after_closed(self, prior: PullRequest) -> tuple[Action, str] | None:
        """What a closed earlier PR for the same problem means now (None: open a new one)."""
        now = self.policy.now
        marker = pr_marker.read(prior.body)
        if prior.merged_at is not None:
            if now - _aware(prior.merged_at) < self.policy.grace:
                return "awaiting-apply", "fix merged, not yet applied in the cloud"
            return None
        if marker is not None and marker.resolved:
            return None
        closed_at = _aware(prior.closed_at or now)
        if now - closed_at < self.policy.cooldown:
            return "cooling-down", "closed by a person; not reopened during the cool-down"
        return None

    def _last_closed(self, branch: str) -> PullRequest | None:
        owner = self.target.owner.login
        closed = list(self.target.get_pulls(state="closed", head=f"{owner}:{branch}"))
        closed.sort(key=lambda pr: _aware(pr.closed_at or pr.created_at))
        return closed[-1] if closed else None

    # -- writing ---------------------------------------------------------------------------

    def _create(self, proposal: Proposal, supersedes: int | None) -> int:
        plan = proposal.plan
        sha = github_git.commit(self.target, self._base(), plan)
        github_git.move_branch(self.target, plan.branch, sha)
        pr = self.target.create_pull(
            base=self.base,
            head=plan.branch,
            title=plan.title,
            body=self._body(proposal, supersedes),
        )
        self._ensure_labels(proposal)
        pr.add_to_labels(*proposal.labels)
        github_git.request_review(pr, proposal.owners)
        return pr.number

    def _report_conflict(
        self, proposal: Proposal, pr: PullRequest, marker: Marker | None, moved: list[str]
    ) -> None:
        steps = [f"comment on #{pr.number} that the base changed", f"mark #{pr.number}'s marker"]
        if not self.dry_run:
            pr.create_issue_comment(
                "The base branch changed "
                + ", ".join(f"`{path}`" for path in moved)
                + " since the checkout this plan was made from. ztdrift does not force an "
                "outdated file over it; the next run from a fresh checkout regenerates the plan."
            )
            base = marker or Marker(key=proposal.key)
            updated = base.model_copy(update={"conflict": proposal.plan.plan_hash})
            pr.edit(body=pr_marker.stamp(pr.body or "", updated))
        self._note("conflict", proposal, pr, "base changed " + ", ".join(moved), steps)

    def _body(self, proposal: Proposal, supersedes: int | None) -> str:
        plan = proposal.plan
        body = redact(plan.body) if self.redacted else plan.body
        if supersedes is not None:
            body = body.rstrip("\n") + (
                f"\n\nAn earlier pull request for this problem, #{supersedes}, was closed "
                "without merging; the problem is still there.\n"
            )
        marker = Marker(
            key=plan.key,
            plan_hash=plan.plan_hash,
            run=self.policy.run,
            scopes=[_scope_token(s) for s in proposal.scopes],
            redacted=self.redacted,
            supersedes=supersedes,
        )
        return pr_marker.stamp(body, marker)

    def _ensure_labels(self, proposal: Proposal) -> None:
        self._label_book().ensure(proposal.labels)

    def _label_steps(self, proposal: Proposal) -> list[str]:
        """The labels this proposal needs created (read only; each is listed once a run)."""
        return [f"create label {name}" for name in self._label_book().plan(proposal.labels)]

    def _label_book(self) -> github_git.Labels:
        if self._labels is None:
            self._labels = github_git.Labels(self.target)
        return self._labels

    def _base(self) -> str:
        if self._base_sha is None:
            self._base_sha = github_git.base_head(self.target, self.base)
        return self._base_sha

    def _moved(self, proposal: Proposal) -> list[str]:
        if not proposal.base_files:
            return []
        return github_git.base_moved(self.target, self._base(), dict(proposal.base_files))

    # -- bookkeeping -----------------------------------------------------------------------

    def _guard(self, proposal: Proposal, step: Callable[[], None]) -> bool:
        return self._guard_key(proposal.key, None, step, proposal.plan.branch)

    def _guard_key(
        self, key: str, pr: PullRequest | None, step: Callable[[], None], branch: str | None = None
    ) -> bool:
        """Run one proposal's step; a GitHub error fails that step only, and is reported."""
        try:
            step()
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            self._note_key(
                "failed", key, pr, f"GitHub answered {exc.status} {message or ''}".strip(), branch
            )
            log.warning("GitHub call failed for %s: %s", key, exc.status)
            return False
        return True

    def _note(
        self,
        action: Action,
        proposal: Proposal,
        pr: PullRequest | None,
        detail: str = "",
        steps: list[str] | None = None,
    ) -> None:
        self._note_key(
            action, proposal.key, pr, detail, proposal.plan.branch, steps=tuple(steps or ())
        )

    def _note_key(
        self,
        action: Action,
        key: str,
        pr: PullRequest | None,
        detail: str = "",
        branch: str | None = None,
        number: int | None = None,
        steps: tuple[str, ...] = (),
    ) -> None:
        entry = PrAction(
            action=action,
            key=key,
            branch=pr.head.ref if pr is not None else branch or "",
            number=pr.number if pr is not None else number,
            dry_run=self.dry_run,
            detail=detail,
            steps=steps,
        )
        log.info("%s", entry.describe())
        self.actions.append(entry)


def _commit_step(plan: Plan, branch: str, base: str) -> str:
    return f"commit {', '.join(sorted(plan.files))} on top of {base} to branch {branch}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scope_token(scope: str) -> str:
    """A scope as the marker stores it: hashed, since a public body must not show account ids."""
    if scope == EVERY_SCOPE:
        return scope
    return hashlib.sha256(scope.encode()).hexdigest()[:12]

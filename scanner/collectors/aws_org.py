"""Collect every account of an AWS organization: discover, select, assume a role, collect.

The caller's credentials (the management account or a delegated administrator) list the
organization's accounts; ztdrift then assumes the configured read-only role in each selected
account and runs the single-account collector with those credentials. Accounts run on a
bounded pool, each with its own bounded pool of regions and buckets. An account whose role
cannot be assumed, or whose identity cannot be read, becomes one collection gap covering that
whole account ("*"), and every other account is still collected.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import boto3

from scanner.collectors.aws_errors import COLLECTION_FAILURES, gap_for
from scanner.collectors.aws_live import collect_aws
from scanner.collectors.aws_requests import RequestCounter
from scanner.errors import ZtdriftError
from scanner.merge import merge
from scanner.model import Scope, Snapshot
from scanner.shard import Shard
from scanner.timeutil import utcnow

log = logging.getLogger(__name__)

SESSION_NAME = "ztdrift-scan"


@dataclass(frozen=True)
class Account:
    """A member account as Organizations lists it."""

    id: str
    name: str
    status: str


@dataclass(frozen=True)
class OrgSelection:
    """Which accounts to scan and how to enter them.

    `include` and `exclude` hold account ids or names, with shell globs ('prod-*'); an empty
    include list means every active account. Exclude wins over include.
    """

    role: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    external_id: str | None = None
    max_accounts_in_parallel: int = 4
    shard: Shard | None = None


@dataclass
class OrgProgress:
    """Counters for the terminal while an organization is collected; safe across threads."""

    accounts_total: int = 0
    accounts_done: int = 0
    regions_done: int = 0
    errors: int = 0
    requests: RequestCounter = field(default_factory=RequestCounter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, *, account: bool = False, region: bool = False, errors: int = 0) -> None:
        """Count one finished account or region, and errors (collection gaps)."""
        with self._lock:
            self.accounts_done += int(account)
            self.regions_done += int(region)
            self.errors += errors

    def line(self) -> str:
        """One line for a status display."""
        return (
            f"accounts {self.accounts_done}/{self.accounts_total} · regions {self.regions_done}"
            f" · requests {self.requests.total} · errors {self.errors}"
        )


def list_accounts(organizations: Any) -> list[Account]:
    """Every account of the organization, paged; raises ZtdriftError when it cannot be read."""
    try:
        pages = organizations.get_paginator("list_accounts").paginate()
        found = [
            Account(id=item["Id"], name=item.get("Name", ""), status=item.get("Status", ""))
            for page in pages
            for item in page.get("Accounts", [])
        ]
    except COLLECTION_FAILURES as exc:
        raise ZtdriftError(
            f"cannot list the organization's accounts: {exc}",
            where="aws organizations ListAccounts",
            hint="run from the management account or a delegated administrator",
        ) from exc
    return sorted(found, key=lambda account: account.id)


def select_accounts(accounts: Sequence[Account], selection: OrgSelection) -> list[Account]:
    """Active accounts that match the include list, miss the exclude list, and are in the shard."""
    chosen = []
    for account in accounts:
        if account.status and account.status != "ACTIVE":
            log.info("skipping account %s (%s): %s", account.id, account.name, account.status)
            continue
        if selection.include and not _matches(account, selection.include):
            continue
        if _matches(account, selection.exclude):
            continue
        if selection.shard is not None and not selection.shard.holds(account.id):
            continue
        chosen.append(account)
    return chosen


def _matches(account: Account, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(account.id, pattern) or fnmatch.fnmatchcase(account.name, pattern)
        for pattern in patterns
    )


def role_arn(account_id: str, role: str) -> str:
    """The role to assume: a full ARN as given, or a role name in the member account."""
    if role.startswith("arn:"):
        return role.replace("{account}", account_id)
    return f"arn:aws:iam::{account_id}:role/{role}"


def assume(session: boto3.Session, account_id: str, selection: OrgSelection) -> boto3.Session:
    """A session with the role's temporary credentials in the member account."""
    arguments: dict[str, Any] = {
        "RoleArn": role_arn(account_id, selection.role),
        "RoleSessionName": SESSION_NAME,
    }
    if selection.external_id:
        arguments["ExternalId"] = selection.external_id
    answer = session.client("sts").assume_role(**arguments)
    credentials = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def collect_organization(
    session: boto3.Session,
    selection: OrgSelection,
    *,
    regions: Sequence[str] | None = None,
    progress: OrgProgress | None = None,
    on_progress: Callable[[OrgProgress], None] | None = None,
    prepare_session: Callable[[boto3.Session], None] | None = None,
) -> Snapshot:
    """Collect every selected account into one snapshot; failures become per-account gaps.

    `prepare_session` is applied to each member account's session before use (event hooks).
    """
    taken_at = utcnow()
    tracker = progress or OrgProgress()
    tracker.requests.attach(session)

    accounts = select_accounts(list_accounts(session.client("organizations")), selection)
    tracker.accounts_total = len(accounts)
    log.info("collecting %d account(s) of the organization", len(accounts))
    if not accounts:
        raise ZtdriftError(
            "no account of the organization matches the include, exclude and shard settings",
            where="organization",
        )

    def one(account: Account) -> Snapshot:
        return _collect_account(
            session, account, selection, regions, tracker, on_progress, prepare_session
        )

    workers = min(selection.max_accounts_in_parallel, len(accounts))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ztdrift-org") as pool:
        futures = [pool.submit(one, account) for account in accounts]
        snapshots = [future.result() for future in as_completed(futures)]

    ordered = sorted(snapshots, key=lambda s: s.scopes[0].account if s.scopes else "")
    return merge(ordered, taken_at=taken_at)


def _collect_account(
    session: boto3.Session,
    account: Account,
    selection: OrgSelection,
    regions: Sequence[str] | None,
    tracker: OrgProgress,
    on_progress: Callable[[OrgProgress], None] | None,
    prepare_session: Callable[[boto3.Session], None] | None = None,
) -> Snapshot:
    """One account; any failure to enter or identify it is a gap for the whole account."""

    def region_done(label: str) -> None:
        if label.startswith("ec2 "):
            tracker.step(region=True)
        if on_progress is not None:
            on_progress(tracker)

    try:
        member = assume(session, account.id, selection)
        if prepare_session is not None:
            prepare_session(member)
        tracker.requests.attach(member)
        snapshot = collect_aws(member, regions=regions, progress=region_done, max_workers=4)
    except COLLECTION_FAILURES as exc:
        log.warning("account %s (%s) not collected: %s", account.id, account.name, exc)
        tracker.step(account=True, errors=1)
        if on_progress is not None:
            on_progress(tracker)
        return _unreachable(account, exc, regions)

    tracker.step(account=True, errors=len(snapshot.gaps))
    if on_progress is not None:
        on_progress(tracker)
    return snapshot


# Member scopes carry no `parents` (organization, OUs): collecting them would cost a
# ListParents walk per account, and no rule reads them for AWS yet.


def _unreachable(account: Account, exc: BaseException, regions: Sequence[str] | None) -> Snapshot:
    """A snapshot that says the whole account was not seen, so nothing in it is resolved."""
    gap = gap_for(exc, account=account.id, service="*", subject=f"assume role in {account.name}")
    return Snapshot(
        taken_at=utcnow(),
        scopes=(Scope(provider="aws", account=account.id, regions=tuple(sorted(regions or ()))),),
        gaps=(gap,),
    )

"""AWS Organizations: discovery, selection, a role per account, and one failing account.

moto's server plays Organizations and STS (AssumeRole hands out credentials that moto ties to
the member account); a loopback proxy in front of it denies AssumeRole into one account.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from scanner.collectors.aws_org import (
    Account,
    OrgProgress,
    OrgSelection,
    collect_organization,
    role_arn,
    select_accounts,
)
from scanner.demo.estate import route_s3control_to_loopback
from scanner.errors import ZtdriftError
from scanner.shard import Shard
from tests.conftest import moto_session
from tests.test_aws_live_faults import QUERY_ERROR, FaultProxy

ROLE = "ztdrift-read"


@pytest.fixture
def organization(
    aws_session: boto3.Session, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """An organization with three member accounts; each named account gets one IAM user."""
    # The in-process moto server builds each new account's IAM lazily; without AWS's managed
    # policies that takes milliseconds instead of seconds per account.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    org = aws_session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    accounts = {}
    for name in ("prod-web", "prod-data", "sandbox"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        accounts[name] = status["CreateAccountStatus"]["AccountId"]

    for name, account_id in accounts.items():
        member = _member(aws_session, account_id)
        member.client("iam").create_user(UserName=f"{name}-ci")
    yield accounts

    # Resetting several accounts' backends takes moto longer than the shared fixture waits;
    # do it here, so the next test starts clean and on time.
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=300) as answer:
        answer.read()


def _member(session: boto3.Session, account_id: str) -> boto3.Session:
    answer = session.client("sts").assume_role(
        RoleArn=role_arn(account_id, ROLE), RoleSessionName="seed"
    )
    creds = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture
def deny_assume_into(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Account ids listed here get AccessDenied from AssumeRole; STS goes through the proxy."""
    denied: list[str] = []

    def decide(line: str, region: str, body: bytes) -> tuple[int, str] | None:
        if b"Action=AssumeRole" in body and any(a.encode() in body for a in denied):
            return 403, QUERY_ERROR.format(code="AccessDenied")
        return None

    proxy = FaultProxy(moto_endpoint, decide)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
    yield denied
    proxy.shutdown()
    proxy.server_close()


def test_every_member_account_is_collected_with_its_own_principals(
    organization: dict[str, str], deny_assume_into: list[str]
) -> None:
    progress = OrgProgress()
    snapshot = collect_organization(
        moto_session(),
        OrgSelection(role=ROLE, include=("prod-*",)),
        regions=["us-east-1"],
        progress=progress,
        prepare_session=route_s3control_to_loopback,
    )

    prod = {organization["prod-web"], organization["prod-data"]}
    assert {scope.account for scope in snapshot.scopes} == prod
    users = {(p.account, p.name) for p in snapshot.principals if p.kind == "user"}
    assert (organization["prod-web"], "prod-web-ci") in users
    assert (organization["prod-data"], "prod-data-ci") in users
    assert not any(name == "sandbox-ci" for _, name in users)
    # moto keeps the organization in the management account's backend, so a member account's
    # own Organizations lookups (its parents, for policies) fail there; nothing else may.
    assert {g.service for g in snapshot.gaps} <= {"organizations"}
    assert (progress.accounts_done, progress.accounts_total) == (2, 2)
    assert progress.errors == len(snapshot.gaps)
    assert progress.regions_done == 2 and progress.requests.total > 10


def test_a_failing_account_marks_only_itself_incomplete(
    organization: dict[str, str], deny_assume_into: list[str]
) -> None:
    deny_assume_into.append(organization["prod-data"])
    progress = OrgProgress()

    snapshot = collect_organization(
        moto_session(),
        OrgSelection(role=ROLE, exclude=("sandbox",), max_accounts_in_parallel=2),
        regions=["us-east-1"],
        progress=progress,
        prepare_session=route_s3control_to_loopback,
    )

    whole_account = [g for g in snapshot.gaps if g.service != "organizations"]
    assert [(g.account, g.service, g.code) for g in whole_account] == [
        (organization["prod-data"], "*", "access-denied")
    ]
    collected = {p.account for p in snapshot.principals}
    assert organization["prod-web"] in collected
    assert organization["prod-data"] not in collected
    assert organization["prod-data"] in {scope.account for scope in snapshot.scopes}
    assert progress.errors == len(snapshot.gaps)


def test_the_shards_of_an_organization_cover_it_exactly_once(
    organization: dict[str, str], deny_assume_into: list[str]
) -> None:
    seen: list[str] = []
    for index in (1, 2):
        try:
            snapshot = collect_organization(
                moto_session(),
                OrgSelection(role=ROLE, shard=Shard(index, 2)),
                regions=["us-east-1"],
                prepare_session=route_s3control_to_loopback,
            )
        except ZtdriftError:
            continue  # an empty shard is possible with four accounts
        seen += [scope.account for scope in snapshot.scopes]

    assert sorted(seen) == sorted([*organization.values(), "123456789012"])


def test_selection_by_id_or_name_glob_skips_suspended_and_excluded() -> None:
    accounts = [
        Account("111111111111", "prod-web", "ACTIVE"),
        Account("222222222222", "prod-old", "SUSPENDED"),
        Account("333333333333", "prod-data", "ACTIVE"),
        Account("444444444444", "dev", "ACTIVE"),
    ]
    selection = OrgSelection(role=ROLE, include=("prod-*", "4444*"), exclude=("333333333333",))

    assert [a.name for a in select_accounts(accounts, selection)] == ["prod-web", "dev"]


def test_role_arn_takes_a_name_or_a_template() -> None:
    assert role_arn("111111111111", "audit") == "arn:aws:iam::111111111111:role/audit"
    template = "arn:aws:iam::{account}:role/path/audit"
    assert role_arn("111111111111", template) == "arn:aws:iam::111111111111:role/path/audit"


def test_an_empty_selection_is_a_clear_error(aws_session: boto3.Session) -> None:
    # No organization exists, so moto lists no account and nothing can be selected.
    with pytest.raises(ZtdriftError, match="no account of the organization matches"):
        collect_organization(aws_session, OrgSelection(role=ROLE), regions=["us-east-1"])

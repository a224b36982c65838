"""The live AWS collector against a loopback moto server seeded with a small estate.

Seeding and collecting take seconds (moto serves some 1,500 AWS managed policies), so one
collection of the estate is shared by the tests that only read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest

from scanner.collectors.aws_live import collect_aws
from scanner.collectors.aws_network import group_arn
from scanner.collectors.aws_requests import RequestCounter
from scanner.demo.estate import ACCOUNT, ADMIN_POLICY, seed_estate
from scanner.model import Snapshot
from tests.conftest import moto_session, reset_moto

USER = f"arn:aws:iam::{ACCOUNT}:user/"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy-admin"
GROUP = f"arn:aws:iam::{ACCOUNT}:group/platform-admins"
REGIONS = ("eu-west-1", "us-east-1")


@dataclass
class Scan:
    session: boto3.Session
    ids: dict[str, str]
    snapshot: Snapshot
    requests: dict[str, int]


@pytest.fixture(scope="module")
def scan(moto_endpoint: str) -> Scan:
    reset_moto(moto_endpoint)
    session = moto_session()
    ids = seed_estate(session)
    session.client("s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={"IgnorePublicAcls": True}
    )
    counter = RequestCounter()
    counter.attach(session)

    snapshot = collect_aws(session, regions=REGIONS)
    return Scan(session, ids, snapshot, counter.by_operation())


def test_scope_names_the_account_and_regions(scan: Scan) -> None:
    assert [(s.account, s.regions) for s in scan.snapshot.scopes] == [(ACCOUNT, REGIONS)]
    assert scan.snapshot.gaps == ()


def test_principals_and_group_membership(scan: Scan) -> None:
    principals = {p.id: p for p in scan.snapshot.principals}

    for name in ("ci-deployer", "alice", "auditor", "old-key"):
        assert principals[USER + name].kind == "user"
    assert principals[ROLE].kind == "role"
    assert principals[GROUP].kind == "group"
    assert principals[USER + "alice"].groups == (GROUP,)


def test_grants_policies_and_trust(scan: Scan) -> None:
    grants = {(g.principal, g.policy, g.kind) for g in scan.snapshot.grants}
    inline = f"{USER}ci-deployer#inline/assume-deploy-admin"

    assert (ROLE, ADMIN_POLICY, "attached") in grants
    assert (GROUP, ADMIN_POLICY, "attached") in grants
    assert (USER + "ci-deployer", inline, "inline") in grants

    policies = {p.id: p for p in scan.snapshot.policies}
    assert policies[ADMIN_POLICY].managed_by == "provider"
    assert policies[ADMIN_POLICY].name == "AdministratorAccess"
    assert policies[inline].document["Statement"][0]["Resource"] == ROLE
    assert all(p.account == ACCOUNT for p in scan.snapshot.policies)

    trusts = {(t.role, t.trustee, t.trustee_kind) for t in scan.snapshot.trusts}
    assert (ROLE, USER + "ci-deployer", "aws") in trusts


def test_access_keys_from_the_credential_report(scan: Scan) -> None:
    keys = {c.id: c for c in scan.snapshot.credentials}

    assert keys[f"{USER}ci-deployer#access-key-1"].active is True
    assert keys[f"{USER}old-key#access-key-1"].active is False
    assert keys[f"{USER}old-key#access-key-1"].last_rotated is not None
    # Users without keys get no credential: an empty slot is not an inactive key.
    owners = {c.owner for c in scan.snapshot.credentials}
    assert USER + "auditor" not in owners and USER + "alice" not in owners


def test_security_groups_rules_and_attachments(scan: Scan) -> None:
    app = group_arn("us-east-1", ACCOUNT, scan.ids["app_egress"])
    db = group_arn("us-east-1", ACCOUNT, scan.ids["db_internal"])
    groups = {g.id: g for g in scan.snapshot.network_groups}

    assert groups[app].name == "app-egress"
    assert groups[app].network == scan.ids["vpc"]
    assert groups[app].attachments == 1
    assert groups[db].attachments == 0
    assert {g.region for g in scan.snapshot.network_groups} == set(REGIONS)

    rules = {
        (r.group, r.direction, r.protocol, r.from_port, r.to_port, r.peer, r.peer_kind)
        for r in scan.snapshot.network_rules
        if r.group in (app, db)
    }
    assert rules == {
        (app, "egress", "-1", None, None, "0.0.0.0/0", "cidr4"),
        (db, "egress", "tcp", 5432, 5432, "10.0.0.0/8", "cidr4"),
        (db, "ingress", "tcp", 5432, 5432, app, "group"),
    }


def test_buckets_policy_and_public_access_block(scan: Scan) -> None:
    stores = {d.name: d for d in scan.snapshot.data_stores}
    public, logs = stores["acme-public-assets"], stores["acme-logs"]

    assert (public.id, public.kind, public.region) == (
        "arn:aws:s3:::acme-public-assets",
        "s3-bucket",
        "us-east-1",
    )
    assert public.policy is not None
    assert public.policy["Statement"][0]["Principal"] == "*"
    assert public.policy_is_public is True
    assert public.public_access_block is None

    assert logs.policy is None and logs.policy_is_public is None
    assert logs.public_access_block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert all(g["grantee_type"] == "CanonicalUser" for g in logs.acl_grants)


def test_account_public_access_block_is_on_every_bucket(scan: Scan) -> None:
    blocks = [d.account_public_access_block for d in scan.snapshot.data_stores]

    assert blocks and all(b is not None and b["IgnorePublicAcls"] for b in blocks)


def test_iam_is_read_with_account_wide_calls_only(scan: Scan) -> None:
    counts = scan.requests
    buckets = len(scan.snapshot.data_stores)

    assert {k for k in counts if k.startswith("iam.")} == {
        "iam.GetAccountAuthorizationDetails",
        "iam.GenerateCredentialReport",
        "iam.GetCredentialReport",
    }
    assert counts["iam.GetAccountAuthorizationDetails"] == 1
    assert counts["ec2.DescribeSecurityGroups"] == len(REGIONS)
    assert counts["ec2.DescribeNetworkInterfaces"] == len(REGIONS)
    for operation in ("GetBucketLocation", "GetBucketPolicy", "GetBucketAcl"):
        assert counts[f"s3.{operation}"] == buckets
    # sts, two report polls and a fetch, ListBuckets, the account's Block Public Access, the
    # organization (DescribeOrganization, which ends it outside an organization); two calls
    # per region; five per bucket.
    assert counts["organizations.DescribeOrganization"] == 1
    assert sum(counts.values()) <= 1 + 3 + 1 + 1 + 1 + 1 + 2 * len(REGIONS) + 5 * buckets


def test_two_scans_of_one_estate_are_identical(scan: Scan) -> None:
    again = collect_aws(scan.session, regions=REGIONS)

    assert again.model_dump(exclude={"taken_at"}) == scan.snapshot.model_dump(exclude={"taken_at"})


def test_regions_default_to_the_enabled_ones(scan: Scan) -> None:
    messages: list[str] = []

    snapshot = collect_aws(scan.session, progress=messages.append)

    regions = snapshot.scopes[0].regions
    assert "us-east-1" in regions and len(regions) > 2
    assert regions == tuple(sorted(regions))
    assert {"iam done", "ec2 us-east-1 done", "s3 acme-logs done"} <= set(messages)

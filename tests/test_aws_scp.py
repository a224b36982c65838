"""Service control policies read from a real Organizations API (moto's server)."""

from __future__ import annotations

import json

import boto3

from scanner.collectors.aws_clients import AwsClients
from scanner.collectors.aws_scp import fetch_scps


def _organization(session: boto3.Session) -> tuple[str, str]:
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]
    member = org.create_account(Email="member@example.com", AccountName="member")
    account = member["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou["Id"])
    deny_iam = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
    }
    policy = org.create_policy(
        Content=json.dumps(deny_iam),
        Description="no IAM",
        Name="deny-iam",
        Type="SERVICE_CONTROL_POLICY",
    )
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=ou["Id"])
    return account, ou["Id"]


def test_member_account_scps_are_read_per_level(aws_session: boto3.Session) -> None:
    account, ou = _organization(aws_session)
    clients = AwsClients(aws_session, pool_size=2, max_attempts=2)

    policies, grants = fetch_scps(clients, account)

    by_level = {g.scope: g.policy for g in grants}
    names = {p.id: p.name for p in policies}
    assert [names[by_level[level]] for level in sorted(by_level) if level.endswith(ou)] == [
        "deny-iam"
    ]
    assert all(g.principal == f"arn:aws:iam::{account}:root" and g.kind == "scp" for g in grants)
    # The root level carries the default FullAWSAccess policy.
    assert any(level.startswith("0:r-") for level in by_level)


def test_management_account_is_not_bound_by_scps(aws_session: boto3.Session) -> None:
    _organization(aws_session)
    management = aws_session.client("sts").get_caller_identity()["Account"]
    clients = AwsClients(aws_session, pool_size=2, max_attempts=2)

    assert fetch_scps(clients, management) == ([], [])


def test_no_organization_means_no_scps_and_no_gap(aws_session: boto3.Session) -> None:
    clients = AwsClients(aws_session, pool_size=2, max_attempts=2)

    assert fetch_scps(clients, "123456789012") == ([], [])

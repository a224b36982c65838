"""Seed a small, realistic AWS estate into a moto server, for the demo and the tests.

Plain boto3 and no pytest, so the demo can reuse it. Account 123456789012 is moto's default.
The estate holds the classic drift cases: a CI user that can assume an admin role, an admin
group, a stale inactive key, an egress-anywhere security group, and a public bucket.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3

ACCOUNT = "123456789012"
REGION = "us-east-1"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def route_s3control_to_loopback(session: boto3.Session) -> None:
    """Send S3 Control requests to the plain endpoint instead of '<account>.<host>'.

    Real S3 Control puts the account id in the host name; moto on 127.0.0.1 cannot answer
    there, so for moto only the prefix is removed before the request is signed.
    """
    session.events.register("before-sign.s3-control", _strip_account_prefix)


def _strip_account_prefix(request: Any, **_: Any) -> None:
    parts = urlsplit(request.url)
    prefix, _, rest = parts.netloc.partition(".")
    if prefix.isdigit() and len(prefix) == 12 and rest:
        request.url = urlunsplit(parts._replace(netloc=rest))


def seed_estate(session_or_endpoint: boto3.Session | str) -> dict[str, str]:
    """Create the estate and return the ids tests need (account, VPC, security groups)."""
    clients = _clients_for(session_or_endpoint)
    _seed_iam(clients)
    ids = _seed_network(clients)
    _seed_buckets(clients)
    return {"account": ACCOUNT, **ids}


def _clients_for(session_or_endpoint: boto3.Session | str) -> _Clients:
    """Clients that reach moto; an endpoint string is given to every client explicitly."""
    if isinstance(session_or_endpoint, boto3.Session):
        route_s3control_to_loopback(session_or_endpoint)
        return _Clients(session_or_endpoint, None)
    session = boto3.Session(region_name=REGION)
    route_s3control_to_loopback(session)
    return _Clients(session, session_or_endpoint)


class _Clients:
    """Builds clients with an optional explicit endpoint."""

    def __init__(self, session: boto3.Session, endpoint: str | None) -> None:
        self.session = session
        self.endpoint = endpoint

    def client(self, service: str, region: str = REGION) -> Any:
        extra = {"endpoint_url": self.endpoint} if self.endpoint else {}
        client = self.session.client
        return client(service, region_name=region, **extra)  # type: ignore[call-overload]


def _seed_iam(clients: _Clients) -> None:
    iam = clients.client("iam")

    iam.create_user(UserName="ci-deployer")
    iam.create_access_key(UserName="ci-deployer")
    iam.put_user_policy(
        UserName="ci-deployer",
        PolicyName="assume-deploy-admin",
        PolicyDocument=_document(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": _role_arn("deploy-admin")}
        ),
    )

    iam.create_role(
        RoleName="deploy-admin",
        AssumeRolePolicyDocument=_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ci-deployer"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    iam.attach_role_policy(RoleName="deploy-admin", PolicyArn=ADMIN_POLICY)

    iam.create_group(GroupName="platform-admins")
    iam.attach_group_policy(GroupName="platform-admins", PolicyArn=ADMIN_POLICY)
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="platform-admins", UserName="alice")

    audit = iam.create_policy(
        PolicyName="security-audit-read-only",
        PolicyDocument=_document(
            {
                "Effect": "Allow",
                "Action": ["iam:Get*", "iam:List*", "ec2:Describe*", "s3:GetBucket*"],
                "Resource": "*",
            }
        ),
    )
    iam.create_user(UserName="auditor")
    iam.attach_user_policy(UserName="auditor", PolicyArn=audit["Policy"]["Arn"])

    iam.create_user(UserName="old-key")
    key = iam.create_access_key(UserName="old-key")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="old-key", AccessKeyId=key, Status="Inactive")


def _seed_network(clients: _Clients) -> dict[str, str]:
    ec2 = clients.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]

    # A new security group allows all egress to 0.0.0.0/0 by default; app-egress keeps that.
    app = ec2.create_security_group(GroupName="app-egress", Description="app", VpcId=vpc)
    app_id = app["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[app_id])
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]

    db = ec2.create_security_group(GroupName="db-internal", Description="db", VpcId=vpc)
    db_id = db["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=db_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.authorize_security_group_egress(GroupId=db_id, IpPermissions=[_postgres("10.0.0.0/8")])
    ec2.authorize_security_group_ingress(
        GroupId=db_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": app_id, "UserId": ACCOUNT}],
            }
        ],
    )
    return {"vpc": vpc, "app_egress": app_id, "db_internal": db_id, "interface": eni_id}


def _postgres(cidr: str) -> Any:
    return {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": cidr}]}


def _seed_buckets(clients: _Clients) -> None:
    s3 = clients.client("s3")

    s3.create_bucket(Bucket="acme-public-assets")
    public_read = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-public-assets/*",
    }
    s3.put_bucket_policy(Bucket="acme-public-assets", Policy=_document(public_read))

    s3.create_bucket(Bucket="acme-logs")
    s3.put_public_access_block(
        Bucket="acme-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def change_estate(session: boto3.Session) -> None:
    """Drift, as it happens: a contractor gets an admin grant and a key; the bucket is closed."""
    clients = _clients_for(session)
    iam = clients.client("iam")
    iam.create_user(UserName="contractor")
    iam.attach_user_policy(UserName="contractor", PolicyArn=ADMIN_POLICY)
    iam.create_access_key(UserName="contractor")

    clients.client("s3").put_public_access_block(
        Bucket="acme-public-assets",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )

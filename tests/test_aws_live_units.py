"""The pure parts of the live AWS collector, from canned answers: no server needed."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from scanner.collectors.aws_errors import classify
from scanner.collectors.aws_iam import credentials_from_report
from scanner.collectors.aws_network import groups_from

ACCOUNT = "123456789012"
HEADER = (
    "user,arn,user_creation_time,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date\n"
)


def client_error(code: str, status: int = 400) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Operation")  # type: ignore[arg-type]


def test_report_root_row_gives_root_principal_and_root_key() -> None:
    report = HEADER + (
        "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,"
        "true,2021-01-01T00:00:00+00:00,2024-05-01T00:00:00+00:00,false,N/A,N/A\n"
    )

    credentials, principals = credentials_from_report(report.encode(), ACCOUNT)

    assert [(p.id, p.kind) for p in principals] == [(f"arn:aws:iam::{ACCOUNT}:root", "root")]
    assert [(c.id, c.kind, c.active) for c in credentials] == [
        (f"arn:aws:iam::{ACCOUNT}:root#access-key-1", "root-access-key", True)
    ]
    assert credentials[0].last_used is not None and credentials[0].created is None


def test_report_inactive_key_is_kept_and_empty_slot_is_not() -> None:
    report = HEADER + (
        "bob,arn:aws:iam::123456789012:user/bob,2020-01-01T00:00:00+00:00,"
        "false,2021-01-01T00:00:00+00:00,N/A,false,N/A,N/A\n"
    )

    credentials, principals = credentials_from_report(report.encode(), ACCOUNT)

    assert principals == []
    assert [(c.id, c.active, c.last_used) for c in credentials] == [
        (f"arn:aws:iam::{ACCOUNT}:user/bob#access-key-1", False, None)
    ]


def test_rules_one_per_peer_with_ports_for_all_and_icmp() -> None:
    group = {
        "GroupId": "sg-1",
        "GroupName": "web",
        "VpcId": "vpc-1",
        "Tags": [{"Key": "team", "Value": "web"}],
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "public"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                "PrefixListIds": [{"PrefixListId": "pl-1"}],
                "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "210987654321"}],
            },
            {
                "IpProtocol": "icmp",
                "FromPort": -1,
                "ToPort": -1,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            },
        ],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }

    groups, rules = groups_from([group], region="eu-west-1", account=ACCOUNT, attachments=None)

    assert groups[0].attachments is None and groups[0].tags == {"team": "web"}
    seen = {(r.direction, r.protocol, r.from_port, r.to_port, r.peer_kind, r.peer) for r in rules}
    assert seen == {
        ("ingress", "tcp", 443, 443, "cidr4", "0.0.0.0/0"),
        ("ingress", "tcp", 443, 443, "cidr6", "::/0"),
        ("ingress", "tcp", 443, 443, "prefix-list", "pl-1"),
        (
            "ingress",
            "tcp",
            443,
            443,
            "group",
            "arn:aws:ec2:eu-west-1:210987654321:security-group/sg-2",
        ),
        ("ingress", "icmp", None, None, "cidr4", "10.0.0.0/8"),
        ("egress", "-1", None, None, "cidr4", "0.0.0.0/0"),
    }


def test_errors_are_sorted_into_short_codes() -> None:
    assert classify(client_error("AccessDenied", 403)) == "access-denied"
    assert classify(client_error("UnauthorizedOperation", 403)) == "access-denied"
    assert classify(client_error("RequestLimitExceeded", 503)) == "throttled"
    assert classify(client_error("Throttling")) == "throttled"
    assert classify(client_error("OptInRequired", 403)) == "not-enabled"
    assert classify(client_error("InternalError", 500)) == "error"
    assert classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:1")) == "unreachable"
    assert classify(ValueError("bug")) == "error"

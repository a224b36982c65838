"""long-lived-key, open-egress and public-data, each with positive and negative cases."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.model import Credential, DataStore, NetworkGroup, NetworkRule
from tests.builders import ACCOUNT, ADMIN_ARN, Estate, by_resource

SG = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0123"
BUCKET = "arn:aws:s3:::acme-data"


# --- long-lived-key ---------------------------------------------------------------------


def test_active_key_is_a_finding_and_inactive_is_not() -> None:
    estate = Estate()
    ci = estate.user("ci")
    active = estate.key(ci, slot=1)
    estate.key(ci, slot=2, active=False)

    found = by_resource(estate.findings("long-lived-key"))

    assert set(found) == {active}
    assert found[active].severity == "medium"
    assert found[active].principal == ci


def test_old_key_is_more_severe_past_the_configured_age() -> None:
    estate = Estate()
    key = estate.key(estate.user("ci"), age_days=120)

    assert by_resource(estate.findings("long-lived-key"))[key].severity == "high"
    assert by_resource(estate.findings("long-lived-key", max_key_age_days=180))[key].severity == (
        "medium"
    )


def test_key_unused_for_long_is_more_severe() -> None:
    estate = Estate()
    key = estate.key(estate.user("ci"), age_days=30, used_days_ago=None)
    idle = estate.key(estate.user("idle"), age_days=30, used_days_ago=100)

    found = by_resource(estate.findings("long-lived-key", unused_key_days=20))

    assert found[key].severity == "high" and "never used" in found[key].title
    assert found[idle].severity == "high" and "unused for 100 days" in found[idle].title


def test_key_of_a_standing_admin_makes_both_findings_critical() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    key = estate.key(boss)

    found = by_resource(estate.findings())

    assert found[key].severity == "critical"
    assert found[boss].severity == "critical"
    assert "administrator power" in found[key].title
    assert found[key].path[-1] == "aws:111122223333:administrator"


def test_root_access_key_is_critical() -> None:
    estate = Estate()
    root = f"arn:aws:iam::{ACCOUNT}:root"
    estate.credentials.append(
        Credential(
            id=f"{root}#access-key-1",
            provider="aws",
            account=ACCOUNT,
            owner=root,
            kind="root-access-key",
            active=True,
        )
    )

    (finding,) = estate.findings("long-lived-key")

    assert finding.rule == "long-lived-key/root"
    assert finding.severity == "critical"


# --- open-egress ------------------------------------------------------------------------


def _group(estate: Estate, attachments: int | None = 1, **rule: Any) -> None:
    estate.network_groups.append(
        NetworkGroup(
            id=SG,
            provider="aws",
            account=ACCOUNT,
            region="us-east-1",
            name="app",
            attachments=attachments,
        )
    )
    defaults: dict[str, Any] = {"protocol": "-1", "peer": "0.0.0.0/0", "peer_kind": "cidr4"}
    estate.network_rules.append(NetworkRule(group=SG, direction="egress", **{**defaults, **rule}))


def test_default_allow_all_egress_on_attached_group_is_high() -> None:
    estate = Estate()
    _group(estate)

    (finding,) = estate.findings("open-egress")

    assert (finding.rule, finding.severity, finding.resource) == (
        "open-egress/all-traffic",
        "high",
        SG,
    )
    assert finding.region == "us-east-1"


def test_ipv6_world_egress_counts() -> None:
    estate = Estate()
    _group(estate, peer="::/0", peer_kind="cidr6")

    assert len(estate.findings("open-egress")) == 1


def test_single_port_to_the_internet_is_lower() -> None:
    estate = Estate()
    _group(estate, protocol="tcp", from_port=443, to_port=443)

    (finding,) = estate.findings("open-egress")

    assert (finding.rule, finding.severity) == ("open-egress/ports", "medium")


def test_all_ports_of_tcp_is_all_traffic() -> None:
    estate = Estate()
    _group(estate, protocol="tcp", from_port=0, to_port=65535)

    assert estate.findings("open-egress")[0].rule == "open-egress/all-traffic"


def test_unattached_group_is_informational() -> None:
    estate = Estate()
    _group(estate, attachments=0)

    assert estate.findings("open-egress")[0].severity == "info"


@pytest.mark.parametrize(
    "rule",
    [
        {"peer": "10.0.0.0/8"},
        {"peer": "pl-0abc", "peer_kind": "prefix-list"},
        {"peer": "sg-0456", "peer_kind": "group"},
    ],
)
def test_private_prefix_list_and_group_peers_are_not_open(rule: dict[str, Any]) -> None:
    estate = Estate()
    _group(estate, **rule)

    assert estate.findings("open-egress") == []


def test_open_ingress_is_not_egress() -> None:
    estate = Estate()
    _group(estate)
    estate.network_rules[0] = estate.network_rules[0].model_copy(update={"direction": "ingress"})

    assert estate.findings("open-egress") == []


# --- public-data ------------------------------------------------------------------------


def _bucket(estate: Estate, policy: dict[str, Any] | None = None, **extra: Any) -> None:
    estate.data_stores.append(
        DataStore(
            id=BUCKET,
            provider="aws",
            account=ACCOUNT,
            region="us-east-1",
            kind="s3-bucket",
            name="acme-data",
            policy=policy,
            **extra,
        )
    )


def _policy(principal: Any, action: Any = "s3:GetObject", **extra: Any) -> dict[str, Any]:
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": action,
                "Resource": f"{BUCKET}/*",
                **extra,
            }
        ]
    }


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}])
def test_every_spelling_of_everyone_is_public(principal: Any) -> None:
    estate = Estate()
    _bucket(estate, _policy(principal))

    (finding,) = estate.findings("public-data")

    assert (finding.rule, finding.severity) == ("public-data/read", "high")
    assert finding.evidence["via"] == ["policy"]


def test_public_write_is_critical_and_told_apart() -> None:
    estate = Estate()
    _bucket(estate, _policy("*", ["s3:GetObject", "s3:PutObject"]))

    (finding,) = estate.findings("public-data")

    assert finding.rule == "public-data/write"
    assert finding.evidence["exposure"] == ["read", "write"]
    assert finding.severity == "critical"


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}},
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/reader"}},
    ],
)
def test_conditions_that_pin_the_caller_make_it_not_public(condition: dict[str, Any]) -> None:
    estate = Estate()
    _bucket(estate, _policy("*", Condition=condition))

    assert estate.findings("public-data") == []


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}},
        {"StringLike": {"aws:PrincipalOrgID": "*"}},
        {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    ],
)
def test_conditions_that_bound_nothing_leave_it_public(condition: dict[str, Any]) -> None:
    estate = Estate()
    _bucket(estate, _policy("*", Condition=condition))

    assert len(estate.findings("public-data")) == 1


def test_deny_for_everyone_never_makes_public() -> None:
    estate = Estate()
    policy = _policy("*")
    policy["Statement"][0]["Effect"] = "Deny"
    _bucket(estate, policy)

    assert estate.findings("public-data") == []


def test_restrict_public_buckets_neutralises_the_policy_at_bucket_or_account() -> None:
    bucket_level = Estate()
    _bucket(bucket_level, _policy("*"), public_access_block={"RestrictPublicBuckets": True})
    account_level = Estate()
    _bucket(
        account_level, _policy("*"), account_public_access_block={"RestrictPublicBuckets": True}
    )

    assert bucket_level.findings("public-data") == []
    assert account_level.findings("public-data") == []


def test_public_acl_unless_ignored() -> None:
    grant = {"grantee": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ"}
    public = Estate()
    _bucket(public, acl_grants=(grant,))
    ignored = Estate()
    _bucket(ignored, acl_grants=(grant,), public_access_block={"IgnorePublicAcls": True})
    blocked_policy_only = Estate()
    _bucket(
        blocked_policy_only,
        acl_grants=(grant,),
        public_access_block={"RestrictPublicBuckets": True},
    )

    assert public.findings("public-data")[0].evidence["via"] == ["acl"]
    assert ignored.findings("public-data") == []
    assert len(blocked_policy_only.findings("public-data")) == 1


def test_owner_only_acl_is_private() -> None:
    estate = Estate()
    _bucket(estate, acl_grants=({"grantee": "canonical-id-1", "permission": "FULL_CONTROL"},))

    assert estate.findings("public-data") == []

"""Offline import of `aws iam get-account-authorization-details` output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.collectors.imports import import_all, read_aws_authz
from scanner.errors import InputError
from tests.builders import NOW

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_EXPORT = SHARED / "aws" / "authz-small.json"
ACCOUNT = "012345678901"


def _real_export() -> Path:
    # The shared data sits beside the checkout in development and in CI; a copy of the same
    # real file is kept in tests/data so a lone clone runs too.
    return REAL_EXPORT if REAL_EXPORT.exists() else Path(__file__).parent / "data/authz-small.json"


def test_real_export_gives_the_findings_an_engineer_expects() -> None:
    snapshot = read_aws_authz(_real_export(), NOW)

    findings = analyze(snapshot, now=NOW, settings=RuleSettings())
    admins = {f.resource: f for f in findings if f.family == "standing-admin"}

    obama = f"arn:aws:iam::{ACCOUNT}:user/obama"
    lots = f"arn:aws:iam::{ACCOUNT}:user/userwithlotsofpermissions"
    ec2 = f"arn:aws:iam::{ACCOUNT}:role/OverprivilegedEC2"
    assert set(admins) == {obama, lots, ec2}
    assert admins[obama].rule == "standing-admin/direct"
    assert admins[lots].rule == "standing-admin/group"
    assert admins[lots].path[1] == f"arn:aws:iam::{ACCOUNT}:group/admin"
    # The EC2 role may create access keys for any user, an administrator among them.
    assert admins[ec2].rule == "standing-admin/escalation"
    assert admins[ec2].path[1] in (obama, lots)
    assert "iam:CreateAccessKey" in admins[ec2].evidence["proof"]
    # biden holds RDS, Lambda and S3 write power, but nothing that makes an administrator.
    assert f"arn:aws:iam::{ACCOUNT}:user/biden" not in admins


def test_real_export_reads_every_principal_policy_and_trust() -> None:
    snapshot = read_aws_authz(_real_export(), NOW)

    kinds = sorted(p.kind for p in snapshot.principals)
    assert kinds == ["group"] * 2 + ["role"] * 3 + ["user"] * 3
    assert len([p for p in snapshot.policies if p.managed_by != "inline"]) == 32
    assert {t.trustee for t in snapshot.trusts} == {"ssm.amazonaws.com", "ec2.amazonaws.com"}
    assert snapshot.scopes[0].account == ACCOUNT


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "authz.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def _user(**overrides: Any) -> dict[str, Any]:
    user = {
        "UserName": "u",
        "Arn": "arn:aws:iam::111122223333:user/u",
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "UserPolicyList": [],
    }
    return {**user, **overrides}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"UserDetailList": [', "not valid JSON"),
        ({"Users": []}, "not an IAM authorization-details document"),
        ({"UserDetailList": {"a": 1}}, "UserDetailList: expected a list"),
        ({"UserDetailList": [_user(Arn="nope")]}, "UserDetailList[0].Arn: not an IAM ARN"),
        (
            {
                "UserDetailList": [
                    _user(UserPolicyList=[{"PolicyName": "p", "PolicyDocument": "{x"}])
                ]
            },
            "UserDetailList[0].UserPolicyList[0].PolicyDocument: policy document is not JSON",
        ),
        (
            {
                "UserDetailList": [
                    _user(
                        UserPolicyList=[
                            {
                                "PolicyName": "p",
                                "PolicyDocument": {
                                    "Statement": [
                                        {"Effect": "Maybe", "Action": "*", "Resource": "*"}
                                    ]
                                },
                            }
                        ]
                    )
                ]
            },
            "UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0].Effect",
        ),
        (
            {
                "Policies": [
                    {"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "PolicyVersionList": []}
                ]
            },
            "Policies[0].PolicyVersionList: no default",
        ),
    ],
)
def test_broken_exports_name_the_file_and_the_place(
    tmp_path: Path, data: Any, message: str
) -> None:
    path = _write(tmp_path, data)

    with pytest.raises(InputError) as caught:
        read_aws_authz(path, NOW)

    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_url_encoded_policy_documents_from_the_raw_api_are_decoded(tmp_path: Path) -> None:
    encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C"
    encoded += "%22Resource%22%3A%22*%22%7D%5D%7D"
    path = _write(
        tmp_path,
        {
            "UserDetailList": [
                _user(UserPolicyList=[{"PolicyName": "all", "PolicyDocument": encoded}])
            ]
        },
    )

    findings = analyze(read_aws_authz(path, NOW), now=NOW, settings=RuleSettings())

    assert [f.rule for f in findings] == ["standing-admin/direct"]


def test_unknown_import_kind_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown import format 'gcp-nope'"):
        import_all(["gcp-nope=x.json"], NOW)

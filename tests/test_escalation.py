"""Privilege escalation: every method reaches administrator power, and each negative twin
(the key action denied, limited to a harmless resource, or outside a boundary) does not."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.escalation import METHODS, Method
from tests.builders import ADMIN_ARN, Estate, allow, arn, by_resource, deny, doc

IDS = [f"{m.name} [{', '.join(m.actions())}]" for m in METHODS]


def _estate(method: Method) -> tuple[Estate, str, str]:
    """An escalating user, an administrator target of the method's kind, and a harmless twin."""
    estate = Estate()
    escalator = estate.user("esc")
    if method.target_kind == "user":
        target = estate.user("boss")
        estate.user("intern")
    elif method.target_kind == "group":
        target = estate.principal("group", "admins")
        estate.principal("group", "readers")
    else:
        target = estate.principal("role", "admin-role")
        harmless = estate.principal("role", "harmless")
        service = method.service or "glue.amazonaws.com"
        estate.trust(target, service, kind="service")
        estate.trust(harmless, service, kind="service")
    estate.attach(target, ADMIN_ARN)
    harmless_target = {"user": "user/intern", "group": "group/readers"}.get(
        method.target_kind, "role/harmless"
    )
    return estate, escalator, arn(*harmless_target.split("/"))


def _key_action(method: Method) -> str:
    return method.actions()[0]


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_method_reaches_administrator_power(method: Method) -> None:
    estate, escalator, _ = _estate(method)
    estate.inline(escalator, doc(allow(list(method.actions()))))

    found = by_resource(estate.findings("standing-admin"))

    finding = found[escalator]
    assert finding.rule == "standing-admin/escalation"
    assert finding.path[0] == escalator
    assert finding.path[-1] == "aws:111122223333:administrator"
    assert method.name in finding.evidence["proof"]
    assert finding.evidence["holder"] == escalator


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_method_with_key_action_denied_does_not(method: Method) -> None:
    estate, escalator, _ = _estate(method)
    estate.inline(escalator, doc(allow(list(method.actions())), deny(_key_action(method))))

    assert escalator not in by_resource(estate.findings("standing-admin"))


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_method_outside_the_boundary_does_not(method: Method) -> None:
    estate, escalator, _ = _estate(method)
    estate.inline(escalator, doc(allow(list(method.actions()))))
    boundary = doc({"Effect": "Allow", "NotAction": _key_action(method), "Resource": "*"})
    estate.attach(escalator, estate.managed("boundary", boundary), kind="boundary")

    assert escalator not in by_resource(estate.findings("standing-admin"))


TARGETED = [m for m in METHODS if m.target_actions or m.pass_role]


@pytest.mark.parametrize("method", TARGETED, ids=[f"{m.name} {m.actions()}" for m in TARGETED])
def test_method_limited_to_a_harmless_resource_does_not(method: Method) -> None:
    estate, escalator, harmless = _estate(method)
    statements: list[dict[str, Any]] = [allow(_key_action(method), harmless)]
    rest = [a for a in method.actions() if a != _key_action(method)]
    if rest:
        statements.append(allow(rest))
    estate.inline(escalator, doc(*statements))

    assert escalator not in by_resource(estate.findings("standing-admin"))


def test_pass_role_limited_by_passed_to_service_condition() -> None:
    method = next(m for m in METHODS if m.service == "lambda.amazonaws.com" and m.pass_role)
    for service, expected in (("lambda.amazonaws.com", True), ("ec2.amazonaws.com", False)):
        estate, escalator, _ = _estate(method)
        passing = allow(
            "iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": service}}
        )
        estate.inline(escalator, doc(passing, allow(list(method.service_actions))))

        found = by_resource(estate.findings("standing-admin"))

        assert (escalator in found) is expected
        if expected:
            assert found[escalator].conditional is False


def test_granting_an_assumable_role_a_policy_then_assuming_it() -> None:
    estate = Estate()
    dev = estate.user("dev")
    role = estate.principal("role", "builder")
    estate.trust(role, dev)
    estate.inline(dev, doc(allow("iam:AttachRolePolicy", role)))

    finding = by_resource(estate.findings("standing-admin"))[dev]

    assert finding.rule == "standing-admin/escalation"
    assert finding.path == [dev, role, "aws:111122223333:administrator"]


def test_granting_a_role_one_cannot_assume_is_not_escalation() -> None:
    estate = Estate()
    dev = estate.user("dev")
    estate.principal("role", "builder")
    estate.inline(dev, doc(allow("iam:AttachRolePolicy", arn("role", "builder"))))

    assert estate.findings("standing-admin") == []


def test_rewriting_a_policy_held_by_an_assumable_role() -> None:
    estate = Estate()
    dev = estate.user("dev")
    role = estate.principal("role", "builder")
    estate.trust(role, dev)
    shared = estate.managed("builder-policy", doc(allow("s3:GetObject")))
    estate.attach(role, shared)
    estate.inline(dev, doc(allow("iam:CreatePolicyVersion", shared)))

    assert by_resource(estate.findings("standing-admin"))[dev].rule == ("standing-admin/escalation")


def test_chain_of_escalations_is_followed_to_the_end() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    middle = estate.user("middle")
    estate.inline(middle, doc(allow("iam:CreateAccessKey", boss)))
    start = estate.user("start")
    estate.inline(start, doc(allow("iam:UpdateLoginProfile", middle)))

    finding = by_resource(estate.findings("standing-admin"))[start]

    assert finding.path == [start, middle, boss, "aws:111122223333:administrator"]
    assert finding.evidence["proof"] == (
        "user/start -> reset the user's console password (iam:UpdateLoginProfile) -> "
        "user/middle -> create an access key for the user (iam:CreateAccessKey) -> "
        "user/boss -> administrator"
    )


def test_key_on_a_principal_that_can_escalate_is_critical() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    ci = estate.user("ci")
    estate.inline(ci, doc(allow("iam:CreateAccessKey", boss)))
    key = estate.key(ci)

    found = by_resource(estate.findings())

    assert found[key].severity == "critical"
    assert found[key].path[-1] == "aws:111122223333:administrator"


def test_create_access_key_only_for_itself_is_not_escalation() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    me = estate.user("me")
    own = "arn:aws:iam::*:user/${aws:username}"
    estate.inline(me, doc(allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], own)))

    assert me not in by_resource(estate.findings("standing-admin"))


def test_external_trust_of_an_admin_role_is_critical_and_of_others_lower() -> None:
    estate = Estate()
    admin_role = estate.principal("role", "vendor-admin")
    estate.attach(admin_role, ADMIN_ARN)
    estate.trust(admin_role, "arn:aws:iam::999999999999:root", kind="account")
    reader = estate.principal("role", "vendor-reader")
    estate.trust(
        reader,
        "arn:aws:iam::999999999999:root",
        kind="account",
        StringEquals={"sts:ExternalId": "abc"},
    )
    public = estate.principal("role", "public")
    estate.trust(public, "*", kind="any")

    found = {f.evidence["role"]: f for f in estate.findings() if "role" in f.evidence}

    assert found[admin_role].rule == "standing-admin/external-trust"
    assert found[admin_role].severity == "critical"
    assert (found[reader].rule, found[reader].severity) == ("external-trust", "low")
    assert found[reader].conditional is True
    assert (found[public].rule, found[public].severity) == ("external-trust", "high")


def test_trust_within_the_scanned_accounts_is_not_external() -> None:
    estate = Estate()
    role = estate.principal("role", "internal")
    estate.trust(role, estate.user("dev"))
    estate.trust(role, "arn:aws:iam::111122223333:root", kind="account")

    assert estate.findings("external-trust") == []
    assert [f for f in estate.findings() if f.rule.endswith("external-trust")] == []


def _scp(estate: Estate, name: str, depth: int, *statements: dict[str, Any]) -> None:
    policy = f"arn:aws:organizations::999:policy/o-1/service_control_policy/p-{name}"
    from scanner.model import Grant, Policy

    estate.policies[policy] = Policy(
        id=policy,
        provider="aws",
        account=estate.account,
        name=name,
        managed_by="organization",
        document=doc(*statements),
    )
    estate.grants.append(
        Grant(
            principal=f"arn:aws:iam::{estate.account}:root",
            policy=policy,
            kind="scp",
            scope=f"{depth}:level-{depth}",
        )
    )


def test_service_control_policy_deny_takes_admin_power_away() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    _scp(estate, "full", 0, allow("*"))
    _scp(estate, "no-iam", 1, allow("*"), deny("iam:*"))

    assert boss not in by_resource(estate.findings("standing-admin"))


def test_every_scp_level_must_allow() -> None:
    estate = Estate()
    ops = estate.user("ops")
    estate.inline(ops, doc(allow("iam:*")))
    _scp(estate, "root", 0, allow("*"))
    _scp(estate, "ou-data", 1, allow(["s3:*", "dynamodb:*"]))

    assert estate.findings("standing-admin") == []


def test_scps_that_allow_everything_change_nothing() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    _scp(estate, "root", 0, allow("*"))
    _scp(estate, "account", 1, allow("*"))

    assert boss in by_resource(estate.findings("standing-admin"))


def test_unsupported_policy_constructs_are_reported_not_silent(tmp_path: Any) -> None:
    from scanner.pipeline import RunOptions, run
    from tests.builders import NOW

    estate = Estate()
    user = estate.user("tagged")
    estate.inline(
        user,
        doc(
            allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:PrincipalTag/team}-*"),
            allow("s3:GetObject", Condition={"StringMatchesRegex": {"s3:prefix": "a.*"}}),
            allow("s3:PutObject", "arn:aws:s3:::${aws:username}/*"),
        ),
    )
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "none.yaml")

    report, _ = run(estate.snapshot(), options)

    constructs = [n["construct"] for n in report.unsupported]
    assert len(constructs) == 2
    assert "${aws:PrincipalTag/team}" in constructs[0]
    assert "StringMatchesRegex" in constructs[1]
    assert "conservatively" in (tmp_path / "summary.md").read_text()


def test_escalation_through_a_running_resource_is_conditional_on_it() -> None:
    method = next(m for m in METHODS if m.service_actions == ("lambda:UpdateFunctionCode",))
    estate, escalator, _ = _estate(method)
    estate.inline(escalator, doc(allow(list(method.actions()))))

    finding = by_resource(estate.findings("standing-admin"))[escalator]

    assert finding.conditional is True
    assert {"Assumes": "a function runs as the role"} in finding.evidence["conditions"]
    assert finding.severity == "medium"


def test_deny_under_a_condition_makes_admin_conditional() -> None:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    no_mfa = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    estate.inline(boss, doc(deny("*", Condition=no_mfa)))

    finding = by_resource(estate.findings("standing-admin"))[boss]

    assert finding.conditional is True
    assert {"DeniedWhen": no_mfa} in finding.evidence["conditions"]


def test_policy_variable_escapes_match_literally() -> None:
    from scanner.policy import resource_matches

    assert resource_matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", {})
    assert not resource_matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/anything", {})
    assert not resource_matches(
        "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/x*", {"aws:username": "x*y"}
    )


def _versioned(estate: Estate, older: dict[str, Any]) -> str:
    from scanner.model import Policy

    arn_ = f"arn:aws:iam::{estate.account}:policy/deploy"
    estate.policies[arn_] = Policy(
        id=arn_,
        provider="aws",
        account=estate.account,
        name="deploy",
        managed_by="customer",
        document=doc(allow("s3:GetObject")),
        other_versions=(older,),
    )
    return arn_


@pytest.mark.parametrize(
    ("older", "extra", "expected"),
    [
        (doc(allow("*")), [], True),
        (doc(allow("s3:*")), [], False),
        (doc(allow("*")), [deny("iam:SetDefaultPolicyVersion")], False),
    ],
    ids=["older-version-is-admin", "older-version-harmless", "set-default-denied"],
)
def test_setting_an_older_policy_version_as_default(
    older: dict[str, Any], extra: list[dict[str, Any]], expected: bool
) -> None:
    estate = Estate()
    dev = estate.user("dev")
    policy = _versioned(estate, older)
    estate.attach(dev, policy)
    estate.inline(dev, doc(allow("iam:SetDefaultPolicyVersion", policy), *extra))

    found = by_resource(estate.findings("standing-admin"))

    assert (dev in found) is expected
    if expected:
        assert "older version" in found[dev].evidence["how"]


def test_older_version_of_a_policy_held_by_an_assumable_role() -> None:
    estate = Estate()
    dev = estate.user("dev")
    role = estate.principal("role", "builder")
    estate.trust(role, dev)
    policy = _versioned(estate, doc(allow("*")))
    estate.attach(role, policy)
    estate.inline(dev, doc(allow("iam:SetDefaultPolicyVersion", policy)))

    finding = by_resource(estate.findings("standing-admin"))[dev]

    assert finding.path == [dev, role, "aws:111122223333:administrator"]
    assert "older version" in finding.evidence["proof"]


def test_export_keeps_customer_policies_older_versions(tmp_path: Any) -> None:
    import json as json_

    from scanner.collectors.imports import read_aws_authz
    from tests.builders import NOW

    versions = [
        {"VersionId": "v2", "IsDefaultVersion": True, "Document": doc(allow("s3:GetObject"))},
        {"VersionId": "v1", "IsDefaultVersion": False, "Document": doc(allow("*"))},
    ]
    path = tmp_path / "authz.json"
    path.write_text(
        json_.dumps(
            {
                "Policies": [
                    {
                        "PolicyName": "deploy",
                        "Arn": "arn:aws:iam::111122223333:policy/deploy",
                        "DefaultVersionId": "v2",
                        "PolicyVersionList": versions,
                    }
                ]
            }
        )
    )

    (policy,) = read_aws_authz(path, NOW).policies

    assert policy.document == doc(allow("s3:GetObject"))
    assert policy.other_versions == (doc(allow("*")),)

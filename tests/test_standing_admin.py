"""standing-admin: who holds administrator power, and the path that proves it."""

from __future__ import annotations

from tests.builders import ADMIN_ARN, Estate, allow, arn, by_resource, deny, doc

POWER_USER = doc(
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    allow(["iam:CreateServiceLinkedRole", "iam:ListRoles"]),
)


def test_user_with_administrator_access_is_a_direct_admin() -> None:
    estate = Estate()
    alice = estate.user("alice")
    estate.attach(alice, ADMIN_ARN)

    (finding,) = estate.findings("standing-admin")

    assert finding.rule == "standing-admin/direct"
    assert finding.resource == finding.principal == alice
    assert finding.path == [alice, "aws:111122223333:administrator"]
    assert finding.evidence["admin_policies"] == [ADMIN_ARN]
    assert finding.severity == "high"


def test_group_member_path_goes_through_the_group() -> None:
    estate = Estate()
    group = estate.principal("group", "admins")
    estate.attach(group, ADMIN_ARN)
    bob = estate.user("bob", groups=("admins",))

    found = by_resource(estate.findings("standing-admin"))

    assert found[bob].rule == "standing-admin/group"
    assert found[bob].path == [bob, group, "aws:111122223333:administrator"]
    assert found[bob].evidence["holder"] == group
    assert group not in found  # a group cannot sign in; its members are the findings


def test_power_user_access_alone_is_not_admin() -> None:
    estate = Estate()
    dev = estate.user("dev")
    estate.inline(dev, POWER_USER)

    assert estate.findings("standing-admin") == []


def test_iam_full_access_is_admin_because_it_can_grant_itself_anything() -> None:
    estate = Estate()
    ops = estate.user("ops")
    estate.inline(ops, doc(allow("iam:*")))

    (finding,) = estate.findings("standing-admin")

    assert finding.resource == ops
    assert "iam:PutUserPolicy" in finding.evidence["how"]


def test_not_action_that_leaves_iam_in_is_admin() -> None:
    estate = Estate()
    ops = estate.user("ops")
    estate.inline(ops, doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}))

    assert [f.resource for f in estate.findings("standing-admin")] == [ops]


def test_explicit_deny_of_iam_takes_admin_power_away() -> None:
    estate = Estate()
    ops = estate.user("ops")
    estate.attach(ops, ADMIN_ARN)
    estate.inline(ops, doc(deny("iam:*")))

    assert estate.findings("standing-admin") == []


def test_permission_boundary_limits_admin_policy() -> None:
    estate = Estate()
    ops = estate.user("ops")
    estate.attach(ops, ADMIN_ARN)
    boundary = estate.managed("boundary", doc(allow(["s3:*", "ec2:*"])))
    estate.attach(ops, boundary, kind="boundary")

    assert estate.findings("standing-admin") == []


def test_boundary_also_applies_to_power_from_a_group() -> None:
    estate = Estate()
    group = estate.principal("group", "admins")
    estate.attach(group, ADMIN_ARN)
    bounded = estate.user("bounded", groups=("admins",))
    estate.attach(bounded, estate.managed("b", doc(allow("s3:*"))), kind="boundary")

    assert estate.findings("standing-admin") == []


def test_policy_named_like_admin_is_judged_by_its_statements() -> None:
    estate = Estate()
    reader = estate.user("reader")
    fake = estate.managed("AdministratorAccess", doc(allow("s3:GetObject")))
    estate.attach(reader, fake)
    estate.principal("user", "admin")  # a user named admin with no policies

    assert estate.findings("standing-admin") == []


def test_self_service_key_creation_on_own_user_is_not_admin() -> None:
    estate = Estate()
    user = estate.user("self")
    estate.inline(user, doc(allow(["iam:CreateAccessKey"], "arn:aws:iam::*:user/${aws:username}")))

    assert estate.findings("standing-admin") == []


def test_put_policy_on_own_user_through_a_policy_variable_is_admin() -> None:
    estate = Estate()
    user = estate.user("self")
    estate.inline(user, doc(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}")))

    assert [f.resource for f in estate.findings("standing-admin")] == [user]


def test_put_policy_only_on_someone_else_is_not_self_grant() -> None:
    estate = Estate()
    user = estate.user("self")
    estate.inline(user, doc(allow("iam:PutUserPolicy", arn("user", "other"))))

    assert [f.resource for f in estate.findings("standing-admin")] == []


def test_user_named_in_admin_role_trust_reaches_admin_by_assuming_it() -> None:
    estate = Estate()
    ci = estate.user("ci")
    role = estate.principal("role", "deploy-admin")
    estate.attach(role, ADMIN_ARN)
    estate.trust(role, ci)

    found = by_resource(estate.findings("standing-admin"))

    assert found[ci].rule == "standing-admin/assume-role"
    assert found[ci].path == [ci, role, "aws:111122223333:administrator"]
    assert found[role].rule == "standing-admin/direct"


def test_account_root_trust_needs_the_callers_own_permission() -> None:
    estate = Estate()
    allowed = estate.user("allowed")
    estate.inline(allowed, doc(allow("sts:AssumeRole", arn("role", "admin-role"))))
    other = estate.user("other")
    role = estate.principal("role", "admin-role")
    estate.attach(role, ADMIN_ARN)
    estate.trust(role, "arn:aws:iam::111122223333:root", kind="account")

    found = by_resource(estate.findings("standing-admin"))

    assert allowed in found
    assert other not in found


def test_service_trust_does_not_make_people_admins() -> None:
    estate = Estate()
    role = estate.principal("role", "ec2-admin")
    estate.attach(role, ADMIN_ARN)
    estate.trust(role, "ec2.amazonaws.com", kind="service")
    estate.user("nobody")

    found = by_resource(estate.findings("standing-admin"))

    assert set(found) == {role}


def test_federated_provider_trust_counts_as_reachable_admin() -> None:
    estate = Estate()
    provider = "arn:aws:iam::111122223333:saml-provider/okta"
    role = estate.principal("role", "AWSReservedSSO_Admin")
    estate.attach(role, ADMIN_ARN)
    estate.trust(role, provider, kind="federated")

    found = by_resource(estate.findings("standing-admin"))

    assert found[provider].path == [provider, role, "aws:111122223333:administrator"]


def test_conditional_admin_is_reported_as_conditional_with_the_condition() -> None:
    estate = Estate()
    ops = estate.user("ops")
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    estate.inline(ops, doc(allow("*", "*", Condition=mfa)))

    (finding,) = estate.findings("standing-admin")

    assert finding.conditional is True
    assert finding.evidence["conditions"] == [mfa]
    assert finding.severity == "medium"
    assert "condition" in finding.title


def test_condition_that_bounds_nothing_is_unconditional() -> None:
    estate = Estate()
    ops = estate.user("ops")
    anything = {"StringLike": {"aws:PrincipalTag/team": "*"}}
    estate.inline(ops, doc(allow("*", "*", Condition=anything)))

    (finding,) = estate.findings("standing-admin")

    assert finding.conditional is False


def test_trust_condition_is_kept_on_the_path() -> None:
    estate = Estate()
    ci = estate.user("ci")
    role = estate.principal("role", "admin")
    estate.attach(role, ADMIN_ARN)
    ip = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    estate.trust(role, ci, **ip)

    found = by_resource(estate.findings("standing-admin"))

    assert found[ci].conditional is True
    assert found[ci].evidence["conditions"] == [ip]


def test_deny_policy_never_grants_admin() -> None:
    estate = Estate()
    user = estate.user("u")
    estate.inline(user, doc(deny("*")))

    assert estate.findings("standing-admin") == []

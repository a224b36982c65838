"""GCP rules, each with positive and negative cases, on small hand-built assets."""

from __future__ import annotations

from typing import Any

from tests.fake_gcp_assets import CRM, binding, findings_of, policy, project, resource, snapshot_of

PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project"
SA = "iam.googleapis.com/ServiceAccount"


def project_policy(*bindings: dict[str, Any]) -> dict[str, Any]:
    return policy(f"{CRM}projects/11", PROJECT_TYPE, *bindings)


def admins(*raws: dict[str, Any]) -> dict[str, str]:
    return {
        f.principal or "": f.rule
        for f in findings_of(snapshot_of(project(), *raws))
        if f.family == "standing-admin"
    }


def account(name: str, disabled: bool = False, unique: str = "7") -> dict[str, Any]:
    email = f"{name}@p1.iam.gserviceaccount.com"
    data = {
        "email": email,
        "projectId": "p1",
        "uniqueId": unique,
        "name": f"projects/p1/serviceAccounts/{email}",
    }
    if disabled:
        data["disabled"] = True
    return resource(f"//iam.googleapis.com/projects/p1/serviceAccounts/{unique}", SA, data)


# standing-admin


def test_roles_are_matched_exactly_not_by_name() -> None:
    found = admins(
        project_policy(
            binding("roles/editor", "user:ed@x.test"),
            binding("roles/accessapproval.configEditor", "user:ae@x.test"),
            binding("roles/iam.workloadIdentityUser", "user:wi@x.test"),
            binding("roles/iam.securityAdmin", "user:sec@x.test"),
        ),
        policy(
            "//storage.googleapis.com/b",
            "storage.googleapis.com/Bucket",
            binding("roles/storage.objectAdmin", "user:obj@x.test"),
        ),
    )
    assert found == {
        "user:ed@x.test": "standing-admin/direct",
        "user:sec@x.test": "standing-admin/direct",
    }


def test_custom_role_is_judged_by_its_permissions() -> None:
    role = {
        "name": "projects/p1/roles/r",
        "includedPermissions": ["resourcemanager.projects.setIamPolicy"],
    }
    harmless = {"name": "projects/p1/roles/h", "includedPermissions": ["storage.objects.get"]}
    found = admins(
        resource("//iam.googleapis.com/projects/p1/roles/r", "iam.googleapis.com/Role", role),
        resource("//iam.googleapis.com/projects/p1/roles/h", "iam.googleapis.com/Role", harmless),
        project_policy(
            binding("projects/p1/roles/r", "user:c@x.test"),
            binding("projects/p1/roles/h", "user:h@x.test"),
        ),
    )
    assert found == {"user:c@x.test": "standing-admin/direct"}


def test_expiring_condition_is_time_bound_but_basic_roles_cannot_carry_one() -> None:
    until = {"title": "t", "expression": 'request.time < timestamp("2099-01-01T00:00:00Z")'}
    other = {"title": "t", "expression": 'resource.name.startsWith("x")'}
    found = admins(
        project_policy(
            binding("roles/iam.securityAdmin", "user:tb@x.test", condition=until),
            binding("roles/iam.securityAdmin", "user:cond@x.test", condition=other),
            binding("roles/owner", "user:own@x.test", condition=until),
        )
    )
    assert set(found) == {"user:cond@x.test", "user:own@x.test"}
    conditional = [
        f
        for f in findings_of(
            snapshot_of(
                project(),
                project_policy(
                    binding("roles/iam.securityAdmin", "user:cond@x.test", condition=other)
                ),
            )
        )
        if f.family == "standing-admin"
    ]
    assert conditional[0].conditional and conditional[0].severity == "medium"


def test_folder_binding_reaches_projects_below_it_only() -> None:
    snapshot = snapshot_of(
        project("p1", "11", "folders/5"),
        project("p2", "12", "organizations/1"),
        resource(
            f"{CRM}folders/5",
            "cloudresourcemanager.googleapis.com/Folder",
            {"parent": "organizations/1"},
        ),
        policy(
            f"{CRM}folders/5",
            "cloudresourcemanager.googleapis.com/Folder",
            binding("roles/owner", "group:g@x.test"),
        ),
    )
    found = [(f.rule, f.account) for f in findings_of(snapshot) if f.family == "standing-admin"]
    assert found == [("standing-admin/inherited", "p1")]


def test_impersonation_of_an_owner_service_account_and_not_of_a_disabled_one() -> None:
    found = admins(
        account("boss", unique="7"),
        account("old", disabled=True, unique="8"),
        project_policy(
            binding(
                "roles/owner",
                "serviceAccount:boss@p1.iam.gserviceaccount.com",
                "serviceAccount:old@p1.iam.gserviceaccount.com",
            )
        ),
        policy(
            "//iam.googleapis.com/projects/p1/serviceAccounts/7",
            SA,
            binding("roles/iam.serviceAccountUser", "user:u@x.test"),
        ),
        policy(
            "//iam.googleapis.com/projects/p1/serviceAccounts/8",
            SA,
            binding("roles/iam.serviceAccountTokenCreator", "user:v@x.test"),
        ),
    )
    assert found == {
        "serviceAccount:boss@p1.iam.gserviceaccount.com": "standing-admin/direct",
        "user:u@x.test": "standing-admin/impersonation",
    }


# long-lived-key


def key(kid: str, **data: Any) -> dict[str, Any]:
    email = "boss@p1.iam.gserviceaccount.com"
    body = {
        "name": f"projects/p1/serviceAccounts/{email}/keys/{kid}",
        "keyType": "USER_MANAGED",
        "validAfterTime": "2026-11-01T00:00:00Z",
        "validBeforeTime": "9999-12-31T23:59:59Z",
        **data,
    }
    return resource(
        f"//iam.googleapis.com/projects/p1/serviceAccounts/7/keys/{kid}",
        "iam.googleapis.com/ServiceAccountKey",
        body,
    )


def test_only_enabled_user_managed_keys_of_enabled_accounts_are_findings() -> None:
    snapshot = snapshot_of(
        project(),
        account("boss"),
        key("new"),
        key("old", validAfterTime="2025-01-01T00:00:00Z"),
        key("off", disabled=True),
        key("google", keyType="SYSTEM_MANAGED"),
    )
    found = {f.resource.rsplit("/", 1)[-1]: f.severity for f in findings_of(snapshot)}
    assert found == {"new": "medium", "old": "high"}

    disabled_owner = snapshot_of(project(), account("boss", disabled=True), key("new"))
    assert not findings_of(disabled_owner)


# open-egress


def firewall(name: str, **data: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "network": "https://www.googleapis.com/compute/v1/projects/p1/global/networks/n",
        "direction": "EGRESS",
        "priority": 1000,
        **data,
    }
    return resource(
        f"//compute.googleapis.com/projects/p1/global/firewalls/{name}",
        "compute.googleapis.com/Firewall",
        body,
    )


NET = resource(
    "//compute.googleapis.com/projects/p1/global/networks/n",
    "compute.googleapis.com/Network",
    {"name": "n"},
)
DENY_ALL = firewall(
    "deny", priority=65534, denied=[{"IPProtocol": "all"}], destinationRanges=["0.0.0.0/0", "::/0"]
)


def egress(*raws: dict[str, Any]) -> dict[str, str]:
    return {
        f.resource.rsplit("/", 1)[-1]: f.rule
        for f in findings_of(snapshot_of(project(), NET, *raws))
        if f.family == "open-egress"
    }


def test_implied_allow_egress_is_open_unless_denied() -> None:
    assert egress() == {"n": "open-egress/all-traffic"}
    assert egress(DENY_ALL) == {}
    only_v4 = firewall(
        "deny4", priority=65534, denied=[{"IPProtocol": "all"}], destinationRanges=["0.0.0.0/0"]
    )
    assert egress(only_v4) == {"n": "open-egress/all-traffic"}  # ::/0 counts like 0.0.0.0/0


def test_explicit_allow_is_judged_by_priority_against_denies() -> None:
    allow = firewall("allow", allowed=[{"IPProtocol": "all"}], destinationRanges=["::/0"])
    assert egress(DENY_ALL, allow) == {"allow": "open-egress/all-traffic"}

    shadowed = firewall("web", priority=2000, allowed=[{"IPProtocol": "tcp", "ports": ["80"]}])
    deny_tcp = firewall(
        "deny-tcp", priority=2000, denied=[{"IPProtocol": "tcp"}], destinationRanges=["0.0.0.0/0"]
    )
    assert egress(DENY_ALL, shadowed, deny_tcp) == {}
    assert egress(DENY_ALL, shadowed) == {"web": "open-egress/ports"}


def test_disabled_and_private_rules_are_not_open() -> None:
    disabled = firewall(
        "off", disabled=True, allowed=[{"IPProtocol": "all"}], destinationRanges=["0.0.0.0/0"]
    )
    private = firewall("private", allowed=[{"IPProtocol": "all"}], destinationRanges=["10.0.0.0/8"])
    assert egress(DENY_ALL, disabled, private) == {}


# public-data


def bucket(name: str, **config: Any) -> dict[str, Any]:
    data = {
        "name": name,
        "location": "EU",
        "projectNumber": "11",
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, **config},
    }
    return resource(
        f"//storage.googleapis.com/{name}",
        "storage.googleapis.com/Bucket",
        data,
        f"{CRM}projects/11",
    )


def public(
    name: str, role: str = "roles/storage.objectViewer", member: str = "allUsers"
) -> dict[str, Any]:
    return policy(
        f"//storage.googleapis.com/{name}", "storage.googleapis.com/Bucket", binding(role, member)
    )


def exposed(*raws: dict[str, Any]) -> dict[str, str]:
    return {
        f.resource.rsplit("/", 1)[-1]: f.rule
        for f in findings_of(snapshot_of(project(), NET, DENY_ALL, *raws))
    }


def test_public_buckets_unless_prevention_is_enforced() -> None:
    assert exposed(bucket("r"), public("r")) == {"r": "public-data/read"}
    assert exposed(
        bucket("w"), public("w", "roles/storage.objectCreator", "allAuthenticatedUsers")
    ) == {"w": "public-data/write"}
    assert exposed(bucket("e", publicAccessPrevention="enforced"), public("e")) == {}
    assert exposed(bucket("priv"), public("priv", member="user:a@x.test")) == {}


def test_prevention_inherited_from_organization_policy() -> None:
    enforced = {
        "name": f"{CRM}organizations/1",
        "asset_type": "cloudresourcemanager.googleapis.com/Organization",
        "org_policy": [
            {
                "constraint": "constraints/storage.publicAccessPrevention",
                "boolean_policy": {"enforced": True},
            }
        ],
    }
    assert exposed(bucket("r"), public("r"), enforced) == {}
    override = {
        "name": f"{CRM}projects/11",
        "asset_type": PROJECT_TYPE,
        "org_policy": [
            {
                "constraint": "constraints/storage.publicAccessPrevention",
                "booleanPolicy": {"enforced": False},
            }
        ],
    }
    assert exposed(bucket("r"), public("r"), enforced, override) == {"r": "public-data/read"}


def test_acl_counts_only_without_uniform_access() -> None:
    acl = [{"entity": "allUsers", "role": "READER"}]
    fine = bucket("u")
    fine["resource"]["data"]["acl"] = acl
    legacy = bucket("l", uniformBucketLevelAccess={"enabled": False})
    legacy["resource"]["data"]["acl"] = acl
    assert exposed(fine, legacy) == {"l": "public-data/read"}


def test_google_managed_service_agents_are_not_standing_admins() -> None:
    from rules.gcp.standing_admin import google_managed

    assert google_managed("serviceAccount:1@cloudservices.gserviceaccount.com")
    assert google_managed("serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com")
    assert not google_managed("serviceAccount:1-compute@developer.gserviceaccount.com")
    assert not google_managed("serviceAccount:ci@project.iam.gserviceaccount.com")
    assert not google_managed("user:service-1@gcp-sa-x.iam.gserviceaccount.com")


def test_negated_deadline_is_not_an_end_time() -> None:
    from scanner.gcp.conditions import end_time

    assert end_time('request.time < timestamp("2020-01-01T00:00:00Z")') is not None
    assert end_time('!(request.time < timestamp("2020-01-01T00:00:00Z"))') is None
    assert end_time('request.time < timestamp("2020-01-01T00:00:00Z") || true') is None

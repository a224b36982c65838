"""Azure rules on hand-built Resource Graph rows and Graph bundles: positives and negatives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.azure.arg_records import parse_rows
from scanner.azure.graph_records import parse_bundle
from scanner.collectors.azure_export import arg_snapshot, graph_snapshot
from scanner.findings import Finding
from scanner.merge import merge
from tests.builders import NOW

SUB = "11111111-2222-3333-4444-555555555555"
AUTH = f"/subscriptions/{SUB}/providers/Microsoft.Authorization"
RG = f"/subscriptions/{SUB}/resourceGroups/rg/providers"
TENANT = "99999999-8888-7777-6666-555555555555"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _iso(delta_days: int) -> str:
    return (NOW + timedelta(days=delta_days)).isoformat().replace("+00:00", "Z")


def assignment(
    principal: str,
    role: str,
    scope: str = f"/subscriptions/{SUB}",
    n: int = 1,
    ptype: str = "User",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/a{n}",
        "type": "microsoft.authorization/roleassignments",
        "properties": {
            "roleDefinitionId": f"{AUTH}/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": ptype,
            "scope": scope,
            **extra,
        },
    }


def custom_role(guid: str, actions: list[str], not_actions: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "type": "microsoft.authorization/roledefinitions",
        "properties": {
            "roleName": f"custom-{guid[:4]}",
            "type": "CustomRole",
            "permissions": [{"actions": actions, "notActions": list(not_actions)}],
        },
    }


def nsg(
    name: str, rules: list[tuple[str, int, str, str, str]], attached: bool = True
) -> dict[str, Any]:
    """Rules as (name, priority, access, destination, port); the 6 defaults are added."""
    nsg_id = f"{RG}/Microsoft.Network/networkSecurityGroups/{name}"

    def rule(
        rule_name: str,
        priority: int,
        access: str,
        dest: str,
        port: str,
        direction: str = "Outbound",
    ) -> dict[str, Any]:
        return {
            "name": rule_name,
            "properties": {
                "protocol": "*",
                "sourcePortRange": "*",
                "destinationPortRange": port,
                "sourceAddressPrefix": "*",
                "destinationAddressPrefix": dest,
                "access": access,
                "priority": priority,
                "direction": direction,
            },
        }

    defaults = [
        rule("AllowVnetInBound", 65000, "Allow", "VirtualNetwork", "*", "Inbound"),
        rule("AllowAzureLoadBalancerInBound", 65001, "Allow", "*", "*", "Inbound"),
        rule("DenyAllInBound", 65500, "Deny", "*", "*", "Inbound"),
        rule("AllowVnetOutBound", 65000, "Allow", "VirtualNetwork", "*"),
        rule("AllowInternetOutBound", 65001, "Allow", "Internet", "*"),
        rule("DenyAllOutBound", 65500, "Deny", "*", "*"),
    ]
    props: dict[str, Any] = {
        "securityRules": [rule(*r) for r in rules],
        "defaultSecurityRules": defaults,
    }
    if attached:
        props["networkInterfaces"] = [{"id": "nic"}]
    return {
        "id": nsg_id,
        "name": name,
        "type": "microsoft.network/networksecuritygroups",
        "location": "westeurope",
        "properties": props,
    }


def storage(name: str, **props: Any) -> dict[str, Any]:
    return {
        "id": f"{RG}/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "microsoft.storage/storageaccounts",
        "location": "westeurope",
        "properties": props,
    }


def scan(rows: list[dict[str, Any]], graph: dict[str, Any] | None = None) -> list[Finding]:
    parts = [arg_snapshot(parse_rows(rows, "test"), NOW)]
    if graph is not None:
        parts.append(graph_snapshot(parse_bundle({"tenantId": TENANT, **graph}, "test", NOW), NOW))
    return analyze(merge(parts, taken_at=NOW), now=NOW, settings=RuleSettings())


def by_rule(findings: list[Finding], family: str) -> dict[str, Finding]:
    return {f.resource: f for f in findings if f.family == family}


# standing-admin


def test_permanent_owner_is_a_standing_admin_and_eligible_or_time_bound_ones_are_not() -> None:
    eligible = {
        "id": f"{AUTH}/roleEligibilityScheduleInstances/e1",
        "type": "Microsoft.Authorization/roleEligibilityScheduleInstances",
        "properties": {
            "scope": f"/subscriptions/{SUB}",
            "principalId": "bob",
            "principalType": "User",
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
            "endDateTime": _iso(100),
        },
    }
    timed = assignment("carol", OWNER, n=3)
    activation = {
        "id": f"{AUTH}/roleAssignmentScheduleInstances/x",
        "type": "Microsoft.Authorization/roleAssignmentScheduleInstances",
        "properties": {
            "originRoleAssignmentId": timed["id"],
            "endDateTime": _iso(1),
            "scope": f"/subscriptions/{SUB}",
            "principalId": "carol",
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
        },
    }
    findings = by_rule(
        scan([assignment("alice", OWNER), eligible, activation, timed]), "standing-admin"
    )

    assert list(findings) == ["/users/alice"]
    assert findings["/users/alice"].severity == "high"
    assert findings["/users/alice"].account == SUB


def test_roles_are_judged_by_actions_not_names() -> None:
    rows = [
        custom_role(
            "c0c0c0c0-0000-0000-0000-000000000001",
            ["Microsoft.Authorization/roleAssignments/write"],
        ),
        custom_role("c0c0c0c0-0000-0000-0000-000000000002", ["*"], ["Microsoft.Authorization/*"]),
        custom_role("c0c0c0c0-0000-0000-0000-000000000003", ["*/read"]),
        assignment("granter", "c0c0c0c0-0000-0000-0000-000000000001", n=1),
        assignment("writer", "c0c0c0c0-0000-0000-0000-000000000002", n=2),
        assignment("reader", "c0c0c0c0-0000-0000-0000-000000000003", n=3),
        assignment("builtin-reader", READER, n=4),
        assignment("contributor", CONTRIBUTOR, n=5),
    ]
    findings = by_rule(scan(rows), "standing-admin")

    assert findings["/users/granter"].severity == "high"
    assert findings["/users/writer"].severity == "medium"
    assert findings["/users/contributor"].severity == "medium"
    assert "/users/reader" not in findings and "/users/builtin-reader" not in findings


def test_resource_scope_assignments_are_not_estate_admins() -> None:
    scope = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s"
    rg_scope = f"/subscriptions/{SUB}/resourceGroups/rg"
    findings = by_rule(
        scan([assignment("a", OWNER, scope, 1), assignment("b", OWNER, rg_scope, 2)]),
        "standing-admin",
    )
    assert list(findings) == ["/users/b"]


def test_group_members_inherit_the_group_role_through_graph() -> None:
    rows = [assignment("grp", OWNER, ptype="Group")]
    graph = {
        "groupMembers": {
            "grp": [{"@odata.type": "#microsoft.graph.user", "id": "dave", "displayName": "Dave"}]
        }
    }
    findings = by_rule(scan(rows, graph), "standing-admin")

    assert findings["/users/dave"].rule == "standing-admin/group"
    assert findings["/users/dave"].evidence["holder"] == "grp"
    assert findings["/groups/grp"].rule == "standing-admin/direct"


def test_active_entra_global_admin_is_standing_and_eligible_is_not() -> None:
    graph = {
        "roleAssignments": {
            "value": [
                {"principalId": "frank", "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}
            ]
        },
        "roleEligibilityScheduleInstances": {
            "value": [
                {
                    "principalId": "grace",
                    "roleDefinitionId": GLOBAL_ADMIN,
                    "directoryScopeId": "/",
                    "endDateTime": _iso(30),
                }
            ]
        },
    }
    findings = by_rule(
        scan([storage("x", allowSharedKeyAccess=False, publicNetworkAccess="Disabled")], graph),
        "standing-admin",
    )
    assert list(findings) == ["/users/frank"]
    assert findings["/users/frank"].account == TENANT


def test_owner_of_an_admin_application_escalates() -> None:
    rows = [assignment("sp1", OWNER, ptype="ServicePrincipal")]
    graph = {
        "applications": [{"id": "app1", "appId": "A", "displayName": "robot"}],
        "servicePrincipals": [{"id": "sp1", "appId": "A", "displayName": "robot"}],
        "owners": {
            "app1": [{"@odata.type": "#microsoft.graph.user", "id": "erin", "displayName": "Erin"}]
        },
    }
    findings = by_rule(scan(rows, graph), "standing-admin")
    assert findings["/users/erin"].rule == "standing-admin/app-owner"
    assert findings["/users/erin"].path[:3] == ["erin", "app1", "sp1"]

    rows = [assignment("sp1", READER, ptype="ServicePrincipal")]
    assert "/users/erin" not in by_rule(scan(rows, graph), "standing-admin")


# long-lived-key


def test_client_secrets_valid_longer_than_the_maximum_are_long_lived() -> None:
    def secret(key: str, start: int, end: int) -> dict[str, Any]:
        return {
            "keyId": key,
            "startDateTime": _iso(start),
            "endDateTime": _iso(end),
            "secretText": None,
        }

    graph = {
        "applications": [
            {
                "id": "app1",
                "appId": "A",
                "displayName": "robot",
                "passwordCredentials": [
                    secret("long", -10, 355),
                    secret("short", -10, 50),
                    secret("expired", -400, -1),
                    secret("old", -120, 20),
                ],
            }
        ]
    }
    findings = by_rule(
        scan([storage("x", allowSharedKeyAccess=False, publicNetworkAccess="Disabled")], graph),
        "long-lived-key",
    )

    assert sorted(findings) == [
        "/applications/app1/passwordCredentials/long",
        "/applications/app1/passwordCredentials/old",
    ]
    assert all(f.severity == "high" and f.account == TENANT for f in findings.values())


def test_shared_key_access_is_a_long_lived_key_unless_disabled() -> None:
    findings = by_rule(
        scan(
            [
                storage("absent", publicNetworkAccess="Disabled"),
                storage("off", allowSharedKeyAccess=False, publicNetworkAccess="Disabled"),
            ]
        ),
        "long-lived-key",
    )
    assert [r.rsplit("/", 1)[-1] for r in findings] == ["absent"]


# open-egress


def test_default_allow_internet_outbound_opens_egress_unless_denied_first() -> None:
    rows = [
        nsg("defaults-only", []),
        nsg("denied", [("DenyInternet", 4000, "Deny", "Internet", "*")]),
        nsg(
            "vnet-only",
            [
                ("AllowVnet", 100, "Allow", "VirtualNetwork", "*"),
                ("DenyAll", 200, "Deny", "*", "*"),
            ],
        ),
        nsg(
            "https-out",
            [
                ("Https", 100, "Allow", "Internet", "443"),
                ("DenyInternet", 200, "Deny", "Internet", "*"),
            ],
        ),
        nsg("explicit-any", [("AnyOut", 100, "Allow", "0.0.0.0/0", "*")]),
        nsg("unattached", [], attached=False),
    ]
    findings = {r.rsplit("/", 1)[-1]: f for r, f in by_rule(scan(rows), "open-egress").items()}

    assert findings["defaults-only"].rule == "open-egress/all-traffic"
    assert findings["defaults-only"].evidence["rules"][0]["name"] == "AllowInternetOutBound"
    assert findings["https-out"].rule == "open-egress/ports"
    assert findings["explicit-any"].evidence["rules"][0]["name"] == "AnyOut"
    assert findings["unattached"].severity == "info"
    assert "denied" not in findings and "vnet-only" not in findings


# public-data


def test_public_blob_access_and_open_networks_are_public_data() -> None:
    rows = [
        storage(
            "blobs",
            allowBlobPublicAccess=True,
            allowSharedKeyAccess=False,
            networkAcls={"defaultAction": "Deny"},
        ),
        storage(
            "anynet",
            allowSharedKeyAccess=False,
            publicNetworkAccess="Enabled",
            networkAcls={"defaultAction": "Allow"},
        ),
        storage("firewalled", allowSharedKeyAccess=False, networkAcls={"defaultAction": "Deny"}),
        storage("private", allowSharedKeyAccess=False, publicNetworkAccess="Disabled"),
    ]
    findings = {r.rsplit("/", 1)[-1]: f for r, f in by_rule(scan(rows), "public-data").items()}

    assert findings["blobs"].rule == "public-data/blob-public-access"
    assert findings["anynet"].rule == "public-data/public-network"
    assert set(findings) == {"blobs", "anynet"}


def _nsg_rule(
    name: str,
    priority: int,
    action: str,
    peer: str,
    protocol: str = "*",
    ports: tuple[int, int] = (0, 65535),
) -> Any:
    from scanner.model import NetworkRule

    return NetworkRule(
        group="nsg",
        direction="egress",
        action=action,
        protocol=protocol,
        from_port=ports[0],
        to_port=ports[1],
        peer=peer,
        peer_kind="service-tag",
        priority=priority,
        name=name,
    )


def test_deny_of_ipv6_alone_leaves_ipv4_egress_open() -> None:
    from rules.azure.open_egress import evaluate_egress, with_defaults

    rules = with_defaults("nsg", [_nsg_rule("DenyV6", 100, "deny", "::/0")])

    decision = evaluate_egress(rules)

    assert decision is not None and decision[0] == "all-traffic"
    assert [r.name for r in decision[1]] == ["AllowInternetOutBound"]


def test_group_without_listed_default_rules_still_has_them() -> None:
    from rules.azure.open_egress import evaluate_egress, with_defaults

    assert evaluate_egress([]) is None
    decision = evaluate_egress(with_defaults("nsg", []))
    assert decision is not None and decision[0] == "all-traffic"


def test_narrow_deny_before_an_allow_of_the_same_port_closes_it() -> None:
    from rules.azure.open_egress import evaluate_egress, with_defaults

    rules = with_defaults(
        "nsg",
        [
            _nsg_rule("Deny443", 100, "deny", "Internet", "Tcp", (443, 443)),
            _nsg_rule("Allow443", 200, "allow", "Internet", "Tcp", (443, 443)),
            _nsg_rule("DenyAll", 300, "deny", "Internet"),
        ],
    )

    assert evaluate_egress(rules) is None


def test_narrow_deny_leaves_the_rest_of_an_allow_open_as_ports() -> None:
    from rules.azure.open_egress import evaluate_egress, with_defaults

    rules = with_defaults("nsg", [_nsg_rule("DenySmtp", 100, "deny", "Internet", "Tcp", (25, 25))])

    decision = evaluate_egress(rules)

    assert decision is not None and decision[0] == "ports"


def test_custom_role_that_rewrites_role_definitions_is_admin() -> None:
    from scanner.azure.roles import azure_power

    rewrite = {
        "permissions": [
            {"actions": ["Microsoft.Authorization/roleDefinitions/write"], "notActions": []}
        ]
    }
    reader = {"permissions": [{"actions": ["*/read"], "notActions": []}]}

    assert azure_power(rewrite) == "admin"
    assert azure_power(reader) is None

"""Cloud Asset records to snapshot records, one function per asset type; pure, no I/O.

Each function takes one asset (already in the envelope of `gcp_assets.Asset`) and returns the
snapshot records it stands for. `resource.data` holds the service's own REST JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scanner.gcp.conditions import end_time
from scanner.gcp.names import (
    container_of,
    network_name,
    relative,
    service_account_of,
)
from scanner.model import Credential, DataStore, Grant, NetworkGroup, NetworkRule, Policy, Principal

# A key valid until this far-future time does not expire (the API's way of saying "never").
NO_EXPIRY_YEAR = 9999


def pick(data: dict[str, Any], snake: str) -> Any:
    """A field by its proto (snake_case) or JSON (lowerCamelCase) name."""
    if snake in data:
        return data[snake]
    head, *rest = snake.split("_")
    return data.get(head + "".join(p.title() for p in rest))


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time; None when absent or the far-future 'no expiry' value."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return None if parsed.year >= NO_EXPIRY_YEAR else parsed


def service_account(data: dict[str, Any], project: str) -> Principal:
    email = str(data["email"])
    return Principal(
        id=f"serviceAccount:{email}",
        provider="gcp",
        account=str(data.get("projectId") or project),
        kind="service-account",
        name=email,
        # Service accounts carry no labels, so tags hold their unique id (IAM policies and keys
        # may name an account by it) and their state, for the graph step.
        tags={
            "uniqueId": str(data.get("uniqueId") or ""),
            **({"disabled": "true"} if data.get("disabled") else {}),
        },
    )


def service_account_key(
    name: str, data: dict[str, Any], emails: dict[str, str]
) -> Credential | None:
    """A user-managed key; Google-managed keys are rotated by Google and never leave it."""
    if data.get("keyType", "USER_MANAGED") != "USER_MANAGED":
        return None
    found = service_account_of(str(data.get("name") or relative(name)))
    if found is None:
        return None
    project, account = found
    email = emails.get(account, account)
    project = project or email.partition("@")[2].split(".", 1)[0]
    return Credential(
        id=name,
        provider="gcp",
        account=project,
        owner=f"serviceAccount:{email}",
        kind="service-account-key",
        active=not data.get("disabled", False),
        created=timestamp(data.get("validAfterTime")),
        expires=timestamp(data.get("validBeforeTime")),
    )


def custom_role(data: dict[str, Any]) -> Policy | None:
    if data.get("deleted"):
        return None
    name = str(data["name"])
    owner = name.split("/roles/", 1)[0]
    return Policy(
        id=name,
        provider="gcp",
        account=owner.removeprefix("projects/"),
        name=str(data.get("title") or name.rsplit("/", 1)[-1]),
        managed_by="customer",
        document={"includedPermissions": sorted(data.get("includedPermissions") or [])},
    )


def bindings(name: str, policy: dict[str, Any]) -> list[Grant]:
    """One grant per member of each binding of an IAM policy attached to `name`."""
    grants = []
    for binding in policy.get("bindings") or []:
        condition = binding.get("condition") or None
        until = end_time(str(condition.get("expression", ""))) if condition else None
        for member in binding.get("members") or []:
            grants.append(
                Grant(
                    principal=str(member),
                    policy=str(binding["role"]),
                    kind="binding",
                    scope=name,
                    condition=condition,
                    active_until=until,
                )
            )
    return grants


def firewall(
    name: str, data: dict[str, Any], project: str
) -> tuple[NetworkGroup, list[NetworkRule]]:
    """A firewall rule as its own network group, and one network rule per protocol and range."""
    # v1beta1-era exports spell list fields in the singular (`targetTag`, `sourceRange`, `port`).
    targets = {
        key: ",".join(sorted(data.get(key) or data.get(key[:-1]) or []))
        for key in ("targetTags", "targetServiceAccounts")
        if data.get(key) or data.get(key[:-1])
    }
    group = NetworkGroup(
        id=name,
        provider="gcp",
        account=project,
        region="global",
        name=str(data.get("name") or name.rsplit("/", 1)[-1]),
        network=network_name(str(data.get("network") or "")),
        # Firewall rules carry no labels, so tags hold the API's target fields.
        tags=targets,
    )
    if data.get("disabled"):
        return group, []
    return group, _firewall_rules(name, data)


def _firewall_rules(name: str, data: dict[str, Any]) -> list[NetworkRule]:
    direction = "egress" if str(data.get("direction", "INGRESS")).upper() == "EGRESS" else "ingress"
    key = "destinationRanges" if direction == "egress" else "sourceRanges"
    # An egress rule without destination ranges applies to every destination.
    default = ["0.0.0.0/0"] if direction == "egress" else []
    peers = data.get(key) or data.get(key[:-1]) or default
    rules = []
    for action, field in (("allow", "allowed"), ("deny", "denied")):
        for entry in data.get(field) or []:
            protocol = str(entry.get("IPProtocol") or entry.get("ipProtocol") or "all").lower()
            for low, high in _port_ranges(entry.get("ports") or entry.get("port") or []):
                for peer in peers:
                    rules.append(
                        NetworkRule(
                            group=name,
                            direction=direction,  # type: ignore[arg-type]
                            action=action,  # type: ignore[arg-type]
                            protocol=protocol,
                            from_port=None if protocol == "all" else low,
                            to_port=None if protocol == "all" else high,
                            peer=str(peer),
                            peer_kind="cidr6" if ":" in str(peer) else "cidr4",
                            priority=int(data.get("priority", 1000)),
                            name=str(data.get("name") or ""),
                        )
                    )
    return rules


def _port_ranges(ports: list[Any]) -> list[tuple[int, int]]:
    if not ports:
        return [(0, 65535)]
    ranges = []
    for port in ports:
        low, _, high = str(port).partition("-")
        ranges.append((int(low), int(high or low)))
    return ranges


def network(name: str, data: dict[str, Any], project: str) -> NetworkGroup:
    return NetworkGroup(
        id=name,
        provider="gcp",
        account=project,
        region="global",
        name=str(data.get("name") or name.rsplit("/", 1)[-1]),
    )


def bucket(name: str, data: dict[str, Any], project: str) -> DataStore:
    config = data.get("iamConfiguration") or {}
    uniform = (config.get("uniformBucketLevelAccess") or {}).get("enabled")
    return DataStore(
        id=name,
        provider="gcp",
        account=project,
        region=str(data["location"]).lower() if data.get("location") else None,
        kind="gcs-bucket",
        name=str(data.get("name") or name.rsplit("/", 1)[-1]),
        acl_grants=tuple(
            {"entity": str(a.get("entity")), "role": str(a.get("role"))}
            for a in data.get("acl") or []
        ),
        tags={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
        attributes={
            "publicAccessPrevention": config.get("publicAccessPrevention", "inherited"),
            "uniformBucketLevelAccess": bool(uniform),
            "projectNumber": str(data.get("projectNumber") or ""),
        },
    )


def org_policies(name: str, policies: list[dict[str, Any]]) -> list[Policy]:
    """Organization policies set on a container, each as a policy record."""
    container = container_of(name) or relative(name)
    found = []
    for policy in policies:
        constraint = str(policy.get("constraint", ""))
        boolean = pick(policy, "boolean_policy") or {}
        found.append(
            Policy(
                id=f"{name}#{constraint}",
                provider="gcp",
                account=container,
                name=constraint,
                managed_by="customer",
                document={
                    "resource": container,
                    "constraint": constraint,
                    "enforced": boolean.get("enforced") if boolean else None,
                    "restoreDefault": pick(policy, "restore_default") is not None,
                },
            )
        )
    return found

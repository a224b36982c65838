"""Resource Graph rows (and ARM PIM list items) turned into snapshot records; pure functions.

The same transform serves live collection and `az graph query` exports, so both give the
same snapshot. Rows are the objects Resource Graph returns (`id`, `type`, `name`, `location`,
`subscriptionId`, `properties`); ARM list items of PIM schedule instances have the same shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from scanner.azure import roles
from scanner.errors import InputError
from scanner.model import DataStore, Grant, NetworkGroup, NetworkRule, Policy, Principal, Scope

log = logging.getLogger(__name__)

NSG = "microsoft.network/networksecuritygroups"
STORAGE = "microsoft.storage/storageaccounts"
ASSIGNMENT = "microsoft.authorization/roleassignments"
DEFINITION = "microsoft.authorization/roledefinitions"
ELIGIBLE_INSTANCE = "microsoft.authorization/roleeligibilityscheduleinstances"
ACTIVE_INSTANCE = "microsoft.authorization/roleassignmentscheduleinstances"
SUBSCRIPTION = "microsoft.resources/subscriptions"

# Service tags that stand for the whole Internet; every other tag is an Azure-side range.
INTERNET = ("*", "internet", "0.0.0.0/0", "::/0")
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_MANAGEMENT_GROUP = re.compile(
    r"^/providers/microsoft\.management/managementgroups/([^/]+)", re.IGNORECASE
)
PRINCIPAL_KINDS = {"user": "user", "group": "group", "serviceprincipal": "service-principal"}


@dataclass
class ArgRecords:
    """What a set of rows holds, ready to go into a snapshot."""

    scopes: dict[str, Scope] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    network_groups: list[NetworkGroup] = field(default_factory=list)
    network_rules: list[NetworkRule] = field(default_factory=list)
    data_stores: list[DataStore] = field(default_factory=list)
    tenant: str | None = None


def parse_time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time as Azure writes it (`Z`, up to seven fractional digits), or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InputError(f"expected a date-time string, got {type(value).__name__}", where=where)
    # Python reads at most six fractional digits; Graph and ARM send up to seven.
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"not an ISO 8601 date-time: {value!r}", where=where) from exc


def account_of(scope: str) -> str | None:
    """The subscription (or management group) an ARM scope belongs to."""
    match = _SUBSCRIPTION.match(scope) or _MANAGEMENT_GROUP.match(scope)
    return match.group(1).lower() if match else None


def parse_rows(rows: Iterable[Any], where: str) -> ArgRecords:
    """Transform every row; rows of other types are skipped (logged at debug level)."""
    records = ArgRecords()
    active_ends: dict[str, datetime | None] = {}
    pending: list[tuple[dict[str, Any], str]] = []
    for number, row in enumerate(rows):
        here = f"{where}: row {number}"
        kind = _row_type(row, here)
        if kind == ACTIVE_INSTANCE:
            _active_instance(records, row, here, active_ends)
        elif kind == ASSIGNMENT:
            pending.append((row, here))
        else:
            _dispatch(records, kind, row, here)
    # Assignments last: PIM schedule instances say which of them end.
    for row, here in pending:
        _assignment(records, row, here, active_ends)
    return records


def _row_type(row: Any, where: str) -> str:
    if not isinstance(row, dict):
        raise InputError(f"expected an object, got {type(row).__name__}", where=where)
    if not isinstance(row.get("id"), str) or not isinstance(row.get("type"), str):
        raise InputError("a row needs string `id` and `type` fields", where=where)
    if not isinstance(row.get("properties", {}), dict):
        raise InputError("`properties` must be an object", where=where)
    return str(row["type"]).lower()


def _dispatch(records: ArgRecords, kind: str, row: dict[str, Any], where: str) -> None:
    if row.get("tenantId") and records.tenant is None:
        records.tenant = str(row["tenantId"]).lower()
    if kind == NSG:
        _nsg(records, row, where)
    elif kind == STORAGE:
        _storage(records, row)
    elif kind == DEFINITION:
        _definition(records, row)
    elif kind == ELIGIBLE_INSTANCE:
        _eligible_instance(records, row, where)
    elif kind == SUBSCRIPTION:
        _subscription(records, row)
    else:
        log.debug("%s: skipping a row of type %s", where, kind)


def _props(row: dict[str, Any]) -> dict[str, Any]:
    return dict(row.get("properties") or {})


def _scope(records: ArgRecords, account: str, parents: tuple[str, ...] = ()) -> None:
    known = records.scopes.get(account)
    if known is None or (parents and not known.parents):
        records.scopes[account] = Scope(provider="azure", account=account, parents=parents)


def _subscription(records: ArgRecords, row: dict[str, Any]) -> None:
    account = str(row.get("subscriptionId") or row.get("name") or "").lower()
    chain = _props(row).get("managementGroupAncestorsChain") or []
    parents = tuple(str(g.get("name")).lower() for g in chain if isinstance(g, dict))
    if account:
        _scope(records, account, parents)


def _nsg(records: ArgRecords, row: dict[str, Any], where: str) -> None:
    props = _props(row)
    nsg_id = str(row["id"])
    account = account_of(nsg_id) or "unknown"
    _scope(records, account)
    attached = len(props.get("networkInterfaces") or []) + len(props.get("subnets") or [])
    records.network_groups.append(
        NetworkGroup(
            id=nsg_id,
            provider="azure",
            account=account,
            region=str(row.get("location") or "global"),
            name=str(row.get("name") or nsg_id.rsplit("/", 1)[-1]),
            attachments=attached,
            tags={str(k): str(v) for k, v in (row.get("tags") or {}).items()},
        )
    )
    rules = [*(props.get("securityRules") or []), *(props.get("defaultSecurityRules") or [])]
    for number, rule in enumerate(rules):
        records.network_rules.extend(network_rules(nsg_id, rule, f"{where}: rule {number}"))


def network_rules(nsg_id: str, rule: Any, where: str) -> list[NetworkRule]:
    """One NSG security rule as network rules: one per peer prefix and port range."""
    if not isinstance(rule, dict) or not isinstance(rule.get("properties", rule), dict):
        raise InputError("a security rule must be an object", where=where)
    props = rule.get("properties", rule)
    outbound = str(props.get("direction", "")).lower() == "outbound"
    direction: Literal["ingress", "egress"] = "egress" if outbound else "ingress"
    side = "destination" if direction == "egress" else "source"
    peers = _list(props, f"{side}AddressPrefix", f"{side}AddressPrefixes")
    ports = _list(props, "destinationPortRange", "destinationPortRanges")
    try:
        priority = int(props["priority"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError("a security rule needs a numeric `priority`", where=where) from exc
    found = []
    for peer in peers or ["*"]:
        for port in ports or ["*"]:
            low, high = _port_range(port, where)
            found.append(
                NetworkRule(
                    group=nsg_id,
                    direction=direction,
                    action="deny" if str(props.get("access", "")).lower() == "deny" else "allow",
                    protocol=str(props.get("protocol", "*")).lower(),
                    from_port=low,
                    to_port=high,
                    peer=peer,
                    peer_kind=peer_kind(peer),
                    description=props.get("description"),
                    priority=priority,
                    name=str(rule.get("name") or ""),
                )
            )
    return found


def _list(props: dict[str, Any], single: str, many: str) -> list[str]:
    values = [str(v) for v in props.get(many) or []]
    if props.get(single) not in (None, ""):
        values.insert(0, str(props[single]))
    return values


def _port_range(text: str, where: str) -> tuple[int, int]:
    if text == "*":
        return 0, 65535
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError as exc:
        raise InputError(f"not a port range: {text!r}", where=where) from exc


def peer_kind(peer: str) -> Any:
    """`any` for `*`, `cidr4`/`cidr6` for prefixes, `service-tag` for names like Internet."""
    if peer == "*":
        return "any"
    if re.fullmatch(r"[0-9.]+(/\d+)?", peer):
        return "cidr4"
    if ":" in peer:
        return "cidr6"
    return "service-tag"


def _storage(records: ArgRecords, row: dict[str, Any]) -> None:
    props = _props(row)
    store_id = str(row["id"])
    account = account_of(store_id) or "unknown"
    _scope(records, account)
    acls = props.get("networkAcls") or {}
    records.data_stores.append(
        DataStore(
            id=store_id,
            provider="azure",
            account=account,
            region=row.get("location"),
            kind="azure-storage-account",
            name=str(row.get("name") or store_id.rsplit("/", 1)[-1]),
            tags={str(k): str(v) for k, v in (row.get("tags") or {}).items()},
            attributes={
                "allowBlobPublicAccess": props.get("allowBlobPublicAccess"),
                "allowSharedKeyAccess": props.get("allowSharedKeyAccess"),
                "publicNetworkAccess": props.get("publicNetworkAccess"),
                "networkDefaultAction": acls.get("defaultAction")
                if isinstance(acls, dict)
                else None,
                "minimumTlsVersion": props.get("minimumTlsVersion"),
            },
        )
    )


def _definition(records: ArgRecords, row: dict[str, Any]) -> None:
    props = _props(row)
    policy_id = roles.role_id(str(row["id"]))
    is_builtin = str(props.get("type", "")).lower() == "builtinrole"
    records.policies[policy_id] = Policy(
        id=policy_id,
        provider="azure",
        account=records.tenant or "tenant",
        name=str(props.get("roleName") or row.get("name")),
        managed_by="provider" if is_builtin else "customer",
        document={"permissions": list(props.get("permissions") or [])},
    )


def _principal(records: ArgRecords, props: dict[str, Any], where: str) -> str:
    principal = props.get("principalId")
    if not isinstance(principal, str) or not principal:
        raise InputError("a role assignment needs a `principalId`", where=where)
    principal = principal.lower()
    kind = PRINCIPAL_KINDS.get(str(props.get("principalType", "")).lower(), "user")
    if principal not in records.principals:
        records.principals[principal] = Principal(
            id=principal,
            provider="azure",
            account=records.tenant or "tenant",
            kind=kind,  # type: ignore[arg-type]
            name=principal,
        )
    return principal


def _grant_scope(records: ArgRecords, props: dict[str, Any], where: str) -> str:
    scope = props.get("scope")
    role = props.get("roleDefinitionId")
    if not isinstance(scope, str) or not isinstance(role, str):
        raise InputError("a role assignment needs `scope` and `roleDefinitionId`", where=where)
    account = account_of(scope)
    if account is not None:
        _scope(records, account)
    return scope


def _condition(props: dict[str, Any]) -> dict[str, Any] | None:
    if not props.get("condition"):
        return None
    return {"expression": props["condition"], "version": props.get("conditionVersion")}


def _assignment(
    records: ArgRecords, row: dict[str, Any], where: str, ends: dict[str, datetime | None]
) -> None:
    props = _props(row)
    principal = _principal(records, props, where)
    scope = _grant_scope(records, props, where)
    records.grants.append(
        Grant(
            principal=principal,
            policy=roles.role_id(str(props["roleDefinitionId"])),
            kind="assignment",
            scope=scope,
            condition=_condition(props),
            active_until=ends.get(str(row["id"]).lower()),
        )
    )


def _active_instance(
    records: ArgRecords, row: dict[str, Any], where: str, ends: dict[str, datetime | None]
) -> None:
    """A PIM active assignment: its end date applies to the role assignment it created."""
    props = _props(row)
    end = parse_time(props.get("endDateTime"), f"{where}: endDateTime")
    origin = props.get("originRoleAssignmentId")
    if isinstance(origin, str) and origin:
        ends[origin.lower()] = end


def _eligible_instance(records: ArgRecords, row: dict[str, Any], where: str) -> None:
    props = _props(row)
    principal = _principal(records, props, where)
    scope = _grant_scope(records, props, where)
    records.grants.append(
        Grant(
            principal=principal,
            policy=roles.role_id(str(props["roleDefinitionId"])),
            kind="eligible",
            scope=scope,
            condition=_condition(props),
            active_until=parse_time(props.get("endDateTime"), f"{where}: endDateTime"),
        )
    )

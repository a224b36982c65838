"""Microsoft Graph responses turned into snapshot records; pure functions.

Input is a bundle of Graph v1.0 list responses, keyed by what was listed:

- `applications`, `servicePrincipals`: with `passwordCredentials` and `keyCredentials`
  (metadata only: Graph returns `secretText` only when a secret is created, and ztdrift
  never keeps a secret or a key's material even if a file carries one);
- `roleAssignments`, `roleAssignmentScheduleInstances`, `roleEligibilityScheduleInstances`,
  `roleDefinitions`: Entra directory roles under `/roleManagement/directory/`;
- `groups`: display names of groups that hold privileged roles (`id`, `displayName`);
- `owners`, `federatedIdentityCredentials`: per application object id;
- `groupMembers`: the transitive members of groups that hold privileged roles;
- `tenantId`: the tenant the responses came from.

A single list response (with its `@odata.context`) is read as the bundle it belongs in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner.azure import roles
from scanner.azure.arg_records import parse_time
from scanner.errors import InputError
from scanner.model import Credential, Grant, Policy, Principal

log = logging.getLogger(__name__)

DEFAULT_TENANT = "default-tenant"
LIST_KEYS = (
    "applications",
    "servicePrincipals",
    "roleAssignments",
    "roleAssignmentScheduleInstances",
    "roleEligibilityScheduleInstances",
    "roleDefinitions",
    "groups",
)
MAP_KEYS = ("owners", "federatedIdentityCredentials", "groupMembers")
ODATA_KINDS = {
    "#microsoft.graph.user": "user",
    "#microsoft.graph.group": "group",
    "#microsoft.graph.serviceprincipal": "service-principal",
    "#microsoft.graph.application": "application",
}
PATHS = {
    "user": "/users/",
    "group": "/groups/",
    "service-principal": "/servicePrincipals/",
    "application": "/applications/",
}


def object_path(kind: str, object_id: str) -> str:
    """The Graph path of a directory object, used as the resource of Entra findings."""
    return PATHS.get(kind, "/directoryObjects/") + object_id


@dataclass
class GraphRecords:
    """What Graph responses hold, ready to go into a snapshot."""

    tenant: str = DEFAULT_TENANT
    principals: dict[str, Principal] = field(default_factory=dict)
    credentials: list[Credential] = field(default_factory=list)
    policies: dict[str, Policy] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)


def normalize(document: Any, where: str) -> dict[str, Any]:
    """Accept a bundle, one list response, or an array of list responses."""
    if isinstance(document, list):
        bundle: dict[str, Any] = {}
        for number, item in enumerate(document):
            for key, value in normalize(item, f"{where}: item {number}").items():
                bundle.setdefault(key, value)
        return bundle
    if not isinstance(document, dict):
        raise InputError("expected a JSON object or array of Graph responses", where=where)
    context = str(document.get("@odata.context", ""))
    if context:
        found = _key_of_context(context)
        if found is None:
            raise InputError(f"unsupported Graph response {context!r}", where=where)
        return {found: document}
    if not any(k in document for k in (*LIST_KEYS, *MAP_KEYS)):
        expected = ", ".join(LIST_KEYS)
        raise InputError(f"not a Graph export: expected keys such as {expected}", where=where)
    return document


def _key_of_context(context: str) -> str | None:
    entity = context.split("#", 1)[-1].split("(", 1)[0].rstrip("/").lower()
    for key in LIST_KEYS:
        if entity == key.lower() or entity.endswith("/" + key.lower()):
            return key
    return None


def _items(bundle: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = bundle.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"`{key}` must be a list of objects (or a `value` list)", where=where)
    return value


def _mapping(bundle: dict[str, Any], key: str, where: str) -> dict[str, list[dict[str, Any]]]:
    value = bundle.get(key) or {}
    if not isinstance(value, dict):
        raise InputError(f"`{key}` must map object ids to lists", where=where)
    return {str(k).lower(): _items(value, str(k), f"{where}: {key}") for k in value}


def parse_bundle(document: Any, where: str, taken_at: datetime) -> GraphRecords:
    """Transform a Graph bundle into principals, credentials, directory roles and grants."""
    bundle = normalize(document, where)
    records = GraphRecords(tenant=str(bundle.get("tenantId") or DEFAULT_TENANT).lower())
    if records.tenant == DEFAULT_TENANT:
        log.warning("%s: no tenantId in the export; findings use %r", where, DEFAULT_TENANT)

    owners = _mapping(bundle, "owners", where)
    federated = _mapping(bundle, "federatedIdentityCredentials", where)
    for number, app in enumerate(_items(bundle, "applications", where)):
        here = f"{where}: applications[{number}]"
        _application(records, app, here, taken_at, owners, federated)
    for number, sp in enumerate(_items(bundle, "servicePrincipals", where)):
        _service_principal(records, sp, f"{where}: servicePrincipals[{number}]", taken_at)

    for number, named in enumerate(_items(bundle, "groups", where)):
        here = f"{where}: groups[{number}]"
        _add_principal(records, _directory_object(records, named, here, "group"))
    _directory_roles(records, bundle, where)
    for group, members in sorted(_mapping(bundle, "groupMembers", where).items()):
        _members(records, group, members)
    return records


def _object_id(item: dict[str, Any], where: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise InputError("a directory object needs an `id`", where=where)
    return value.lower()


def _kind_of(item: dict[str, Any], default: str) -> str:
    return ODATA_KINDS.get(str(item.get("@odata.type", "")).lower(), default)


def _add_principal(records: GraphRecords, principal: Principal) -> None:
    known = records.principals.get(principal.id)
    if known is None or known.name == known.id:
        groups = known.groups if known else ()
        records.principals[principal.id] = principal.model_copy(update={"groups": groups})


def _application(
    records: GraphRecords,
    app: dict[str, Any],
    where: str,
    taken_at: datetime,
    owners: dict[str, list[dict[str, Any]]],
    federated: dict[str, list[dict[str, Any]]],
) -> None:
    object_id = _object_id(app, where)
    owner_ids = sorted(_object_id(o, f"{where}: owner") for o in owners.get(object_id, []))
    for owner in owners.get(object_id, []):
        _add_principal(records, _directory_object(records, owner, f"{where}: owner", "user"))
    tags = {
        "appId": str(app.get("appId") or ""),
        "owners": " ".join(owner_ids),
        "federatedCredentials": str(len(federated.get(object_id, []))),
    }
    _add_principal(
        records,
        Principal(
            id=object_id,
            provider="azure",
            account=records.tenant,
            kind="application",
            name=str(app.get("displayName") or object_id),
            tags=tags,
            created=parse_time(app.get("createdDateTime"), f"{where}: createdDateTime"),
        ),
    )
    _credentials(records, app, "application", object_id, where, taken_at)


def _service_principal(
    records: GraphRecords, sp: dict[str, Any], where: str, taken_at: datetime
) -> None:
    object_id = _object_id(sp, where)
    _add_principal(
        records,
        Principal(
            id=object_id,
            provider="azure",
            account=records.tenant,
            kind="service-principal",
            name=str(sp.get("displayName") or sp.get("appDisplayName") or object_id),
            tags={"appId": str(sp.get("appId") or "")},
        ),
    )
    _credentials(records, sp, "service-principal", object_id, where, taken_at)


def _credentials(
    records: GraphRecords,
    owner: dict[str, Any],
    kind: str,
    owner_id: str,
    where: str,
    taken_at: datetime,
) -> None:
    for field_name, cred_kind, segment in (
        ("passwordCredentials", "client-secret", "passwordCredentials"),
        ("keyCredentials", "certificate", "keyCredentials"),
    ):
        items = owner.get(field_name) or []
        if not isinstance(items, list):
            raise InputError(f"`{field_name}` must be a list", where=where)
        for number, item in enumerate(items):
            here = f"{where}: {field_name}[{number}]"
            if not isinstance(item, dict) or not item.get("keyId"):
                raise InputError("a credential needs a `keyId`", where=here)
            expires = parse_time(item.get("endDateTime"), f"{here}: endDateTime")
            records.credentials.append(
                Credential(
                    id=f"{object_path(kind, owner_id)}/{segment}/{str(item['keyId']).lower()}",
                    provider="azure",
                    account=records.tenant,
                    owner=owner_id,
                    kind=cred_kind,  # type: ignore[arg-type]
                    active=expires is None or expires > taken_at,
                    created=parse_time(item.get("startDateTime"), f"{here}: startDateTime"),
                    expires=expires,
                )
            )


def _directory_object(
    records: GraphRecords, item: dict[str, Any], where: str, default: str
) -> Principal:
    object_id = _object_id(item, where)
    return Principal(
        id=object_id,
        provider="azure",
        account=records.tenant,
        kind=_kind_of(item, default),  # type: ignore[arg-type]
        name=str(item.get("displayName") or object_id),
    )


def _directory_roles(records: GraphRecords, bundle: dict[str, Any], where: str) -> None:
    for number, definition in enumerate(_items(bundle, "roleDefinitions", where)):
        here = f"{where}: roleDefinitions[{number}]"
        # Assignments name the definition by `id`; a built-in role's id is its templateId.
        template = str(definition.get("id") or definition.get("templateId") or "")
        if not template:
            raise InputError("a role definition needs an `id`", where=here)
        blocks = _permission_blocks(definition.get("rolePermissions"), here)
        _entra_policy(records, template, definition.get("displayName"), blocks)

    ends = {
        _role_key(i): parse_time(i.get("endDateTime"), f"{where}: endDateTime")
        for i in _items(bundle, "roleAssignmentScheduleInstances", where)
    }
    for kind, key in (
        ("assignment", "roleAssignments"),
        ("eligible", "roleEligibilityScheduleInstances"),
    ):
        for number, item in enumerate(_items(bundle, key, where)):
            here = f"{where}: {key}[{number}]"
            end = ends.get(_role_key(item)) if kind == "assignment" else None
            if kind == "eligible":
                end = parse_time(item.get("endDateTime"), f"{here}: endDateTime")
            _directory_grant(records, item, kind, end, here)


def _permission_blocks(value: Any, where: str) -> list[dict[str, Any]] | None:
    """A directory role's `rolePermissions` as permission blocks (actions, notActions).

    A block with a `condition` (`$SubjectIsOwner`, `$ResourceIsSelf`) allows its actions only
    on objects the holder owns or on itself, never across the tenant, so it gives no power
    and is left out. `excludedResourceActions` (documented, "not yet supported") subtract as
    an RBAC role's notActions would. None when the definition carries no permissions.
    """
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
        raise InputError("`rolePermissions` must be a list of objects", where=where)
    return [
        {
            "actions": list(block.get("allowedResourceActions") or []),
            "notActions": list(block.get("excludedResourceActions") or []),
        }
        for block in value
        if not block.get("condition")
    ]


def _role_key(item: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(item.get("principalId", "")).lower(),
        str(item.get("roleDefinitionId", "")).lower(),
        str(item.get("directoryScopeId", "/")),
    )


def _entra_policy(
    records: GraphRecords, template: str, name: Any, blocks: list[dict[str, Any]] | None
) -> None:
    """A directory role definition: its own permissions, else the built-in table's."""
    policy_id = roles.entra_role_id(template)
    builtin = roles.ENTRA_ROLES.get(template.lower())
    if blocks is None and builtin is None:
        return
    document = {"permissions": blocks} if blocks is not None else builtin[1] if builtin else {}
    records.policies[policy_id] = Policy(
        id=policy_id,
        provider="azure",
        account=records.tenant,
        name=str(name or (builtin[0] if builtin else template)),
        managed_by="provider" if builtin else "customer",
        document=document,
    )


def _directory_grant(
    records: GraphRecords, item: dict[str, Any], kind: str, end: datetime | None, where: str
) -> None:
    principal_id = item.get("principalId")
    role = item.get("roleDefinitionId")
    if not isinstance(principal_id, str) or not isinstance(role, str):
        raise InputError(
            "a role assignment needs `principalId` and `roleDefinitionId`", where=where
        )
    if isinstance(item.get("principal"), dict):
        _add_principal(records, _directory_object(records, item["principal"], where, "user"))
    elif principal_id.lower() not in records.principals:
        _add_principal(
            records,
            Principal(
                id=principal_id.lower(),
                provider="azure",
                account=records.tenant,
                kind="user",
                name=principal_id.lower(),
            ),
        )
    if roles.entra_role_id(role) not in records.policies:
        _entra_policy(records, role, None, None)
    records.grants.append(
        Grant(
            principal=principal_id.lower(),
            policy=roles.entra_role_id(role),
            kind=kind,  # type: ignore[arg-type]
            scope=str(item.get("directoryScopeId") or "/"),
            active_until=end,
        )
    )


def _members(records: GraphRecords, group: str, members: list[dict[str, Any]]) -> None:
    if group not in records.principals:
        _add_principal(
            records,
            Principal(id=group, provider="azure", account=records.tenant, kind="group", name=group),
        )
    for member in members:
        principal = _directory_object(records, member, f"groupMembers.{group}", "user")
        known = records.principals.get(principal.id, principal)
        groups = tuple(sorted({*known.groups, group}))
        records.principals[principal.id] = known.model_copy(update={"groups": groups})

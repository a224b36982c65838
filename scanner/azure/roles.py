"""Role definitions evaluated by their actions, never matched by name.

Azure RBAC: a permission block allows an action when one of its `actions` matches and none
of its `notActions` does; a role allows what any of its blocks allows. `*` is a wildcard that
also spans `/`, and actions compare case-insensitively (Azure RBAC documentation,
"Understand Azure role definitions"). Entra directory roles work the same way on their
`allowedResourceActions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal

Power = Literal["admin", "write"]

ROLE_WRITE = "Microsoft.Authorization/roleAssignments/write"
# Rewriting a role definition (one's own custom role, to `*`) is the same power as assigning.
DEFINITION_WRITE = "Microsoft.Authorization/roleDefinitions/write"
# A made-up action no role lists by name: a role allows it only through a wildcard, which
# means the role can write (almost) everything, as Contributor can.
ANY_WRITE = "Microsoft.Unlisted/anything/write"
# Directory actions that amount to administrator power: assigning roles, adding a credential
# to an application or service principal and signing in as it, or resetting another user's
# password or authentication methods and signing in as that user.
# Known shortcoming: Entra limits some roles with these actions (Helpdesk, Password and
# Authentication Administrator) to users who hold no admin role, a limit their definitions do
# not state; evaluated by permissions alone, those roles count as administrator power too.
ENTRA_ADMIN_ACTIONS = (
    "microsoft.directory/roleAssignments/allProperties/allTasks",
    "microsoft.directory/applications/credentials/update",
    "microsoft.directory/servicePrincipals/credentials/update",
    "microsoft.directory/users/password/update",
    "microsoft.directory/users/authenticationMethods/create",
    "microsoft.directory/users/authenticationMethods/basic/update",
)

ROLE_PREFIX = "/providers/Microsoft.Authorization/roleDefinitions/"
ENTRA_PREFIX = "/roleManagement/directory/roleDefinitions/"


def _block(actions: list[str], not_actions: Iterable[str] = ()) -> dict[str, Any]:
    return {"actions": actions, "notActions": list(not_actions)}


# Built-in Azure roles that matter for privilege, with their published permissions, used when
# an export or a collection does not carry the definition itself (Resource Graph lists
# built-in definitions only in some tenants).
BUILTIN_ROLES: dict[str, tuple[str, dict[str, Any]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", {"permissions": [_block(["*"])]}),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        {
            "permissions": [
                _block(
                    ["*"],
                    [
                        "Microsoft.Authorization/*/Delete",
                        "Microsoft.Authorization/*/Write",
                        "Microsoft.Authorization/elevateAccess/Action",
                        "Microsoft.Blueprint/blueprintAssignments/write",
                        "Microsoft.Blueprint/blueprintAssignments/delete",
                        "Microsoft.Compute/galleries/share/action",
                        "Microsoft.Purview/consents/write",
                        "Microsoft.Purview/consents/delete",
                    ],
                )
            ]
        },
    ),
    "18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d": (
        "User Access Administrator",
        {"permissions": [_block(["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"])]},
    ),
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": (
        "Role Based Access Control Administrator",
        {
            "permissions": [
                _block(
                    [
                        "Microsoft.Authorization/roleAssignments/write",
                        "Microsoft.Authorization/roleAssignments/delete",
                        "*/read",
                        "Microsoft.Support/*",
                    ]
                )
            ]
        },
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", {"permissions": [_block(["*/read"])]}),
}

# Built-in Entra roles by template id, with the allowedResourceActions that decide power.
# Global Administrator's real list is long; the wildcard stands for it. Roles missing here
# (Privileged Authentication Administrator, custom roles) count through their definitions,
# which the live collection reads from Microsoft Graph and an export may carry.
ENTRA_ROLES: dict[str, tuple[str, dict[str, Any]]] = {
    "62e90394-69f5-4237-9190-012177145e10": (
        "Global Administrator",
        {"permissions": [_block(["microsoft.directory/*"])]},
    ),
    "e8611ab8-c189-46e8-94e1-60213ab1f814": (
        "Privileged Role Administrator",
        {"permissions": [_block(["microsoft.directory/roleAssignments/allProperties/allTasks"])]},
    ),
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": (
        "Application Administrator",
        {
            "permissions": [
                _block(
                    [
                        "microsoft.directory/applications/credentials/update",
                        "microsoft.directory/servicePrincipals/credentials/update",
                    ]
                )
            ]
        },
    ),
    "158c047a-c907-4556-b7ef-446551a6b5f7": (
        "Cloud Application Administrator",
        {
            "permissions": [
                _block(
                    [
                        "microsoft.directory/applications/credentials/update",
                        "microsoft.directory/servicePrincipals/credentials/update",
                    ]
                )
            ]
        },
    ),
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": (
        "Directory Readers",
        {"permissions": [_block(["microsoft.directory/users/standard/read"])]},
    ),
}


def role_guid(role_definition_id: str) -> str:
    """The GUID at the end of a role definition id, lower-cased."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_id(role_definition_id: str) -> str:
    """The canonical id of an Azure role definition, wherever it was scoped.

    A role definition's GUID is unique across Azure, so the subscription prefix some APIs
    put in front of it is dropped.
    """
    return ROLE_PREFIX + role_guid(role_definition_id)


def entra_role_id(template_id: str) -> str:
    """The canonical id of an Entra directory role definition."""
    return ENTRA_PREFIX + template_id.lower()


@lru_cache(maxsize=512)
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in action.split("*")), re.IGNORECASE)


def allows(document: dict[str, Any], action: str) -> bool:
    """Whether a role definition allows one control-plane action."""
    for block in document.get("permissions") or []:
        if not isinstance(block, dict):
            continue
        granted = any(_pattern(a).fullmatch(action) for a in block.get("actions") or [])
        denied = any(_pattern(a).fullmatch(action) for a in block.get("notActions") or [])
        if granted and not denied:
            return True
    return False


def azure_power(document: dict[str, Any]) -> Power | None:
    """`admin` when the role can assign roles or rewrite role definitions (so grant itself
    Owner), `write` for Contributor-like write-everything roles, None otherwise."""
    if allows(document, ROLE_WRITE) or allows(document, DEFINITION_WRITE):
        return "admin"
    if allows(document, ANY_WRITE):
        return "write"
    return None


def entra_power(document: dict[str, Any]) -> Power | None:
    """`admin` when a directory role can assign roles or add credentials to applications."""
    if any(allows(document, action) for action in ENTRA_ADMIN_ACTIONS):
        return "admin"
    return None

"""What a role can do, judged by its exact id or its permissions, never by a part of its name.

Predefined roles are not in Cloud Asset exports, so the few whose power matters here are
listed with the permissions that matter; custom roles carry their own permission lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Policy

BASIC_ROLES = frozenset({"roles/owner", "roles/editor"})

# Predefined roles that hold administrator power over the container they are bound at: they
# change IAM policy, or mint credentials for any service account below it.
ADMIN_ROLES = frozenset(
    {
        *BASIC_ROLES,
        "roles/resourcemanager.organizationAdmin",
        "roles/resourcemanager.folderAdmin",
        "roles/resourcemanager.folderIamAdmin",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.securityAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityPoolAdmin",
    }
)

# Permissions by which one principal acts as a service account, or gives itself that.
IMPERSONATION = frozenset(
    {
        "iam.serviceAccounts.actAs",
        "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccounts.signBlob",
        "iam.serviceAccounts.signJwt",
        "iam.serviceAccounts.implicitDelegation",
        "iam.serviceAccountKeys.create",
        "iam.serviceAccounts.setIamPolicy",
    }
)

# Permissions that make a custom role administrator power where it is bound.
ADMIN_PERMISSIONS = frozenset(
    {
        "resourcemanager.organizations.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.projects.setIamPolicy",
        *IMPERSONATION,
    }
)

# The impersonation permissions of predefined roles, from the IAM roles reference. Only the
# permissions in IMPERSONATION are listed; everything else these roles hold is irrelevant here.
PREDEFINED_IMPERSONATION: dict[str, frozenset[str]] = {
    "roles/owner": IMPERSONATION,
    "roles/editor": IMPERSONATION - {"iam.serviceAccounts.setIamPolicy"},
    "roles/iam.serviceAccountAdmin": frozenset({"iam.serviceAccounts.setIamPolicy"}),
    "roles/iam.serviceAccountKeyAdmin": frozenset({"iam.serviceAccountKeys.create"}),
    "roles/iam.securityAdmin": frozenset({"iam.serviceAccounts.setIamPolicy"}),
    "roles/iam.serviceAccountUser": frozenset({"iam.serviceAccounts.actAs"}),
    "roles/iam.serviceAccountTokenCreator": frozenset(
        {
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
            "iam.serviceAccounts.implicitDelegation",
        }
    ),
    "roles/iam.workloadIdentityUser": frozenset({"iam.serviceAccounts.getAccessToken"}),
}


@dataclass(frozen=True)
class RolePower:
    """What a role means here: administrator power, and how it impersonates service accounts."""

    admin: bool
    how: str
    impersonation: frozenset[str]


def permissions_of(policy: Policy | None) -> frozenset[str]:
    """The permissions a custom role lists."""
    if policy is None:
        return frozenset()
    return frozenset(str(p) for p in policy.document.get("includedPermissions") or ())


def role_power(role: str, custom: Policy | None) -> RolePower:
    """Judge a role by its exact id when predefined, by its permissions when custom."""
    if role.startswith("roles/"):
        return RolePower(
            admin=role in ADMIN_ROLES,
            how=f"predefined role {role}",
            impersonation=PREDEFINED_IMPERSONATION.get(role, frozenset()),
        )
    permissions = permissions_of(custom)
    held = sorted(permissions & ADMIN_PERMISSIONS)
    how = f"custom role {role} holds " + ", ".join(held) if held else f"custom role {role}"
    return RolePower(admin=bool(held), how=how, impersonation=permissions & IMPERSONATION)

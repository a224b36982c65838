"""Azure records of a snapshot keyed for lookups, and the privileged grants among them.

Several imports (Resource Graph and Microsoft Graph) may each describe the same principal; the
index keeps one record per object id, preferring a display name over a bare id and joining
the groups every source saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scanner.azure import roles
from scanner.azure.arg_records import account_of
from scanner.azure.graph_records import object_path
from scanner.model import Grant, Policy, Principal, Snapshot

# A scope below a resource group (a single resource) does not give power over the estate.
_RESOURCE_SCOPE = re.compile(r"/resourcegroups/[^/]+/providers/", re.IGNORECASE)


@dataclass(frozen=True)
class PrivilegedGrant:
    """A role assignment (or eligibility) whose role can assign roles or write everything."""

    grant: Grant
    power: roles.Power
    account: str
    role_name: str
    directory: bool

    @property
    def standing(self) -> bool:
        """Active, with no end date: PIM eligibility and time-bound assignments are not."""
        return self.grant.kind == "assignment" and self.grant.active_until is None


@dataclass
class AzureIndex:
    """Principals, role definitions and grants of the Azure part of a snapshot."""

    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    tenant: str | None = None

    @classmethod
    def of(cls, snapshot: Snapshot) -> AzureIndex:
        index = cls()
        for principal in snapshot.principals:
            if principal.provider == "azure":
                index._add(principal)
        index.policies = {p.id: p for p in snapshot.policies if p.provider == "azure"}
        index.grants = [g for g in snapshot.grants if g.policy.startswith(_PREFIXES)]
        for principal in index.principals.values():
            for group in principal.groups:
                index.members.setdefault(group, []).append(principal.id)
        tenants = sorted({p.account for p in index.principals.values()} - {"tenant"})
        index.tenant = tenants[0] if tenants else None
        return index

    def _add(self, principal: Principal) -> None:
        known = self.principals.get(principal.id)
        if known is None:
            self.principals[principal.id] = principal
            return
        best = principal if known.name == known.id else known
        groups = tuple(sorted({*known.groups, *principal.groups}))
        tags = (
            {**principal.tags, **known.tags} if best is known else {**known.tags, **principal.tags}
        )
        self.principals[principal.id] = best.model_copy(update={"groups": groups, "tags": tags})

    def name(self, object_id: str) -> str:
        principal = self.principals.get(object_id)
        return principal.name if principal else object_id

    def path(self, object_id: str) -> str:
        """The Graph path of a principal: `/users/<id>`, `/servicePrincipals/<id>`, ..."""
        principal = self.principals.get(object_id)
        return object_path(principal.kind if principal else "", object_id)

    def document(self, policy_id: str) -> tuple[str, dict[str, Any]] | None:
        """A role definition's name and permissions: collected, or a known built-in role."""
        policy = self.policies.get(policy_id)
        if policy is not None:
            return policy.name, policy.document
        table = (
            roles.ENTRA_ROLES if policy_id.startswith(roles.ENTRA_PREFIX) else roles.BUILTIN_ROLES
        )
        return table.get(roles.role_guid(policy_id))

    def privileged(self) -> list[PrivilegedGrant]:
        """Every grant of a privileged role at management-group, subscription, group or tenant
        scope, in a stable order."""
        found = []
        for grant in sorted(self.grants, key=lambda g: (g.principal, g.policy, g.scope or "")):
            found.extend(self._classify(grant))
        return found

    def _classify(self, grant: Grant) -> list[PrivilegedGrant]:
        known = self.document(grant.policy)
        if known is None:
            return []
        name, document = known
        directory = grant.policy.startswith(roles.ENTRA_PREFIX)
        power = roles.entra_power(document) if directory else roles.azure_power(document)
        scope = grant.scope or "/"
        if power is None or (not directory and _RESOURCE_SCOPE.search(scope)):
            return []
        account = self._account(grant, directory)
        if account is None:
            return []
        return [PrivilegedGrant(grant, power, account, name, directory)]

    def _account(self, grant: Grant, directory: bool) -> str | None:
        if directory:
            principal = self.principals.get(grant.principal)
            return principal.account if principal else self.tenant
        return account_of(grant.scope or "")

    def service_principal_of(self, app: Principal) -> Principal | None:
        """The service principal of an application (same appId) in this tenant."""
        app_id = app.tags.get("appId")
        for principal in self.principals.values():
            if (
                principal.kind == "service-principal"
                and app_id
                and principal.tags.get("appId") == app_id
            ):
                return principal
        return None


_PREFIXES = (roles.ROLE_PREFIX, roles.ENTRA_PREFIX)

"""Small builders for hand-made snapshots, so each rule test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.findings import Finding
from scanner.model import (
    Credential,
    DataStore,
    Grant,
    NetworkGroup,
    NetworkRule,
    Policy,
    Principal,
    Scope,
    Snapshot,
    Trust,
)

ACCOUNT = "111122223333"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


class Estate:
    """A mutable bag of records that becomes a Snapshot."""

    def __init__(self, account: str = ACCOUNT) -> None:
        self.account = account
        self.principals: list[Principal] = []
        self.policies: dict[str, Policy] = {
            ADMIN_ARN: Policy(
                id=ADMIN_ARN,
                provider="aws",
                account=account,
                name="AdministratorAccess",
                managed_by="provider",
                document=ADMIN_DOC,
            )
        }
        self.grants: list[Grant] = []
        self.trusts: list[Trust] = []
        self.credentials: list[Credential] = []
        self.network_groups: list[NetworkGroup] = []
        self.network_rules: list[NetworkRule] = []
        self.data_stores: list[DataStore] = []

    def principal(self, kind: str, name: str, groups: tuple[str, ...] = ()) -> str:
        principal_arn = arn(kind, name, self.account)
        self.principals.append(
            Principal(
                id=principal_arn,
                provider="aws",
                account=self.account,
                kind=kind,  # type: ignore[arg-type]
                name=name,
                groups=tuple(arn("group", g, self.account) for g in groups),
            )
        )
        return principal_arn

    def user(self, name: str, groups: tuple[str, ...] = ()) -> str:
        return self.principal("user", name, groups)

    def inline(self, principal: str, document: dict[str, Any], name: str = "inline") -> str:
        policy_id = f"{principal}#inline/{name}"
        self.policies[policy_id] = Policy(
            id=policy_id,
            provider="aws",
            account=self.account,
            name=name,
            managed_by="inline",
            document=document,
        )
        self.grants.append(Grant(principal=principal, policy=policy_id, kind="inline"))
        return policy_id

    def managed(self, name: str, document: dict[str, Any]) -> str:
        policy_arn = f"arn:aws:iam::{self.account}:policy/{name}"
        self.policies[policy_arn] = Policy(
            id=policy_arn,
            provider="aws",
            account=self.account,
            name=name,
            managed_by="customer",
            document=document,
        )
        return policy_arn

    def attach(self, principal: str, policy: str, kind: str = "attached") -> None:
        self.grants.append(Grant(principal=principal, policy=policy, kind=kind))  # type: ignore[arg-type]

    def trust(self, role: str, trustee: str, kind: str = "aws", **conditions: Any) -> None:
        self.trusts.append(
            Trust(
                role=role,
                trustee=trustee,
                trustee_kind=kind,  # type: ignore[arg-type]
                conditions=conditions,
            )
        )

    def key(
        self,
        user: str,
        *,
        active: bool = True,
        age_days: int | None = 10,
        used_days_ago: int | None = 1,
        slot: int = 1,
    ) -> str:
        key_id = f"{user}#access-key-{slot}"
        self.credentials.append(
            Credential(
                id=key_id,
                provider="aws",
                account=self.account,
                owner=user,
                kind="access-key",
                active=active,
                last_rotated=NOW - timedelta(days=age_days) if age_days is not None else None,
                last_used=NOW - timedelta(days=used_days_ago)
                if used_days_ago is not None
                else None,
            )
        )
        return key_id

    def snapshot(self) -> Snapshot:
        return Snapshot(
            taken_at=NOW,
            scopes=(Scope(provider="aws", account=self.account, regions=("us-east-1",)),),
            principals=tuple(self.principals),
            policies=tuple(self.policies.values()),
            grants=tuple(self.grants),
            trusts=tuple(self.trusts),
            credentials=tuple(self.credentials),
            network_groups=tuple(self.network_groups),
            network_rules=tuple(self.network_rules),
            data_stores=tuple(self.data_stores),
        )

    def findings(self, family: str | None = None, **settings: Any) -> list[Finding]:
        found = analyze(self.snapshot(), now=NOW, settings=RuleSettings(**settings))
        return [f for f in found if family is None or f.family == family]


def by_resource(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource: f for f in findings}

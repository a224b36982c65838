"""long-lived-key on Azure: application secrets and certificates, and storage shared keys.

A client secret or certificate is long-lived when it is valid for longer than the maximum
(`azure.max_secret_age_days`, else `max_key_age_days`, 90 days by default) from its
creation, or is already older than that. Storage account keys never
expire, so an account that accepts Shared Key authorization (the default when the setting is
absent) holds a long-lived key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from rules.base import Context, RuleInfo
from scanner.azure.index import AzureIndex
from scanner.findings import Finding, Severity, make_finding
from scanner.model import Credential, DataStore

RATIONALE = (
    "Zero Trust authenticates workloads with short-lived, federated tokens. A client secret "
    "or certificate that lives for months works from anywhere once leaked, and storage "
    "account keys give full access to the data and never expire."
)
REMEDIATION = (
    "Use workload identity federation (a federated identity credential) or a managed "
    "identity; otherwise keep secrets short-lived. Disable Shared Key access on storage "
    "accounts and use Entra ID authorization."
)


class LongLivedKey:
    """Application and service principal credentials past the maximum, and shared keys."""

    family = "long-lived-key"
    rules = (
        RuleInfo(
            "long-lived-key/client-secret",
            "Application client secret valid for too long",
            Severity.HIGH,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "long-lived-key/certificate",
            "Application certificate credential valid for too long",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "long-lived-key/shared-key",
            "Storage account accepts Shared Key authorization",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        snapshot = context.graph.snapshot
        index = AzureIndex.of(snapshot)
        for credential in snapshot.credentials:
            if credential.provider == "azure" and credential.active:
                yield from _credential(credential, index, context)
        for store in snapshot.data_stores:
            if store.kind == "azure-storage-account" and _shared_key(store):
                yield _shared_key_finding(store)


def _reasons(credential: Credential, now: datetime, limit: int) -> list[str]:
    reasons = []
    created = credential.created
    if created is not None and credential.expires is not None:
        lifetime = (credential.expires - created).days
        if lifetime > limit:
            reasons.append(f"valid for {lifetime} days (maximum {limit})")
    elif credential.expires is None:
        reasons.append("never expires")
    if created is not None and (now - created).days > limit:
        reasons.append(f"{(now - created).days} days old")
    return reasons


def _credential(credential: Credential, index: AzureIndex, context: Context) -> Iterator[Finding]:
    settings = context.settings
    limit = settings.azure_max_secret_age_days or settings.max_key_age_days
    reasons = _reasons(credential, context.now, limit)
    if not reasons:
        return
    secret = credential.kind == "client-secret"
    owner = index.principals.get(credential.owner)
    owner_name = owner.name if owner else credential.owner
    what = "client secret" if secret else "certificate"
    yield make_finding(
        f"long-lived-key/{'client-secret' if secret else 'certificate'}",
        provider="azure",
        account=credential.account,
        resource=credential.id,
        principal=credential.owner,
        severity=Severity.HIGH if secret else Severity.MEDIUM,
        title=f"{owner_name} has a {what} that is " + ", ".join(reasons),
        path=[credential.owner, credential.id],
        evidence={
            "owner_name": owner_name,
            "owner_kind": owner.kind if owner else None,
            "app_id": owner.tags.get("appId") if owner else None,
            "federated_credentials": int(owner.tags.get("federatedCredentials", "0") or 0)
            if owner
            else 0,
            "created": credential.created.isoformat() if credential.created else None,
            "expires": credential.expires.isoformat() if credential.expires else None,
            "max_days": limit,
        },
    )


def _shared_key(store: DataStore) -> bool:
    # Azure's default: an account without allowSharedKeyAccess accepts Shared Key requests.
    return store.attributes.get("allowSharedKeyAccess") is not False


def _shared_key_finding(store: DataStore) -> Finding:
    return make_finding(
        "long-lived-key/shared-key",
        provider="azure",
        account=store.account,
        region=store.region,
        resource=store.id,
        severity=Severity.MEDIUM,
        title=f"Storage account {store.name} accepts Shared Key authorization (account keys)",
        path=[store.id],
        evidence={
            "store": store.name,
            "allowSharedKeyAccess": store.attributes.get("allowSharedKeyAccess"),
        },
    )

"""public-data on Azure: storage accounts open to anonymous blob reads or to any network.

`allowBlobPublicAccess` lets containers be made public (a container is public only when both
the account and the container allow it); an account whose `publicNetworkAccess` is Enabled (or
absent) with a default network rule of Allow (or no network rules) accepts requests from any
network. An absent `allowBlobPublicAccess` is read as false, as current API versions document.

Known shortcoming: containers are not collected, so an account that allows public blob access
is reported even when none of its containers is public yet.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import DataStore

RATIONALE = (
    "Zero Trust keeps data inside its perimeter and authenticates every request. Anonymous "
    "blob access and storage endpoints open to every network put data one URL away."
)
REMEDIATION = (
    "Disallow blob public access on the account, disable public network access (use private "
    "endpoints) or set the default network rule to Deny with explicit allowances."
)


class PublicData:
    """Storage accounts that allow anonymous blob access or accept any network."""

    family = "public-data"
    rules = (
        RuleInfo(
            "public-data/blob-public-access",
            "Storage account allows anonymous blob access",
            Severity.HIGH,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "public-data/public-network",
            "Storage account accepts requests from any network",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        for store in context.graph.snapshot.data_stores:
            if store.kind != "azure-storage-account":
                continue
            exposure = exposures(store)
            if exposure:
                yield _finding(store, exposure)


def exposures(store: DataStore) -> list[str]:
    """What makes the account public: `blob-public-access`, `public-network`, or nothing."""
    attrs = store.attributes
    found = []
    if attrs.get("allowBlobPublicAccess") is True:
        found.append("blob-public-access")
    network = str(attrs.get("publicNetworkAccess") or "Enabled").lower()
    default = str(attrs.get("networkDefaultAction") or "Allow").lower()
    if network == "enabled" and default == "allow":
        found.append("public-network")
    return found


def _finding(store: DataStore, exposure: list[str]) -> Finding:
    detail = exposure[0]
    words = {
        "blob-public-access": "allows anonymous blob access",
        "public-network": "accepts requests from any network",
    }
    return make_finding(
        f"public-data/{detail}",
        provider="azure",
        account=store.account,
        region=store.region,
        resource=store.id,
        severity=Severity.HIGH if detail == "blob-public-access" else Severity.MEDIUM,
        title=f"Storage account {store.name} " + " and ".join(words[e] for e in exposure),
        path=[store.id],
        evidence={"store": store.name, "exposure": exposure, "attributes": store.attributes},
    )

"""public-data on GCP: Cloud Storage buckets that anyone can read or write.

A bucket is public through an IAM binding of `allUsers` or `allAuthenticatedUsers`, or through
an ACL entry for them (ACLs do not apply under uniform bucket-level access). Public access
prevention, set on the bucket or enforced by the `storage.publicAccessPrevention`
organization policy on its project, folder or organization, blocks both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.gcp.names import Directory
from scanner.gcp.roles import permissions_of
from scanner.model import DataStore, Policy, Snapshot

RATIONALE = (
    "Zero Trust keeps data inside its perimeter. A bucket open to allUsers or to every Google "
    "account can be read (or changed) by anyone who finds its name."
)
REMEDIATION = (
    "Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and ACLs and set "
    'public_access_prevention = "enforced"; enforce storage.publicAccessPrevention for the '
    "organization."
)
PUBLIC = ("allUsers", "allAuthenticatedUsers")
CONSTRAINT = "constraints/storage.publicAccessPrevention"
# Predefined storage roles that let a caller create, change or delete objects or the bucket.
WRITE_ROLES = frozenset(
    {
        "roles/storage.admin",
        "roles/storage.objectAdmin",
        "roles/storage.objectCreator",
        "roles/storage.objectUser",
        "roles/storage.legacyBucketWriter",
        "roles/storage.legacyBucketOwner",
        "roles/owner",
        "roles/editor",
    }
)
WRITE_PERMISSIONS = frozenset(
    {"storage.objects.create", "storage.objects.delete", "storage.objects.update"}
)


class PublicData:
    """Buckets granted to allUsers or allAuthenticatedUsers without public access prevention."""

    family = "public-data"
    rules = (
        RuleInfo(
            "public-data/read", "Bucket readable by anyone", Severity.HIGH, RATIONALE, REMEDIATION
        ),
        RuleInfo(
            "public-data/write",
            "Bucket writable by anyone",
            Severity.CRITICAL,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        snapshot = context.graph.snapshot
        directory = Directory.of(snapshot)
        roles = {p.id: p for p in snapshot.policies if p.provider == "gcp"}
        enforced_by = _org_policies(snapshot)
        for store in snapshot.data_stores:
            if store.provider != "gcp" or store.kind != "gcs-bucket":
                continue
            exposure = _exposure(snapshot, store, roles)
            if not exposure:
                continue
            project = directory.project(store.account)
            if _prevented(store, directory.chain(project), enforced_by):
                continue
            yield _finding(store, project, exposure)


def _exposure(
    snapshot: Snapshot, store: DataStore, roles: dict[str, Policy]
) -> list[dict[str, Any]]:
    found = []
    for grant in snapshot.grants:
        if grant.kind == "binding" and grant.scope == store.id and grant.principal in PUBLIC:
            if grant.active_until is not None and grant.active_until <= snapshot.taken_at:
                continue
            write = grant.policy in WRITE_ROLES or bool(
                permissions_of(roles.get(grant.policy)) & WRITE_PERMISSIONS
            )
            found.append(
                {"via": "iam", "member": grant.principal, "role": grant.policy, "write": write}
            )
    if not store.attributes.get("uniformBucketLevelAccess"):
        for entry in store.acl_grants:
            if entry.get("entity") in PUBLIC:
                write = entry.get("role") in ("WRITER", "OWNER")
                found.append(
                    {
                        "via": "acl",
                        "member": entry["entity"],
                        "role": entry.get("role"),
                        "write": write,
                    }
                )
    return found


def _org_policies(snapshot: Snapshot) -> dict[str, bool]:
    """Whether each container enforces public access prevention, where a policy says so."""
    found: dict[str, bool] = {}
    for policy in snapshot.policies:
        if policy.provider == "gcp" and policy.document.get("constraint") == CONSTRAINT:
            enforced = policy.document.get("enforced")
            found[str(policy.document["resource"])] = bool(enforced) and not policy.document.get(
                "restoreDefault"
            )
    return found


def _prevented(store: DataStore, chain: tuple[str, ...], enforced_by: dict[str, bool]) -> bool:
    setting = str(store.attributes.get("publicAccessPrevention", "inherited")).lower()
    if setting == "enforced":
        return True
    # The nearest container with the organization policy decides; none means not enforced.
    for container in chain:
        if container in enforced_by:
            return enforced_by[container]
    return False


def _finding(store: DataStore, project: str, exposure: list[dict[str, Any]]) -> Finding:
    write = any(e["write"] for e in exposure)
    members = sorted({str(e["member"]) for e in exposure})
    what = "written" if write else "read"
    return make_finding(
        f"public-data/{'write' if write else 'read'}",
        provider="gcp",
        account=project,
        region=store.region,
        resource=store.id,
        severity=Severity.CRITICAL if write else Severity.HIGH,
        title=f"Bucket {store.name} can be {what} by {' and '.join(members)}",
        path=[*members, store.id],
        evidence={
            "bucket": store.name,
            "exposure": exposure,
            "public_access_prevention": store.attributes.get("publicAccessPrevention"),
            "uniform_bucket_level_access": store.attributes.get("uniformBucketLevelAccess"),
        },
    )

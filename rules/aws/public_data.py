"""public-data: buckets that anyone on the Internet can read or write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import DataStore
from scanner.policy import action_matches, as_list, condition_bounds, statements

RATIONALE = (
    "Zero Trust keeps data inside its perimeter: every read and write is made by an "
    "authenticated, authorised identity. A public bucket serves its data to anyone."
)
REMEDIATION = (
    "Turn on S3 Block Public Access for the bucket (and the account), and serve public content "
    "through CloudFront with origin access control instead."
)
# Condition keys that pin who the caller is or where it comes from. aws:SecureTransport and
# similar keys describe the request, not the caller, so they bound nothing.
IDENTITY_KEYS = (
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:userid",
    "aws:PrincipalServiceName",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
)
READ_ACTIONS = ("s3:GetObject", "s3:ListBucket", "s3:GetObjectVersion", "s3:GetBucketAcl")
WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:PutBucketPolicy",
    "s3:PutObjectAcl",
    "s3:PutBucketAcl",
    "s3:DeleteBucket",
)
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "anyone",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "any AWS account",
}
ACL_READ = ("READ", "FULL_CONTROL", "READ_ACP")
ACL_WRITE = ("WRITE", "FULL_CONTROL", "WRITE_ACP")


class PublicData:
    """Public bucket policies and ACLs that Block Public Access does not neutralise."""

    family = "public-data"
    rules = (
        RuleInfo(
            "public-data/read", "Bucket is publicly readable", Severity.HIGH, RATIONALE, REMEDIATION
        ),
        RuleInfo(
            "public-data/write",
            "Bucket is publicly writable",
            Severity.CRITICAL,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        for store in context.graph.snapshot.data_stores:
            if store.kind != "s3-bucket":
                continue
            exposure, via = exposure_of(store)
            if exposure:
                yield _finding(store, exposure, via)


def _blocked(store: DataStore, flag: str) -> bool:
    for config in (store.public_access_block, store.account_public_access_block):
        if config and config.get(flag):
            return True
    return False


def exposure_of(store: DataStore) -> tuple[list[str], list[str]]:
    """Which of read and write the public has, and whether by policy, ACL, or both."""
    exposure: set[str] = set()
    via: set[str] = set()
    if store.policy and not _blocked(store, "RestrictPublicBuckets"):
        found = policy_exposure(store.policy)
        exposure |= found
        if found:
            via.add("policy")
    if not _blocked(store, "IgnorePublicAcls"):
        found = acl_exposure(store.acl_grants)
        exposure |= found
        if found:
            via.add("acl")
    return sorted(exposure), sorted(via)


def _public_principal(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in [str(v) for v in as_list(value)] for value in principal.values())
    return False


def policy_exposure(policy: Mapping[str, Any]) -> set[str]:
    """Read/write exposure granted to everyone by Allow statements with no bounding condition.

    A Deny never makes anything public, so Deny statements are ignored here.
    """
    exposure: set[str] = set()
    for statement in statements(policy):
        if statement.get("Effect") != "Allow" or not _public_principal(statement):
            continue
        condition = statement.get("Condition")
        if condition and condition_bounds(condition, IDENTITY_KEYS):
            continue
        exposure |= _actions_exposure(statement)
    return exposure


def _actions_exposure(statement: Mapping[str, Any]) -> set[str]:
    found = set()
    for label, probes in (("read", READ_ACTIONS), ("write", WRITE_ACTIONS)):
        if "NotAction" in statement:
            excluded = [str(p) for p in as_list(statement["NotAction"])]
            hit = any(not any(action_matches(e, a) for e in excluded) for a in probes)
        else:
            patterns = [str(p) for p in as_list(statement.get("Action"))]
            hit = any(action_matches(p, a) for p in patterns for a in probes)
        if hit:
            found.add(label)
    return found


def acl_exposure(grants: Iterable[Mapping[str, Any]]) -> set[str]:
    """Read/write exposure from ACL grants to AllUsers or AuthenticatedUsers."""
    exposure = set()
    for grant in grants:
        if str(grant.get("grantee")) not in PUBLIC_GROUPS:
            continue
        permission = str(grant.get("permission"))
        if permission in ACL_READ:
            exposure.add("read")
        if permission in ACL_WRITE:
            exposure.add("write")
    return exposure


def _finding(store: DataStore, exposure: list[str], via: list[str]) -> Finding:
    writable = "write" in exposure
    words = {"read": "read", "write": "written"}
    what = " and ".join(words[e] for e in exposure)
    return make_finding(
        "public-data/write" if writable else "public-data/read",
        provider=store.provider,
        account=store.account,
        region=store.region,
        resource=store.id,
        severity=Severity.CRITICAL if writable else Severity.HIGH,
        title=f"Bucket {store.name} can be {what} by anyone (through its {' and '.join(via)})",
        path=[store.id],
        evidence={"bucket": store.name, "exposure": exposure, "via": via},
    )

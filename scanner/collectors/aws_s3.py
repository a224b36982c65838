"""Read S3 buckets: who may reach each bucket's data, from policy, ACL and Block Public Access.

One ListBuckets, one account-level GetPublicAccessBlock, then five calls per bucket. Bucket
tags are not read, to keep the per-bucket cost down.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from scanner.collectors.aws_errors import COLLECTION_FAILURES, gap_for
from scanner.model import DataStore, Gap

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3control import S3ControlClient

T = TypeVar("T")

NO_POLICY = frozenset({"NoSuchBucketPolicy"})
NO_ACCESS_BLOCK = frozenset({"NoSuchPublicAccessBlockConfiguration"})
# Only these canned groups make an ACL grant reach beyond the account.
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def list_buckets(s3: S3Client) -> list[str]:
    """The names of all buckets the account owns."""
    paginator = s3.get_paginator("list_buckets")
    return sorted(b["Name"] for page in paginator.paginate() for b in page.get("Buckets", []))


def fetch_account_access_block(s3control: S3ControlClient, account: str) -> dict[str, bool] | None:
    """The account-wide Block Public Access settings, or None when none are set."""
    answer = _unless_missing(
        lambda: s3control.get_public_access_block(AccountId=account), NO_ACCESS_BLOCK
    )
    return None if answer is None else _flags(answer["PublicAccessBlockConfiguration"])


def collect_bucket(
    name: str,
    *,
    account: str,
    locate: S3Client,
    client_for: Callable[[str], S3Client],
    account_access_block: dict[str, bool] | None,
) -> DataStore | Gap:
    """Read one bucket; a failure becomes a gap naming the bucket instead of stopping the scan.

    `locate` answers GetBucketLocation for any bucket; the other calls go to the bucket's
    region through `client_for`, which avoids S3's cross-region redirects.
    """
    region: str | None = None
    try:
        region = _region_of(locate, name)
        return _read_bucket(client_for(region), name, region, account, account_access_block)
    except COLLECTION_FAILURES as exc:
        return gap_for(exc, account=account, service="s3", region=region, subject=f"bucket {name}")


def _region_of(s3: S3Client, name: str) -> str:
    constraint = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
    # us-east-1 reports no constraint, and the oldest eu-west-1 buckets report 'EU'.
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def _read_bucket(
    s3: S3Client,
    name: str,
    region: str,
    account: str,
    account_access_block: dict[str, bool] | None,
) -> DataStore:
    policy = _unless_missing(lambda: s3.get_bucket_policy(Bucket=name), NO_POLICY)
    status = _unless_missing(lambda: s3.get_bucket_policy_status(Bucket=name), NO_POLICY)
    access_block = _unless_missing(lambda: s3.get_public_access_block(Bucket=name), NO_ACCESS_BLOCK)
    acl = s3.get_bucket_acl(Bucket=name)

    return DataStore(
        id=f"arn:aws:s3:::{name}",
        provider="aws",
        account=account,
        region=region,
        kind="s3-bucket",
        name=name,
        policy=None if policy is None else json.loads(policy["Policy"]),
        acl_grants=tuple(_grant(g) for g in acl.get("Grants", [])),
        policy_is_public=None if status is None else status["PolicyStatus"].get("IsPublic"),
        public_access_block=(
            None if access_block is None else _flags(access_block["PublicAccessBlockConfiguration"])
        ),
        account_public_access_block=account_access_block,
    )


def _flags(config: Mapping[str, object]) -> dict[str, bool]:
    return {key: bool(value) for key, value in config.items()}


def _grant(grant: Any) -> dict[str, Any]:
    # Keep only who and what: a group URI or canonical id, never display names or emails.
    grantee = grant.get("Grantee", {})
    who = grantee.get("URI") or grantee.get("ID") or "email-grantee"
    return {
        "grantee": who,
        "grantee_type": grantee.get("Type", "unknown"),
        "permission": grant.get("Permission", "unknown"),
        "public": who in PUBLIC_GROUPS,
    }


def _unless_missing(call: Callable[[], T], missing: frozenset[str]) -> T | None:
    """Run one read; None when S3 says the setting does not exist (not an error)."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing:
            return None
        raise

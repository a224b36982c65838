"""Which Prowler checks cover ztdrift's four concerns, and how their findings are matched.

A Prowler failure counts as found by ztdrift when a ztdrift finding of the same concern names
the same resource: as its resource or principal, on the graph path that proves it, or in its
evidence (a policy ARN Prowler flags appears in the path of every admin it makes).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

# Prowler check -> ztdrift rule family.
CONCERNS: dict[str, str] = {
    "iam_no_root_access_key": "long-lived-key",
    "iam_rotate_access_key_90_days": "long-lived-key",
    "iam_user_accesskey_unused": "long-lived-key",
    "iam_user_no_setup_initial_access_key": "long-lived-key",
    "iam_user_two_active_access_key": "long-lived-key",
    "iam_user_administrator_access_policy": "standing-admin",
    "iam_group_administrator_access_policy": "standing-admin",
    "iam_role_administratoraccess_policy": "standing-admin",
    "iam_aws_attached_policy_no_administrative_privileges": "standing-admin",
    "iam_customer_attached_policy_no_administrative_privileges": "standing-admin",
    "iam_inline_policy_no_administrative_privileges": "standing-admin",
    "ec2_securitygroup_default_restrict_traffic": "open-egress",
    "ec2_securitygroup_allow_wide_open_public_ipv4": "open-egress",
    "s3_bucket_public_access": "public-data",
    "s3_bucket_policy_public_write_access": "public-data",
    "s3_bucket_public_write_acl": "public-data",
    "s3_bucket_public_list_acl": "public-data",
}
# s3_account_level_public_access_blocks is left out on purpose: S3 Control puts the account
# id in the host name, which would make Prowler resolve '<account>.127.0.0.1' outside the
# loopback; ztdrift reads the account setting through the same API behind a loopback fix.
PROWLER_CHECKS = sorted(CONCERNS)


def prowler_failures(out_dir: Path) -> list[dict[str, str]]:
    """The FAIL results of Prowler's OCSF JSON output: check, concern and resource ARN."""
    failures = []
    for path in sorted(out_dir.glob("*.ocsf.json")):
        for item in json.loads(path.read_text()):
            if item.get("status_code") != "FAIL":
                continue
            check = item["metadata"]["event_code"]
            for resource in item.get("resources", []):
                failures.append(
                    {
                        "check": check,
                        "concern": CONCERNS.get(check, "?"),
                        "resource": resource["uid"],
                    }
                )
    return failures


def compare_findings(
    failures: list[dict[str, str]], ztdrift: list[dict[str, Any]]
) -> dict[str, Any]:
    """Counts per concern for both tools and the Prowler failures ztdrift does not report."""
    named: dict[str, set[str]] = {}
    for finding in ztdrift:
        names = named.setdefault(finding["rule"].split("/", 1)[0], set())
        names.update(_names(finding))

    missed = [f for f in failures if f["resource"] not in named.get(f["concern"], set())]
    return {
        "prowler_failures_by_concern": dict(
            sorted(Counter(f["concern"] for f in failures).items())
        ),
        "ztdrift_findings_by_concern": dict(
            sorted(Counter(f["rule"].split("/", 1)[0] for f in ztdrift).items())
        ),
        "prowler_failures_by_check": dict(sorted(Counter(f["check"] for f in failures).items())),
        "missed_by_ztdrift": missed,
    }


def _names(finding: dict[str, Any]) -> set[str]:
    """Every resource id a finding names, including inside its proof."""
    names = {finding["resource"], *(finding.get("path") or [])}
    if finding.get("principal"):
        names.add(finding["principal"])
    names.update(_strings(finding.get("evidence", {})))
    return names


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for item in value.values() for s in _strings(item)}
    if isinstance(value, list | tuple):
        return {s for item in value for s in _strings(item)}
    return set()

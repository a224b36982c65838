"""Service control policies that bound an account, when the organization can be read.

An SCP grants nothing; it caps what identities in member accounts may do. Every level from the
organization root down to the account must allow an action, and a Deny at any level wins.
SCPs do not apply to the organization's management account, so none are kept for it.

The levels are recorded as `Grant(kind="scp")` on the account's root principal, with `scope`
naming the level (`0:r-abcd` for the root, then OUs, then the account itself).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from scanner.collectors.aws_clients import AwsClients
from scanner.collectors.aws_errors import COLLECTION_FAILURES
from scanner.model import Grant, Policy

log = logging.getLogger(__name__)

# Answers that mean "no organization to read here", not a failure to report.
NOT_READABLE = {
    "AWSOrganizationsNotInUseException",
    "AccessDeniedException",
    "AccessDenied",
}


def fetch_scps(clients: AwsClients, account: str) -> tuple[list[Policy], list[Grant]]:
    """The SCPs of every level above `account`; empty when the organization cannot be read.

    Reading SCPs needs organizations read access, usually only in the management account or
    a delegated administrator; without it the scan goes on without them (logged, not a gap,
    since the scan never relied on them).
    """
    org = clients.organizations()
    try:
        described = org.describe_organization()["Organization"]
        if described.get("MasterAccountId") == account:
            return [], []
        levels = _levels(org, account)
        return _policies(org, account, levels)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in NOT_READABLE:
            log.info("service control policies not read for %s: %s", account, code)
            return [], []
        raise
    except COLLECTION_FAILURES:
        raise


def _levels(org: Any, account: str) -> list[str]:
    """Target ids from the root down to the account."""
    chain = [account]
    current = account
    while True:
        parents = org.list_parents(ChildId=current)["Parents"]
        if not parents:
            break
        current = parents[0]["Id"]
        chain.append(current)
        if parents[0]["Type"] == "ROOT":
            break
    return chain[::-1]


def _policies(org: Any, account: str, levels: list[str]) -> tuple[list[Policy], list[Grant]]:
    root = f"arn:aws:iam::{account}:root"
    policies: dict[str, Policy] = {}
    grants: list[Grant] = []
    paginator = org.get_paginator("list_policies_for_target")
    for depth, target in enumerate(levels):
        pages = paginator.paginate(TargetId=target, Filter="SERVICE_CONTROL_POLICY")
        for summary in (p for page in pages for p in page["Policies"]):
            arn = summary["Arn"]
            if arn not in policies:
                content = org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                policies[arn] = Policy(
                    id=arn,
                    provider="aws",
                    account=account,
                    name=summary["Name"],
                    managed_by="organization",
                    document=json.loads(content),
                )
            grants.append(Grant(principal=root, policy=arn, kind="scp", scope=f"{depth}:{target}"))
    return list(policies.values()), grants

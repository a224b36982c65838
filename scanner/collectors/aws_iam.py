"""Read IAM with account-wide calls: authorization details and the credential report.

Nothing is read per principal, so the number of requests does not grow with the number of
users and roles beyond the pages of GetAccountAuthorizationDetails.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scanner.collectors.aws_authz import SECTIONS, AuthzRecords, parse_authz
from scanner.collectors.aws_errors import CollectionError
from scanner.model import Credential, CredentialKind, Principal
from scanner.timeutil import parse_time

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

log = logging.getLogger(__name__)

AUTHZ_FILTER: list[Any] = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
ROOT_ROW = "<root_account>"
REPORT_POLLS = 30


def fetch_authz(iam: IAMClient, account: str) -> AuthzRecords:
    """Page through GetAccountAuthorizationDetails and merge the pages into one set of records."""
    merged = AuthzRecords(account=account)
    paginator = iam.get_paginator("get_account_authorization_details")

    for number, page in enumerate(paginator.paginate(Filter=AUTHZ_FILTER), start=1):
        # Keep only the sections: a page may omit empty ones, and metadata is not IAM data.
        sections: dict[str, Any] = {key: page.get(key, []) for key in SECTIONS}
        sections["Policies"] = [_with_name(policy) for policy in sections["Policies"]]
        records = parse_authz(sections, where=f"GetAccountAuthorizationDetails page {number}")
        merged.principals.extend(records.principals)
        merged.policies.extend(records.policies)
        merged.grants.extend(records.grants)
        merged.trusts.extend(records.trusts)
        log.debug("authorization details page %d: %d principals", number, len(records.principals))

    return _settle(merged, account)


def _with_name(policy: Any) -> Any:
    """Fill a managed policy's name from its ARN when the answer leaves it out.

    AWS always sends PolicyName; moto's GetAccountAuthorizationDetails omits it, and the
    name is the last segment of the ARN either way.
    """
    if not isinstance(policy, dict) or policy.get("PolicyName") or "Arn" not in policy:
        return policy
    return {**policy, "PolicyName": str(policy["Arn"]).rsplit("/", 1)[-1]}


def _settle(records: AuthzRecords, account: str) -> AuthzRecords:
    """Fix what a single page cannot know: the account of policy-only pages, group paths."""
    group_arns = {p.name: p.id for p in records.principals if p.kind == "group"}
    fallback_prefix = f"arn:aws:iam::{account}:group/"

    principals = []
    for principal in records.principals:
        # A user's groups may sit on another page, where the page parser guessed the ARN
        # without the group's path; the merged list knows the real one.
        groups = tuple(
            group_arns.get(arn.removeprefix(fallback_prefix), arn) for arn in principal.groups
        )
        principals.append(principal.model_copy(update={"groups": groups, "account": account}))

    policies = [p.model_copy(update={"account": account}) for p in records.policies]
    return AuthzRecords(
        account=account,
        principals=principals,
        policies=policies,
        grants=records.grants,
        trusts=records.trusts,
    )


def fetch_credential_report(iam: IAMClient, *, poll_seconds: float = 0.5) -> bytes:
    """Ask IAM to generate the credential report, wait until it is complete, and fetch it."""
    for attempt in range(REPORT_POLLS):
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            return iam.get_credential_report()["Content"]
        log.debug("credential report %s, polling again", state)
        time.sleep(min(poll_seconds * (attempt + 1), 5.0))

    raise CollectionError(f"credential report not complete after {REPORT_POLLS} polls", where="iam")


def credentials_from_report(
    content: bytes, account: str
) -> tuple[list[Credential], list[Principal]]:
    """Turn the credential report CSV into access-key credentials and the root principal.

    The report carries no key ids, so a key is named after its owner and slot (1 or 2), and
    no creation date, so `created` stays None. Known shortcomings: console passwords and
    signing certificates in the report are not recorded; the root principal appears only
    when the report has its '<root_account>' row (AWS always sends it, moto does not).
    """
    credentials: list[Credential] = []
    principals: list[Principal] = []
    root_arn = f"arn:aws:iam::{account}:root"

    for row in _rows(content):
        is_root = row.get("user") == ROOT_ROW
        owner = root_arn if is_root else row.get("arn", "")
        if not owner:
            continue
        if is_root:
            principals.append(_root_principal(row, root_arn, account))
        kind: CredentialKind = "root-access-key" if is_root else "access-key"
        for slot in (1, 2):
            credential = _access_key(row, slot, owner, kind, account)
            if credential is not None:
                credentials.append(credential)

    return credentials, principals


def _rows(content: bytes) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(content.decode("utf-8")))


def _root_principal(row: dict[str, str], root_arn: str, account: str) -> Principal:
    return Principal(
        id=root_arn,
        provider="aws",
        account=account,
        kind="root",
        name="root",
        created=parse_time(row.get("user_creation_time")),
    )


def _access_key(
    row: dict[str, str], slot: int, owner: str, kind: CredentialKind, account: str
) -> Credential | None:
    active = row.get(f"access_key_{slot}_active")
    last_rotated = parse_time(row.get(f"access_key_{slot}_last_rotated"))

    # An empty slot also reads 'false'; only a rotation date tells an inactive key from none.
    if active not in ("true", "false") or (active == "false" and last_rotated is None):
        return None

    return Credential(
        id=f"{owner}#access-key-{slot}",
        provider="aws",
        account=account,
        owner=owner,
        kind=kind,
        active=active == "true",
        last_rotated=last_rotated,
        last_used=parse_time(row.get(f"access_key_{slot}_last_used_date")),
    )

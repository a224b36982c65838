"""Turn GetAccountAuthorizationDetails output into snapshot records.

The same shape comes from the live API (one page at a time) and from the JSON that
`aws iam get-account-authorization-details` prints, so the live collector and the offline
import share this module. Every error names the place in the document (`RoleDetailList[2].Arn`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from scanner.errors import InputError
from scanner.model import Grant, Policy, Principal, Trust, TrusteeKind
from scanner.policy import as_list
from scanner.timeutil import parse_time

ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}|aws):")
SECTIONS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


@dataclass
class AuthzRecords:
    """The IAM part of a snapshot, as read from authorization details."""

    account: str
    principals: list[Principal] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)


class _Reader:
    """Reads one document and raises errors that say where in it the problem is."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, place: str, message: str) -> InputError:
        return InputError(f"{place}: {message}", where=self.where)

    def items(self, data: dict[str, Any], key: str, place: str) -> Iterator[tuple[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{place}{key}", f"expected a list, found {type(value).__name__}")
        for index, item in enumerate(value):
            here = f"{place}{key}[{index}]"
            if not isinstance(item, dict):
                raise self.fail(here, f"expected an object, found {type(item).__name__}")
            yield here, item

    def text(self, data: dict[str, Any], key: str, place: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{place}.{key}", "missing or not a string")
        return value

    def document(self, value: Any, place: str) -> dict[str, Any]:
        # The raw API URL-encodes policy documents; the CLI and boto3 decode them.
        if isinstance(value, str):
            try:
                value = json.loads(unquote(value))
            except json.JSONDecodeError as exc:
                raise self.fail(place, f"policy document is not JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise self.fail(place, "policy document must be a JSON object")
        statements = value.get("Statement")
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list):
            raise self.fail(f"{place}.Statement", "missing or not a list")
        for index, statement in enumerate(statements):
            self._check_statement(statement, f"{place}.Statement[{index}]")
        return value

    def _check_statement(self, statement: Any, place: str) -> None:
        if not isinstance(statement, dict):
            raise self.fail(place, "statement must be an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise self.fail(f"{place}.Effect", "must be 'Allow' or 'Deny'")
        if ("Action" in statement) == ("NotAction" in statement):
            raise self.fail(place, "needs exactly one of Action or NotAction")
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in statement and not _strings(statement[key]):
                raise self.fail(f"{place}.{key}", "must be a string or a list of strings")
        condition = statement.get("Condition")
        if condition is not None and not (
            isinstance(condition, dict) and all(isinstance(v, dict) for v in condition.values())
        ):
            raise self.fail(f"{place}.Condition", "must map operators to objects of keys")


def _strings(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def parse_authz(data: Any, *, where: str) -> AuthzRecords:
    """Parse one authorization-details document (or one page of it).

    `where` names the source (a file path or 'GetAccountAuthorizationDetails') for errors.
    """
    reader = _Reader(where)
    if not isinstance(data, dict) or not any(key in data for key in SECTIONS):
        raise InputError(
            "not an IAM authorization-details document (expected keys " + ", ".join(SECTIONS) + ")",
            where=where,
            hint="export it with: aws iam get-account-authorization-details > authz.json",
        )

    account = _account_of(data, reader)
    records = AuthzRecords(account=account)
    group_arns = {
        item.get("GroupName"): item.get("Arn")
        for _, item in reader.items(data, "GroupDetailList", "")
    }
    for place, item in reader.items(data, "UserDetailList", ""):
        _read_user(item, place, reader, records, group_arns)
    for place, item in reader.items(data, "GroupDetailList", ""):
        _read_identity(item, place, reader, records, "group", "Group", groups=())
    for place, item in reader.items(data, "RoleDetailList", ""):
        _read_role(item, place, reader, records)
    for place, item in reader.items(data, "Policies", ""):
        records.policies.append(_read_managed_policy(item, place, reader, account))
    return records


def _account_of(data: dict[str, Any], reader: _Reader) -> str:
    accounts: set[str] = set()
    for section in SECTIONS[:3]:
        for place, item in reader.items(data, section, ""):
            match = ARN_ACCOUNT.match(reader.text(item, "Arn", place))
            if not match:
                raise reader.fail(f"{place}.Arn", f"not an IAM ARN: {item['Arn']!r}")
            accounts.add(match.group(1))
    if len(accounts) > 1:
        raise reader.fail("", f"principals of several accounts in one file: {sorted(accounts)}")
    if not accounts:
        # Policies alone do not say whose account this is; an empty account is still valid.
        return "unknown"
    return accounts.pop()


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in item.get("Tags") or []}


def _read_user(
    item: dict[str, Any],
    place: str,
    reader: _Reader,
    records: AuthzRecords,
    group_arns: dict[Any, Any],
) -> None:
    account = records.account
    groups = []
    for name in item.get("GroupList") or []:
        groups.append(group_arns.get(name) or f"arn:aws:iam::{account}:group/{name}")
    _read_identity(item, place, reader, records, "user", "User", groups=tuple(groups))


def _read_identity(
    item: dict[str, Any],
    place: str,
    reader: _Reader,
    records: AuthzRecords,
    kind: str,
    prefix: str,
    groups: tuple[str, ...],
) -> str:
    arn = reader.text(item, "Arn", place)
    records.principals.append(
        Principal(
            id=arn,
            provider="aws",
            account=records.account,
            kind=kind,  # type: ignore[arg-type]
            name=reader.text(item, f"{prefix}Name", place),
            groups=groups,
            tags=_tags(item),
            created=parse_time(item.get("CreateDate")),
        )
    )

    for here, inline in reader.items(item, f"{prefix}PolicyList", place + "."):
        name = reader.text(inline, "PolicyName", here)
        policy_id = f"{arn}#inline/{name}"
        document = reader.document(inline.get("PolicyDocument"), f"{here}.PolicyDocument")
        records.policies.append(
            Policy(
                id=policy_id,
                provider="aws",
                account=records.account,
                name=name,
                managed_by="inline",
                document=document,
            )
        )
        records.grants.append(Grant(principal=arn, policy=policy_id, kind="inline"))

    for here, attached in reader.items(item, "AttachedManagedPolicies", place + "."):
        policy_arn = reader.text(attached, "PolicyArn", here)
        records.grants.append(Grant(principal=arn, policy=policy_arn, kind="attached"))

    boundary = item.get("PermissionsBoundary")
    if isinstance(boundary, dict) and boundary.get("PermissionsBoundaryArn"):
        records.grants.append(
            Grant(principal=arn, policy=boundary["PermissionsBoundaryArn"], kind="boundary")
        )
    return arn


def _read_role(item: dict[str, Any], place: str, reader: _Reader, records: AuthzRecords) -> None:
    arn = _read_identity(item, place, reader, records, "role", "Role", groups=())
    trust_place = f"{place}.AssumeRolePolicyDocument"
    document = reader.document(item.get("AssumeRolePolicyDocument"), trust_place)
    records.trusts.extend(trusts_from_document(arn, document))


def _read_managed_policy(item: dict[str, Any], place: str, reader: _Reader, account: str) -> Policy:
    arn = reader.text(item, "Arn", place)
    default = item.get("DefaultVersionId")
    document: dict[str, Any] | None = None
    others: list[dict[str, Any]] = []
    for here, version in reader.items(item, "PolicyVersionList", place + "."):
        parsed = reader.document(version.get("Document"), f"{here}.Document")
        if document is None and (
            version.get("IsDefaultVersion") or version.get("VersionId") == default
        ):
            document = parsed
        else:
            others.append(parsed)
    if document is None:
        raise reader.fail(f"{place}.PolicyVersionList", "no default policy version")
    customer = ":aws:policy/" not in arn
    return Policy(
        id=arn,
        provider="aws",
        account=account,
        name=reader.text(item, "PolicyName", place),
        managed_by="customer" if customer else "provider",
        document=document,
        # AWS-managed policies' old versions are AWS's to choose; only customers' can be set.
        other_versions=tuple(others) if customer else (),
    )


def trusts_from_document(role: str, document: dict[str, Any]) -> list[Trust]:
    """Turn a role's trust policy into one Trust per trustee of an Allow statement.

    An unconditional Deny naming a trustee removes it; NotPrincipal in an Allow trusts
    everyone but the named principals, so it is recorded as trust in anyone.
    """
    denied: set[str] = set()
    trusts: list[Trust] = []
    for statement in as_list(document.get("Statement")):
        trustees = list(_trustees(statement))
        actions = tuple(str(a) for a in as_list(statement.get("Action")) or ["sts:AssumeRole"])
        if statement.get("Effect") == "Deny":
            if not statement.get("Condition"):
                denied.update(trustee for trustee, _ in trustees)
            continue
        for trustee, kind in trustees:
            trusts.append(
                Trust(
                    role=role,
                    trustee=trustee,
                    trustee_kind=kind,
                    actions=actions,
                    conditions=statement.get("Condition") or {},
                )
            )
    return [t for t in trusts if t.trustee not in denied]


def _trustees(statement: dict[str, Any]) -> Iterable[tuple[str, TrusteeKind]]:
    if "NotPrincipal" in statement:
        yield "*", "any"
        return
    principal = statement.get("Principal")
    if principal == "*":
        yield "*", "any"
        return
    if not isinstance(principal, dict):
        return
    for value in as_list(principal.get("AWS")):
        yield _aws_trustee(str(value))
    for value in as_list(principal.get("Service")):
        yield str(value), "service"
    for value in as_list(principal.get("Federated")):
        yield str(value), "federated"


def _aws_trustee(value: str) -> tuple[str, TrusteeKind]:
    if value == "*":
        return "*", "any"
    if re.fullmatch(r"\d{12}", value):
        return f"arn:aws:iam::{value}:root", "account"
    if value.endswith(":root"):
        return value, "account"
    return value, "aws"

"""long-lived-key: active static credentials (IAM user access keys, root keys)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import Credential

RATIONALE = (
    "Zero Trust authenticates with short-lived, federated credentials. A static access key "
    "works from anywhere until someone revokes it, and leaked keys are the most common way "
    "into cloud accounts."
)
REMEDIATION = (
    "Replace the key with federation (OIDC from CI, IAM Identity Center for people, instance "
    "or task roles for workloads), then deactivate and delete it."
)
ROOT_REMEDIATION = "Delete the root user's access keys; the root user should never have any."


class LongLivedKey:
    """Active access keys; older or unused keys and root keys are worse."""

    family = "long-lived-key"
    rules = (
        RuleInfo(
            "long-lived-key/access-key",
            "Active IAM user access key",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "long-lived-key/root",
            "Active root access key",
            Severity.CRITICAL,
            RATIONALE,
            ROOT_REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        for credential in context.graph.snapshot.credentials:
            if credential.provider != "aws" or not credential.active:
                continue
            if credential.kind == "root-access-key":
                yield _root_finding(credential)
            elif credential.kind == "access-key":
                yield _key_finding(credential, context)


def _days(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, (now - since).days)


def _key_finding(credential: Credential, context: Context) -> Finding:
    now = context.now
    settings = context.settings
    age = _days(credential.last_rotated or credential.created, now)
    idle = _days(credential.last_used, now)
    owner_name = credential.owner.rsplit("/", 1)[-1]
    slot = credential.id.rsplit("-", 1)[-1] if "#access-key-" in credential.id else None

    reasons = []
    if age is not None and age > settings.max_key_age_days:
        reasons.append(f"{age} days old (maximum {settings.max_key_age_days})")
    if idle is not None and idle > settings.unused_key_days:
        reasons.append(f"unused for {idle} days")
    if credential.last_used is None and age is not None and age > settings.unused_key_days:
        reasons.append("never used")
    severity = Severity.HIGH if reasons else Severity.MEDIUM

    title = f"Active access key on user {owner_name}"
    if reasons:
        title += ": " + ", ".join(reasons)
    return make_finding(
        "long-lived-key/access-key",
        provider=credential.provider,
        account=credential.account,
        resource=credential.id,
        principal=credential.owner,
        severity=severity,
        title=title,
        path=[credential.owner, credential.id],
        evidence={
            "owner_name": owner_name,
            "slot": int(slot) if slot and slot.isdigit() else None,
            "age_days": age,
            "last_used": credential.last_used.isoformat() if credential.last_used else None,
        },
    )


def _root_finding(credential: Credential) -> Finding:
    return make_finding(
        "long-lived-key/root",
        provider=credential.provider,
        account=credential.account,
        resource=credential.id,
        principal=credential.owner,
        severity=Severity.CRITICAL,
        title=f"Root user of account {credential.account} has an active access key",
        path=[credential.owner, credential.id],
        evidence={"owner_name": "root", "slot": None, "age_days": None, "last_used": None},
    )

"""long-lived-key on GCP: user-managed service-account keys that are enabled."""

from __future__ import annotations

from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import Credential

RATIONALE = (
    "Zero Trust authenticates workloads with short-lived tokens. A downloaded service-account "
    "key works from anywhere until it is deleted, and leaked keys are a common way in."
)
REMEDIATION = (
    "Use workload identity federation (GitHub Actions, other clouds) or attached service "
    "accounts instead, then delete the key. Enforce iam.disableServiceAccountKeyCreation."
)


class LongLivedKey:
    """Enabled user-managed keys of enabled service accounts; old ones are worse."""

    family = "long-lived-key"
    rules = (
        RuleInfo(
            "long-lived-key/service-account-key",
            "Enabled user-managed service-account key",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        disabled = {
            p.id
            for p in context.graph.snapshot.principals
            if p.provider == "gcp" and p.tags.get("disabled") == "true"
        }
        for credential in context.graph.snapshot.credentials:
            if credential.provider != "gcp" or credential.kind != "service-account-key":
                continue
            expired = credential.expires is not None and credential.expires <= context.now
            if credential.active and not expired and credential.owner not in disabled:
                yield _finding(credential, context)


def _finding(credential: Credential, context: Context) -> Finding:
    limit = context.settings.max_key_age_days
    age = None if credential.created is None else max(0, (context.now - credential.created).days)
    old = age is not None and age > limit
    owner = credential.owner.split(":", 1)[-1]
    title = f"Enabled key on service account {owner}"
    if old:
        title += f": {age} days old (maximum {limit})"
    return make_finding(
        "long-lived-key/service-account-key",
        provider="gcp",
        account=credential.account,
        resource=credential.id,
        principal=credential.owner,
        severity=Severity.HIGH if old else Severity.MEDIUM,
        title=title,
        path=[credential.owner, credential.id],
        evidence={
            "owner_name": owner,
            "key_id": credential.id.rsplit("/", 1)[-1],
            "age_days": age,
            "created": credential.created.isoformat() if credential.created else None,
            "expires": credential.expires.isoformat() if credential.expires else None,
        },
    )

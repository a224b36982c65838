"""long-lived-key on GCP: delete the `google_service_account_key` block that made the key.

Without a state file a block cannot say which of an account's keys it made, so an account
with more than one key finding, or more than one key block, gets a waiver proposal instead.
"""

from __future__ import annotations

from remediators.edits import delete_lines
from remediators.fixes import Context, Fix, NoFix, by_state, only
from remediators.terraform_index import TfResource
from scanner.findings import Finding

KEY_TYPE = "google_service_account_key"


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Delete the one key block of this key's service account."""
    finding = findings[0]
    email = str(finding.evidence.get("owner_name") or "")
    pinned = by_state(ctx, finding.resource.rsplit("/", 1)[-1], KEY_TYPE)
    if pinned is not None:
        block = only(pinned)
    elif ctx.findings_by_family.get(f"long-lived-key:{email}", 0) == 1:
        block = only([k for k in ctx.index.of_type(KEY_TYPE) if _owned_by(ctx, k, email)])
    else:
        block = None
    if block is None:
        return NoFix(f"no single `{KEY_TYPE}` block for this key, and no state to decide")
    edit = delete_lines(block.file.path, block.file.text, block.block.start, block.block.end)
    change = f"Delete `{block.address}` in `{block.file.path}` (the service account's key)."
    return Fix((edit,), (change,))


def _owned_by(ctx: Context, key: TfResource, email: str) -> bool:
    """`service_account_id` names the account: a literal email or name, or a reference."""
    literal = key.literal("service_account_id")
    if literal is not None:
        return literal == email or literal.endswith(f"/serviceAccounts/{email}")
    account_id = ctx.index.resolve(
        key, "service_account_id", "google_service_account", "account_id"
    )
    if account_id is not None:
        return email.split("@", 1)[0] == account_id
    expr = key.expr("service_account_id") or ""
    for account in ctx.index.of_type("google_service_account"):
        prefix = f"google_service_account.{account.name}."
        if expr.strip().startswith(prefix) and account.literal("account_id") == email.split("@")[0]:
            return True
    return False

"""long-lived-key: delete the `aws_iam_access_key` block that created the key."""

from __future__ import annotations

from remediators.edits import delete_lines
from remediators.fixes import Context, Fix, NoFix, arn_name, by_state, only
from remediators.terraform_index import TfResource
from scanner.findings import Finding

KEY_TYPE = "aws_iam_access_key"


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Delete the one key block for this key; anything less than certain is no fix."""
    finding = findings[0]
    if finding.rule.endswith("/root") or (finding.principal or "").endswith(":root"):
        return NoFix("root user access keys cannot be managed with Terraform")
    owner = str(finding.evidence.get("owner_name") or arn_name(finding.principal or ""))

    pinned = by_state(ctx, finding.resource, KEY_TYPE)
    if pinned is not None:
        block = only(pinned)
        if block is None:
            return NoFix("the Terraform state does not pin this key to a single resource block")
    else:
        block = _by_owner(owner, ctx)
        if block is None:
            return NoFix(f"no single `{KEY_TYPE}` block for this user, and no state to decide")

    edit = delete_lines(block.file.path, block.file.text, block.block.start, block.block.end)
    change = f"Delete `{block.address}` in `{block.file.path}` (the user's access key)."
    return Fix((edit,), (change,))


def _by_owner(owner: str, ctx: Context) -> TfResource | None:
    """The key block of a user who has exactly one key finding and exactly one key block.

    Without state a block cannot say which of a user's two keys it made, so a user with two
    key findings (or two key blocks) is never matched.
    """
    if ctx.findings_by_family.get(f"long-lived-key:{owner}", 0) != 1:
        return None
    index = ctx.index
    keys = [
        k
        for k in index.of_type(KEY_TYPE)
        if index.resolve(k, "user", "aws_iam_user", "name") == owner
    ]
    return only(keys)

"""standing-admin: take the admin policy away from the principal that directly holds it.

Several findings can share one holder (a role with admin, and every user who can assume it);
one change to the holder fixes them all. Every admin policy of the holder must be found in
code, or nothing is edited: a half-removed grant still leaves standing admin.

Matching here uses names in code only, not the state file: a holder whose name is computed
(a variable, `name_prefix`) is not matched and gets a waiver proposal instead.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, remove_list_element
from remediators.fixes import Context, Fix, NoFix, arn_name, is_ref_to, list_literals
from remediators.hcl_scan import string_literal
from remediators.terraform_index import TfResource
from scanner.findings import Finding

KINDS = ("user", "group", "role")


def holder_of(finding: Finding) -> str:
    """The ARN that directly holds the admin policy (the finding's own principal if unknown)."""
    return str(finding.evidence.get("holder") or finding.principal or finding.resource)


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Remove every admin attachment of the holder, or nothing."""
    holder = holder_of(findings[0])
    kind = holder.split(":", 5)[-1].split("/", 1)[0]
    if kind not in KINDS:
        return NoFix("the admin policy is held by a principal Terraform cannot name")
    name = str(findings[0].evidence.get("holder_name") or arn_name(holder))
    policies = sorted({str(p) for f in findings for p in f.evidence.get("admin_policies") or []})
    if not policies:
        return NoFix("the finding does not say which policy grants admin")

    edits: list[Edit] = []
    changes: list[str] = []
    for policy in policies:
        found = _grants(ctx, kind, name, policy)
        if not found:
            return NoFix("an admin policy of this principal is not attached in Terraform code")
        for edit, change in found:
            edits.append(edit)
            changes.append(change)
    return Fix(tuple(edits), tuple(changes))


def _grants(ctx: Context, kind: str, name: str, policy: str) -> list[tuple[Edit, str]]:
    if "#inline/" in policy:
        return _inline(ctx, kind, name, policy.split("#inline/", 1)[1])
    found = _attachments(ctx, kind, name, policy)
    found += _shared_attachments(ctx, kind, name, policy)
    if kind == "role":
        found += _managed_arns(ctx, name, policy)
    return found


def _holds(ctx: Context, res: TfResource, kind: str, name: str) -> bool:
    return ctx.index.resolve(res, kind, f"aws_iam_{kind}", "name") == name


def _is_policy(ctx: Context, res: TfResource, expr: str, policy: str) -> bool:
    """True if `expr` means the policy ARN: a literal, or a policy resource or data source."""
    if string_literal(expr) == policy:
        return True
    for cand in ctx.index.of_type("aws_iam_policy", mode="data") + ctx.index.of_type(
        "aws_iam_policy"
    ):
        if cand.directory != res.directory or not is_ref_to(expr, cand):
            continue
        if cand.literal("arn") == policy:
            return True
        same_account = policy.startswith("arn:aws:iam::aws:") == (cand.mode == "data")
        if same_account and cand.literal("name") == arn_name(policy):
            return True
    return False


def _attachments(ctx: Context, kind: str, name: str, policy: str) -> list[tuple[Edit, str]]:
    found = []
    for res in ctx.index.of_type(f"aws_iam_{kind}_policy_attachment"):
        expr = res.expr("policy_arn") or ""
        if not res.repeated and _holds(ctx, res, kind, name) and _is_policy(ctx, res, expr, policy):
            edit = delete_lines(res.file.path, res.file.text, res.block.start, res.block.end)
            found.append((edit, f"Delete `{res.address}` in `{res.file.path}`."))
    return found


def _shared_attachments(ctx: Context, kind: str, name: str, policy: str) -> list[tuple[Edit, str]]:
    """`aws_iam_policy_attachment` lists many principals: drop ours, or the block if only ours."""
    found = []
    for res in ctx.index.of_type("aws_iam_policy_attachment"):
        if res.repeated or not _is_policy(ctx, res, res.expr("policy_arn") or "", policy):
            continue
        members = list_literals(res, f"{kind}s") or []
        ours = [i for i, (value, _) in enumerate(members) if value == name]
        if len(ours) != 1:
            continue
        others = sum(len(list_literals(res, f"{k}s") or []) for k in KINDS) - 1
        if others == 0:
            edit = delete_lines(res.file.path, res.file.text, res.block.start, res.block.end)
            found.append((edit, f"Delete `{res.address}` in `{res.file.path}`."))
        else:
            spans = [span for _, span in members]
            edit = remove_list_element(res.file.path, res.file.text, spans, ours[0])
            change = f"Remove this {kind} from `{res.address}.{kind}s` in `{res.file.path}`."
            found.append((edit, change))
    return found


def _managed_arns(ctx: Context, name: str, policy: str) -> list[tuple[Edit, str]]:
    found = []
    for res in ctx.index.of_type("aws_iam_role"):
        if res.repeated or res.literal("name") != name:
            continue
        members = list_literals(res, "managed_policy_arns") or []
        text = res.file.text
        hits = [
            i for i, (_, (s, e)) in enumerate(members) if _is_policy(ctx, res, text[s:e], policy)
        ]
        if len(hits) == 1:
            spans = [span for _, span in members]
            edit = remove_list_element(res.file.path, text, spans, hits[0])
            found.append(
                (edit, f"Remove the admin policy from `{res.address}.managed_policy_arns`.")
            )
    return found


def _inline(ctx: Context, kind: str, name: str, policy_name: str) -> list[tuple[Edit, str]]:
    found = []
    for res in ctx.index.of_type(f"aws_iam_{kind}_policy"):
        if not res.repeated and _holds(ctx, res, kind, name) and res.literal("name") == policy_name:
            edit = delete_lines(res.file.path, res.file.text, res.block.start, res.block.end)
            found.append((edit, f"Delete the inline policy `{res.address}` in `{res.file.path}`."))
    if kind != "role":
        return found
    for res in ctx.index.of_type("aws_iam_role"):
        if res.repeated or res.literal("name") != name:
            continue
        for nested in res.block.children("inline_policy"):
            literal = nested.attribute("name")
            text = res.file.text
            if (
                literal
                and string_literal(text[literal.value_start : literal.value_end]) == policy_name
            ):
                edit = delete_lines(res.file.path, text, nested.start, nested.end)
                found.append((edit, f"Remove the `inline_policy` block from `{res.address}`."))
    return found

"""open-egress: remove egress rules open to the whole internet from a security group.

When the last `egress` block of an `aws_security_group` goes, the patch writes `egress = []`:
the argument is processed in attribute-as-blocks mode, so leaving it out would leave the
existing rules in place instead of removing them.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, newline_of, remove_list_element
from remediators.fixes import Context, Fix, NoFix, by_state, is_ref_to, only
from remediators.hcl_scan import Block, list_elements, string_literal
from remediators.terraform_index import TfResource
from scanner.findings import Finding

OPEN = ("0.0.0.0/0", "::/0")
CIDR_LISTS = ("cidr_blocks", "ipv6_cidr_blocks")
OTHER_PEERS = ("security_groups", "prefix_list_ids", "self", "source_security_group_id")


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Remove the open egress of the group, inline or as standalone rule resources."""
    finding = findings[0]
    group_id = str(finding.evidence.get("group_id") or finding.resource.rsplit("/", 1)[-1])
    group = _group(ctx, finding, group_id)

    edits: list[Edit] = []
    changes: list[str] = []
    if group is not None:
        if group.block.attribute("egress") is not None:
            return NoFix("the group sets `egress = [...]` as an attribute, which is not edited")
        _inline(group, edits, changes)
    _standalone(ctx, group, group_id, edits, changes)
    if not edits:
        return NoFix("no open egress rule of this security group was found in Terraform code")
    return Fix(tuple(edits), tuple(changes))


def _group(ctx: Context, finding: Finding, group_id: str) -> TfResource | None:
    pinned = by_state(ctx, group_id, "aws_security_group")
    if pinned:
        return only(pinned)
    name = finding.evidence.get("group_name")
    return only([g for g in ctx.index.of_type("aws_security_group") if g.literal("name") == name])


def _open_lists(text: str, block: Block) -> tuple[list[Edit], bool]:
    """Edits removing open CIDRs from a rule's lists, and whether any other peer remains."""
    edits: list[Edit] = []
    remaining = any(block.attribute(a) for a in OTHER_PEERS)
    path = ""
    for name in CIDR_LISTS:
        attr = block.attribute(name)
        spans = None if attr is None else list_elements(text, attr.value_start, attr.value_end)
        if spans is None:
            remaining = remaining or attr is not None
            continue
        values = [string_literal(text[s:e]) for s, e in spans]
        hits = [i for i, v in enumerate(values) if v in OPEN]
        remaining = remaining or len(hits) < len(values)
        # Remove from the end so earlier spans stay valid when two open CIDRs share a list.
        for i in reversed(hits):
            edits.append(remove_list_element(path, text, spans, i))
            spans = spans[:i] + spans[i + 1 :]
    return edits, remaining


def _inline(group: TfResource, edits: list[Edit], changes: list[str]) -> None:
    text = group.file.text
    blocks = group.block.children("egress")
    removed = 0
    for block in blocks:
        list_edits, remaining = _open_lists(text, block)
        if not list_edits:
            continue
        if remaining:
            edits.extend(Edit(group.file.path, e.start, e.end, e.replacement) for e in list_edits)
            changes.append(
                f"Remove `0.0.0.0/0`/`::/0` from an `egress` block of `{group.address}`."
            )
            continue
        removed += 1
        edit = delete_lines(group.file.path, text, block.start, block.end)
        if removed == len(blocks):
            indent = text[text.rfind("\n", 0, block.start) + 1 : block.start]
            edit = Edit(edit.path, edit.start, edit.end, f"{indent}egress = []{newline_of(text)}")
        edits.append(edit)
        changes.append(f"Delete an `egress` block open to the internet from `{group.address}`.")
    if removed and removed == len(blocks):
        changes.append(f"Declare `egress = []` on `{group.address}`: no outbound traffic at all.")


def _targets(ctx: Context, res: TfResource, group: TfResource | None, group_id: str) -> bool:
    expr = res.expr("security_group_id") or ""
    if string_literal(expr) == group_id:
        return True
    return group is not None and res.directory == group.directory and is_ref_to(expr, group)


def _standalone(
    ctx: Context, group: TfResource | None, group_id: str, edits: list[Edit], changes: list[str]
) -> None:
    for res in ctx.index.of_type("aws_security_group_rule"):
        if (
            res.repeated
            or res.literal("type") != "egress"
            or not _targets(ctx, res, group, group_id)
        ):
            continue
        list_edits, remaining = _open_lists(res.file.text, res.block)
        if list_edits and not remaining:
            edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
            changes.append(f"Delete `{res.address}` in `{res.file.path}`.")
        elif list_edits:
            edits.extend(Edit(res.file.path, e.start, e.end, e.replacement) for e in list_edits)
            changes.append(f"Remove `0.0.0.0/0`/`::/0` from `{res.address}`.")
    for res in ctx.index.of_type("aws_vpc_security_group_egress_rule"):
        if res.repeated or not _targets(ctx, res, group, group_id):
            continue
        if res.literal("cidr_ipv4") in OPEN or res.literal("cidr_ipv6") in OPEN:
            edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
            changes.append(f"Delete `{res.address}` in `{res.file.path}`.")

"""open-egress on Azure: deny the Internet outbound on the NSG, and drop explicit opens.

Explicit outbound allows to the Internet that the finding names are deleted (inline
`security_rule` blocks or standalone `azurerm_network_security_rule` resources). When the
default AllowInternetOutBound is what opens egress, a deny rule for the `Internet` service tag
at priority 4096 (the last custom priority, still ahead of every default rule) is added:
inline when the group declares its rules inline, since azurerm manages a group's rules either
inline or standalone but not both, otherwise as a standalone rule resource.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, newline_of
from remediators.fix_azure_hcl import after_block, by_name
from remediators.fixes import Context, Fix, NoFix
from remediators.hcl_scan import Block
from remediators.terraform_index import TfResource
from scanner.findings import Finding

NSG = "azurerm_network_security_group"
RULE = "azurerm_network_security_rule"
DENY_PRIORITY = 4096
DENY_NAME = "DenyInternetOutbound"
DENY_FIELDS = (
    ("name", f'"{DENY_NAME}"'),
    ("priority", str(DENY_PRIORITY)),
    ("direction", '"Outbound"'),
    ("access", '"Deny"'),
    ("protocol", '"*"'),
    ("source_port_range", '"*"'),
    ("destination_port_range", '"*"'),
    ("source_address_prefix", '"*"'),
    ("destination_address_prefix", '"Internet"'),
)


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Remove the explicit open rules the finding names and deny the Internet outbound."""
    finding = findings[0]
    group = by_name(ctx, NSG, str(finding.evidence.get("group_name")), finding.resource)
    if group is None:
        return NoFix(f"the NSG is not managed by a single `{NSG}` block")
    rules = [r for r in finding.evidence.get("rules") or [] if isinstance(r, dict)]
    explicit = sorted({str(r.get("name")) for r in rules if not r.get("default")})

    edits: list[Edit] = []
    changes: list[str] = []
    inline = group.block.children("security_rule")
    for name in explicit:
        if not _remove(ctx, group, inline, name, edits):
            return NoFix(f"the rule {name} is not in Terraform code next to the NSG")
        changes.append(f"Delete the outbound rule `{name}` that allows the Internet.")
    if finding.rule.endswith("/all-traffic"):
        edits.append(_deny(group, inline))
        changes.append(
            f"Add `{DENY_NAME}` (priority {DENY_PRIORITY}): deny the Internet service tag outbound."
        )
    return Fix(tuple(edits), tuple(changes))


def _name_of(text: str, block: Block) -> str | None:
    from remediators.hcl_scan import string_literal

    attr = block.attribute("name")
    return None if attr is None else string_literal(text[attr.value_start : attr.value_end])


def _remove(
    ctx: Context, group: TfResource, inline: list[Block], name: str, edits: list[Edit]
) -> bool:
    text = group.file.text
    for block in inline:
        if _name_of(text, block) == name:
            edits.append(delete_lines(group.file.path, text, block.start, block.end))
            return True
    for res in ctx.index.of_type(RULE):
        if res.literal("name") == name and ctx.index.refers_to(
            res, "network_security_group_name", group
        ):
            edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
            return True
    return False


def _deny(group: TfResource, inline: list[Block]) -> Edit:
    if inline:
        text = group.file.text
        newline = newline_of(text)
        last = inline[-1]
        indent = text[text.rfind("\n", 0, last.start) + 1 : last.start]
        width = max(len(k) for k, _ in DENY_FIELDS)
        body = [f"{indent}security_rule {{"]
        body += [f"{indent}  {k.ljust(width)} = {v}" for k, v in DENY_FIELDS]
        body.append(f"{indent}}}")
        return Edit(group.file.path, last.end, last.end, newline + newline + newline.join(body))
    fields = [
        *DENY_FIELDS,
        ("resource_group_name", group.expr("resource_group_name") or '""'),
        ("network_security_group_name", f"{group.address}.name"),
    ]
    width = max(len(k) for k, _ in fields)
    lines = [f'resource "{RULE}" "{group.name}_deny_internet" {{']
    lines += [f"  {k.ljust(width)} = {v}" for k, v in fields]
    lines.append("}")
    return after_block(group, "\n".join(lines))

"""standing-admin on Azure: make a permanent azurerm_role_assignment PIM-eligible.

The `azurerm_role_assignment` block is replaced in place by an
`azurerm_pim_eligible_role_assignment` with the same scope, role and principal and a 90-day
schedule, so the principal activates the role just in time instead of holding it. The new
resource needs a role definition id scoped like the assignment; a role given by name is
turned into that id from the finding's role definition GUID.

Known shortcoming: Entra directory roles (azuread_directory_role_assignment) and assignments
inside modules or with count/for_each get a waiver proposal, not an edit.
"""

from __future__ import annotations

from remediators.edits import Edit
from remediators.fixes import Context, Fix, NoFix
from remediators.hcl_scan import reference, string_literal
from remediators.terraform_index import TfResource
from scanner.findings import Finding

ASSIGNMENT = "azurerm_role_assignment"
ELIGIBLE = "azurerm_pim_eligible_role_assignment"
ELIGIBLE_DAYS = 90


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Replace each permanent assignment of the holder with a time-bound eligible one."""
    finding = findings[0]
    holder = str(finding.evidence.get("holder") or finding.principal)
    assignments = [a for a in finding.evidence.get("assignments") or [] if isinstance(a, dict)]
    if not assignments:
        return NoFix("privilege through application ownership is removed by changing owners")
    if any(a.get("directory") for a in assignments):
        return NoFix("Entra directory roles are not edited; make them PIM-eligible in Entra")

    edits: list[Edit] = []
    changes: list[str] = []
    for assignment in assignments:
        block = _block(ctx, holder, assignment)
        if block is None:
            return NoFix(f"no single `{ASSIGNMENT}` gives {assignment.get('role')} to {holder}")
        edits.append(_replace(block, str(assignment.get("role_definition_id"))))
        changes.append(
            f"Replace `{block.address}` with `{ELIGIBLE}.{block.name}`: "
            f"{assignment.get('role')} becomes eligible for {ELIGIBLE_DAYS} days, "
            "activated on demand."
        )
    return Fix(tuple(edits), tuple(changes))


def _role_matches(res: TfResource, assignment: dict[str, object]) -> bool:
    guid = str(assignment.get("role_definition_id", "")).rsplit("/", 1)[-1].lower()
    by_id = res.literal("role_definition_id")
    if by_id is not None:
        return by_id.rsplit("/", 1)[-1].lower() == guid
    return (res.literal("role_definition_name") or "").lower() == str(
        assignment.get("role")
    ).lower()


def _block(ctx: Context, holder: str, assignment: dict[str, object]) -> TfResource | None:
    found = [
        r
        for r in ctx.index.of_type(ASSIGNMENT)
        if (r.literal("principal_id") or "").lower() == holder.lower()
        and _role_matches(r, assignment)
    ]
    if len(found) != 1 or found[0].repeated:
        return None
    return found[0]


def _role_id(res: TfResource, guid: str) -> str:
    """The role definition id expression the eligible assignment needs."""
    given = res.expr("role_definition_id")
    if given is not None:
        return given
    scope = res.expr("scope") or '""'
    suffix = f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    literal = string_literal(scope)
    if literal is not None:
        return f'"{literal}{suffix}"'
    if reference(scope) is not None:
        return f'"${{{scope}}}{suffix}"'
    return f'"${{{scope}}}{suffix}"'


def _replace(res: TfResource, role_definition_id: str) -> Edit:
    text = res.file.text
    newline = "\r\n" if "\r\n" in text else "\n"
    guid = role_definition_id.rsplit("/", 1)[-1]
    lines = [
        f'resource "{ELIGIBLE}" "{res.name}" {{',
        f"  scope              = {res.expr('scope')}",
        f"  role_definition_id = {_role_id(res, guid)}",
        f"  principal_id       = {res.expr('principal_id')}",
        '  justification      = "Privileged access is activated just in time"',
        "",
        "  schedule {",
        "    expiration {",
        f"      duration_days = {ELIGIBLE_DAYS}",
        "    }",
        "  }",
        "}",
    ]
    return Edit(res.file.path, res.block.start, res.block.end, newline.join(lines))

"""standing-admin on GCP: remove the holder's administrator binding from Terraform code.

The binding is a `google_{project,folder,organization}_iam_member` (deleted) or a member of a
`..._iam_binding` (removed from `members`, or the block deleted when it was the only one).
Known shortcoming: replacing a basic role with a predefined role under an expiring
condition is left to the reviewer; the plan removes the standing binding only.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, remove_list_element
from remediators.fixes import Context, Fix, NoFix, list_literals
from remediators.terraform_index import TfResource
from scanner.findings import Finding

# Terraform resource prefix and container-naming attribute for each container kind.
CONTAINERS = {
    "projects": ("google_project", "project"),
    "folders": ("google_folder", "folder"),
    "organizations": ("google_organization", "org_id"),
}


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Remove every Terraform binding of the holder's administrator role at its container."""
    finding = findings[0]
    holder = str(finding.evidence.get("holder") or finding.principal)
    role = str(finding.evidence.get("role") or "")
    container = str(finding.evidence.get("container") or "")
    kind, _, name = container.partition("/")
    if kind not in CONTAINERS or not role:
        return NoFix("the finding does not say which binding grants administrator power")
    names = {name, container, finding.account} if kind == "projects" else {name, container}

    edits: list[Edit] = []
    changes: list[str] = []
    prefix, attr = CONTAINERS[kind]
    for res in ctx.index.of_type(f"{prefix}_iam_member"):
        if (
            _at(res, attr, names)
            and res.literal("role") == role
            and res.literal("member") == holder
        ):
            edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
            changes.append(f"Delete `{res.address}` in `{res.file.path}` ({role} for {holder}).")
    for res in ctx.index.of_type(f"{prefix}_iam_binding"):
        if _at(res, attr, names) and res.literal("role") == role:
            _remove_member(res, holder, edits, changes)
    if not edits:
        return NoFix(f"no Terraform binding of {role} for {holder} at {container} was found")
    return Fix(tuple(edits), tuple(changes))


def _at(res: TfResource, attr: str, names: set[str]) -> bool:
    return not res.repeated and res.literal(attr) in names


def _remove_member(res: TfResource, holder: str, edits: list[Edit], changes: list[str]) -> None:
    members = list_literals(res, "members") or []
    ours = [i for i, (value, _) in enumerate(members) if value == holder]
    if len(ours) != 1:
        return
    if len(members) == 1:
        edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
        changes.append(
            f"Delete `{res.address}` in `{res.file.path}` (its only member was {holder})."
        )
        return
    spans = [span for _, span in members]
    edits.append(remove_list_element(res.file.path, res.file.text, spans, ours[0]))
    changes.append(f"Remove {holder} from `{res.address}.members` in `{res.file.path}`.")

"""standing-admin on GCP: take the holder's standing administrator binding out of Terraform code.

A predefined or custom administrator role is removed: its `google_{project,folder,organization}
_iam_member` is deleted, or the holder leaves the `..._iam_binding` (the block deleted when it
was the only member).

A basic role (roles/owner, roles/editor) is replaced, because IAM refuses conditions on basic
roles, so such a binding cannot be made to expire. The holder gets `roles/iam.securityReviewer`
under a condition that ends it GRACE after the plan is made: read-only sight of the IAM
policies they could change, so they and the reviewers can see which predefined roles their
work needs and grant those, time-bound when they are administrator roles. Nothing standing and
nothing that can grant itself more is left. There is no predefined role equal to owner or
editor, and the nearest ones (project IAM admin, security admin) could grant owner back inside
the window, so a like-for-like swap would keep the escalation path open. An `_iam_member` is
changed in place (role replaced, `condition` block added); a member of an `_iam_binding` is
removed from it and given a separate conditional `_iam_member` written after it.

Known shortcomings: an authoritative `google_*_iam_policy` document is not edited (the plan
finds no binding and proposes a waiver); when an authoritative `_iam_binding` of
roles/iam.securityReviewer exists at the same container, the replacement member is left out
(that binding would remove it) and the change says so.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from remediators.edits import Edit, delete_lines, newline_of, remove_list_element
from remediators.fixes import Context, Fix, NoFix, list_literals
from remediators.terraform_index import TfResource
from scanner.findings import Finding
from scanner.gcp.roles import BASIC_ROLES

# Terraform resource prefix and container-naming attribute for each container kind.
CONTAINERS = {
    "projects": ("google_project", "project"),
    "folders": ("google_folder", "folder"),
    "organizations": ("google_organization", "org_id"),
}
REPLACEMENT = "roles/iam.securityReviewer"
GRACE = timedelta(days=30)
CONDITION_TITLE = "time-bound-replacement"
WHY = (
    f"Why {REPLACEMENT}: IAM conditions are not allowed on basic roles, and no predefined role "
    "equals owner or editor without being able to grant them back. Read-only sight of IAM "
    "policies that ends by itself leaves nothing standing; grant the predefined roles the work "
    "needs (time-bound if they are administrator roles) before the condition ends."
)


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Remove, or for a basic role replace, every Terraform binding of the holder's role."""
    finding = findings[0]
    holder = str(finding.evidence.get("holder") or finding.principal)
    role = str(finding.evidence.get("role") or "")
    container = str(finding.evidence.get("container") or "")
    kind, _, name = container.partition("/")
    if kind not in CONTAINERS or not role:
        return NoFix("the finding does not say which binding grants administrator power")
    names = {name, container, finding.account} if kind == "projects" else {name, container}

    prefix, attr = CONTAINERS[kind]
    grant = _Grant(ctx, prefix, attr, names, holder, role, (ctx.today or date.today()) + GRACE)
    for res in ctx.index.of_type(f"{prefix}_iam_member"):
        if grant.at(res) and res.literal("role") == role and res.literal("member") == holder:
            grant.member(res)
    for res in ctx.index.of_type(f"{prefix}_iam_binding"):
        if grant.at(res) and res.literal("role") == role:
            grant.binding(res)
    if not grant.edits:
        return NoFix(f"no Terraform binding of {role} for {holder} at {container} was found")
    why = (WHY,) if grant.replaced else ()
    return Fix(tuple(grant.edits), (*grant.changes, *why))


class _Grant:
    """The edits for one holder's role at one container, gathered block by block."""

    def __init__(
        self,
        ctx: Context,
        prefix: str,
        attr: str,
        names: set[str],
        holder: str,
        role: str,
        until: date,
    ) -> None:
        self.ctx, self.prefix, self.attr, self.names = ctx, prefix, attr, names
        self.holder, self.role, self.until = holder, role, until
        self.replace = role in BASIC_ROLES
        self.edits: list[Edit] = []
        self.changes: list[str] = []
        self.replaced = False
        self.labels = {r.name for r in ctx.index.of_type(f"{prefix}_iam_member")}

    def at(self, res: TfResource) -> bool:
        return not res.repeated and res.literal(self.attr) in self.names

    def member(self, res: TfResource) -> None:
        """Delete an `_iam_member`, or swap its basic role for the time-bound replacement."""
        path, text = res.file.path, res.file.text
        role = res.block.attribute("role")
        closing = text[_line_start(text, res.block.body_end) : res.block.body_end]
        if not self.replace or role is None or closing.strip() or res.block.children("condition"):
            self.edits.append(delete_lines(path, text, res.block.start, res.block.end))
            self.changes.append(
                f"Delete `{res.address}` in `{path}` ({self.role} for {self.holder})."
            )
            return

        indent = _indent_of(text, res)
        at = _line_start(text, res.block.body_end)
        block = _condition(indent, self.role, self.until, newline_of(text))
        self.edits.append(Edit(path, role.value_start, role.value_end, f'"{REPLACEMENT}"'))
        self.edits.append(Edit(path, at, at, newline_of(text) + block))
        self.changes.append(
            f"Replace {self.role} with {REPLACEMENT} in `{res.address}` in `{path}`, under a "
            f"condition that ends it on {self.until.isoformat()} ({self.holder})."
        )
        self.replaced = True

    def binding(self, res: TfResource) -> None:
        """Take the holder out of an `_iam_binding`; for a basic role, add the replacement."""
        members = list_literals(res, "members") or []
        ours = [i for i, (value, _) in enumerate(members) if value == self.holder]
        if len(ours) != 1:
            return
        path, text = res.file.path, res.file.text
        added = self._replacement_block(res) if self.replace else None

        if len(members) == 1:
            if added is not None:
                self.edits.append(Edit(path, res.block.start, res.block.end, added[1]))
            else:
                self.edits.append(delete_lines(path, text, res.block.start, res.block.end))
            self.changes.append(
                f"Delete `{res.address}` in `{path}` (its only member was {self.holder})."
            )
        else:
            spans = [span for _, span in members]
            self.edits.append(remove_list_element(path, text, spans, ours[0]))
            self.changes.append(f"Remove {self.holder} from `{res.address}.members` in `{path}`.")
            if added is not None:
                self.edits.append(_after(res, added[1]))
        if added is not None:
            self.changes.append(
                f"Add `{added[0]}` in `{path}`: {REPLACEMENT} for {self.holder} in place of "
                f"{self.role}, under a condition that ends it on {self.until.isoformat()}."
            )
            self.replaced = True

    def _replacement_block(self, res: TfResource) -> tuple[str, str] | None:
        """The address and text of a conditional `_iam_member`, or None when it would clash."""
        clash = [
            r
            for r in self.ctx.index.of_type(f"{self.prefix}_iam_binding")
            if self.at(r) and r.literal("role") == REPLACEMENT
        ]
        if clash:
            self.changes.append(
                f"{REPLACEMENT} is not granted to {self.holder}: `{clash[0].address}` holds that "
                "role authoritatively and would remove a separate member."
            )
            return None

        label = _unique(f"{res.name}_{_slug(self.holder)}_reviewer", self.labels)
        self.labels.add(label)
        text = res.file.text
        node = res.block.attribute(self.attr)
        container = text[node.value_start : node.value_end] if node else '""'
        newline = newline_of(text)
        width = max(len(self.attr), len("member"))
        lines = [
            f'resource "{self.prefix}_iam_member" "{label}" {{',
            f"  {self.attr.ljust(width)} = {container}",
            f'  {"role".ljust(width)} = "{REPLACEMENT}"',
            f'  {"member".ljust(width)} = "{self.holder}"',
            "",
        ]
        block = newline.join(lines) + newline + _condition("  ", self.role, self.until, newline)
        return f"{self.prefix}_iam_member.{label}", block + "}"


def _condition(indent: str, role: str, until: date, newline: str) -> str:
    """A `condition` block that ends the grant at the start of `until` (UTC)."""
    lines = [
        "condition {",
        f'  title       = "{CONDITION_TITLE}"',
        f'  description = "Replaces standing {role}; grant the roles needed before it ends."',
        f'  expression  = "request.time < timestamp(\\"{until.isoformat()}T00:00:00Z\\")"',
        "}",
    ]
    return "".join(f"{indent}{line}{newline}" for line in lines)


def _after(res: TfResource, block: str) -> Edit:
    """Insert a block after `res`, separated by one blank line."""
    text = res.file.text
    newline = newline_of(text)
    line_end = text.find("\n", res.block.end)
    if line_end < 0:
        return Edit(res.file.path, len(text), len(text), newline + newline + block + newline)
    return Edit(res.file.path, line_end + 1, line_end + 1, newline + block + newline)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_of(text: str, res: TfResource) -> str:
    first = res.block.attributes[0]
    return text[_line_start(text, first.start) : first.start]


def _slug(member: str) -> str:
    """`group:sre@acme.example` -> `sre`: a label part made of the member's local name."""
    local = member.partition(":")[2].partition("@")[0] or member
    return re.sub(r"[^A-Za-z0-9_]+", "_", local).strip("_").lower() or "member"


def _unique(label: str, taken: set[str]) -> str:
    candidate, number = label, 2
    while candidate in taken:
        candidate, number = f"{label}_{number}", number + 1
    return candidate

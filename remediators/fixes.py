"""What every family's fixer shares: its inputs, its two outcomes and the locating helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from remediators.edits import Edit
from remediators.hcl_scan import Block, list_elements, reference, string_literal
from remediators.state import StateObject
from remediators.terraform_index import TerraformIndex, TfFile, TfResource

# Stands for a state object that maps to no single editable block (a module or indexed object).
_UNUSABLE = TfResource("resource", "", "", TfFile("", "", ()), Block("", (), 0, 0, 0, 0))


@dataclass(frozen=True)
class Context:
    """A fixer's inputs: the checkout, the state (if given), every finding of the run."""

    index: TerraformIndex
    state: list[StateObject] | None = None
    findings_by_family: dict[str, int] = field(default_factory=dict)
    # The day of the run, for edits that write a date (an expiring grant); None means today.
    today: date | None = None


@dataclass(frozen=True)
class Fix:
    """Edits that remove the problem, and what each one does in plain words."""

    edits: tuple[Edit, ...]
    changes: tuple[str, ...]


@dataclass(frozen=True)
class NoFix:
    """No certain edit; the reason is shown in the waiver proposal."""

    reason: str


def arn_name(arn: str) -> str:
    """The last path segment of an ARN: the name of a user, role, group or policy."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def by_state(ctx: Context, value: str, type_: str) -> list[TfResource] | None:
    """Blocks that state says manage the object identified by `value`.

    None when no state was given. Objects in child modules or with count/for_each indexes map
    to no single block of the root, so they yield no candidate.
    """
    if ctx.state is None:
        return None
    found: list[TfResource] = []
    for obj in ctx.state:
        if not obj.address.startswith(f"{type_}.") or not obj.matches(value):
            continue
        if obj.module is None and not obj.indexed:
            found.extend(
                r
                for r in ctx.index.by_address(obj.address)
                if obj.directory is None or r.directory == obj.directory
            )
        else:
            found.append(_UNUSABLE)
    return found


def only(candidates: list[TfResource]) -> TfResource | None:
    """The single candidate, if there is exactly one and it is a usable plain block."""
    if len(candidates) != 1 or candidates[0] is _UNUSABLE or candidates[0].repeated:
        return None
    return candidates[0]


def list_literals(res: TfResource, attr: str) -> list[tuple[str | None, tuple[int, int]]] | None:
    """Literal values (None when not literal) and spans of a list attribute's elements."""
    node = res.block.attribute(attr)
    if node is None:
        return None
    spans = list_elements(res.file.text, node.value_start, node.value_end)
    if spans is None:
        return None
    return [(string_literal(res.file.text[s:e]), (s, e)) for s, e in spans]


def is_ref_to(expr: str, target: TfResource) -> bool:
    """True if `expr` is a reference to any attribute of `target`."""
    ref = reference(expr)
    if ref is None:
        return False
    if target.mode == "data":
        return ref[:3] == ("data", target.type, target.name)
    return ref[:2] == (target.type, target.name)

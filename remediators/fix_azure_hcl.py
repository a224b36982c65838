"""Edits the Azure fixers share: set attributes on a block, and add text after a block."""

from __future__ import annotations

from remediators.edits import Edit, insert_attributes, newline_of
from remediators.fixes import Context, by_state, only
from remediators.terraform_index import TfResource


def set_attributes(res: TfResource, values: list[tuple[str, str]]) -> list[Edit]:
    """Replace the value of attributes the block sets, and add the others before its `}`."""
    edits: list[Edit] = []
    missing: list[tuple[str, str]] = []
    for name, value in values:
        attr = res.block.attribute(name)
        if attr is None:
            missing.append((name, value))
        elif res.file.text[attr.value_start : attr.value_end] != value:
            edits.append(Edit(res.file.path, attr.value_start, attr.value_end, value))
    if missing:
        edits.append(insert_attributes(res.file.path, res.file.text, res.block, missing))
    return edits


def after_block(res: TfResource, text: str) -> Edit:
    """Insert `text` (lines, without a trailing newline) after a block, a blank line between."""
    newline = newline_of(res.file.text)
    body = newline.join(text.split("\n"))
    return Edit(res.file.path, res.block.end, res.block.end, newline + newline + body)


def by_name(
    ctx: Context, type_: str, name: str, arm_id: str, attr: str = "name"
) -> TfResource | None:
    """The one block of `type_` managing the resource: by state when given, else by name."""
    pinned = by_state(ctx, arm_id, type_)
    if pinned:
        return only(pinned)
    return only([r for r in ctx.index.of_type(type_) if r.literal(attr) == name])

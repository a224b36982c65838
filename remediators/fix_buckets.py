"""public-data: turn on all four S3 Block Public Access settings for the bucket.

An existing `aws_s3_bucket_public_access_block` is edited in place (values set to `true`,
missing settings added); otherwise a new one is written right after the bucket's block.
"""

from __future__ import annotations

from remediators.edits import Edit, insert_attributes, newline_of
from remediators.fixes import Context, Fix, NoFix, by_state, only
from remediators.terraform_index import TfResource
from scanner.findings import Finding

PAB_TYPE = "aws_s3_bucket_public_access_block"
FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Set the bucket's public access block to block everything."""
    finding = findings[0]
    name = str(finding.evidence.get("bucket") or finding.resource.rsplit(":", 1)[-1])
    bucket = _bucket(ctx, name)
    blocks = [
        r
        for r in ctx.index.of_type(PAB_TYPE)
        if ctx.index.resolve(r, "bucket", "aws_s3_bucket", "bucket") == name
        or (bucket is not None and ctx.index.refers_to(r, "bucket", bucket))
    ]
    if len(blocks) > 1:
        return NoFix(f"several `{PAB_TYPE}` blocks name this bucket")
    if blocks:
        return _edit_existing(blocks[0])
    if bucket is None:
        return NoFix("the bucket is not managed by a single `aws_s3_bucket` block")
    return _append_new(ctx, bucket)


def _bucket(ctx: Context, name: str) -> TfResource | None:
    pinned = by_state(ctx, name, "aws_s3_bucket")
    if pinned:
        return only(pinned)
    return only([b for b in ctx.index.of_type("aws_s3_bucket") if b.literal("bucket") == name])


def _edit_existing(pab: TfResource) -> Fix | NoFix:
    if pab.repeated:
        return NoFix(f"`{pab.address}` uses count or for_each")
    text = pab.file.text
    if "\n" not in text[pab.block.body_start : pab.block.body_end]:
        return NoFix(f"`{pab.address}` is written on one line")
    edits: list[Edit] = []
    missing: list[tuple[str, str]] = []
    for flag in FLAGS:
        attr = pab.block.attribute(flag)
        if attr is None:
            missing.append((flag, "true"))
        elif text[attr.value_start : attr.value_end] != "true":
            edits.append(Edit(pab.file.path, attr.value_start, attr.value_end, "true"))
    if missing:
        edits.append(insert_attributes(pab.file.path, text, pab.block, missing))
    if not edits:
        return NoFix(
            f"`{pab.address}` already blocks public access; the bucket is public elsewhere"
        )
    change = f"Set all four settings of `{pab.address}` in `{pab.file.path}` to `true`."
    return Fix(tuple(edits), (change,))


def _append_new(ctx: Context, bucket: TfResource) -> Fix:
    text = bucket.file.text
    newline = newline_of(text)
    label = bucket.name
    if ctx.index.by_address(f"{PAB_TYPE}.{label}"):
        label = f"{bucket.name}_ztdrift"
    width = max(len(f) for f in FLAGS)
    lines = [
        f'resource "{PAB_TYPE}" "{label}" {{',
        f"  bucket = {bucket.type}.{bucket.name}.id",
        "",
        *(f"  {flag.ljust(width)} = true" for flag in FLAGS),
        "}",
    ]
    block = newline.join(lines) + newline
    at = bucket.block.end
    line_end = text.find("\n", at)
    if line_end < 0:
        # The bucket block ends the file without a final newline.
        edit = Edit(bucket.file.path, len(text), len(text), newline + newline + block)
    else:
        edit = Edit(bucket.file.path, line_end + 1, line_end + 1, newline + block)
    change = f"Add `{PAB_TYPE}.{label}` after `{bucket.address}` in `{bucket.file.path}`."
    return Fix((edit,), (change,))

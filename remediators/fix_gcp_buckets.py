"""public-data on GCP: enforce public access prevention and drop public members of a bucket.

`public_access_prevention = "enforced"` on the `google_storage_bucket` blocks allUsers and
allAuthenticatedUsers whatever the IAM policy or ACLs say; the public IAM members in code are
removed too so the code says what is true.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, insert_attributes, remove_list_element
from remediators.fixes import Context, Fix, NoFix, list_literals, only
from remediators.terraform_index import TfResource
from scanner.findings import Finding

PUBLIC = ("allUsers", "allAuthenticatedUsers")


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    finding = findings[0]
    name = str(finding.evidence.get("bucket") or finding.resource.rsplit("/", 1)[-1])
    bucket = only(
        [b for b in ctx.index.of_type("google_storage_bucket") if b.literal("name") == name]
    )
    if bucket is None:
        return NoFix("the bucket is not managed by a single `google_storage_bucket` block")
    edits, changes = _prevent(bucket)
    for res in ctx.index.of_type("google_storage_bucket_iam_member"):
        if _names(ctx, res, name) and res.literal("member") in PUBLIC:
            edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
            changes.append(f"Delete `{res.address}` (a public member).")
    for res in ctx.index.of_type("google_storage_bucket_iam_binding"):
        if _names(ctx, res, name):
            _drop_members(res, edits, changes)
    if not edits:
        return NoFix("the bucket already enforces public access prevention in code")
    return Fix(tuple(edits), tuple(changes))


def _names(ctx: Context, res: TfResource, bucket: str) -> bool:
    return (
        not res.repeated
        and ctx.index.resolve(res, "bucket", "google_storage_bucket", "name") == bucket
    )


def _prevent(bucket: TfResource) -> tuple[list[Edit], list[str]]:
    text = bucket.file.text
    attr = bucket.block.attribute("public_access_prevention")
    change = f'Set `public_access_prevention = "enforced"` on `{bucket.address}`.'
    if attr is None:
        return [
            insert_attributes(
                bucket.file.path, text, bucket.block, [("public_access_prevention", '"enforced"')]
            )
        ], [change]
    if text[attr.value_start : attr.value_end] == '"enforced"':
        return [], []
    return [Edit(bucket.file.path, attr.value_start, attr.value_end, '"enforced"')], [change]


def _drop_members(res: TfResource, edits: list[Edit], changes: list[str]) -> None:
    members = list_literals(res, "members") or []
    hits = [i for i, (value, _) in enumerate(members) if value in PUBLIC]
    if not hits:
        return
    if len(hits) == len(members):
        edits.append(delete_lines(res.file.path, res.file.text, res.block.start, res.block.end))
        changes.append(f"Delete `{res.address}` (only public members).")
        return
    spans = [span for _, span in members]
    for i in reversed(hits):
        edits.append(remove_list_element(res.file.path, res.file.text, spans, i))
        spans = spans[:i] + spans[i + 1 :]
    changes.append(f"Remove public members from `{res.address}.members`.")

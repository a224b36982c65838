"""long-lived-key on Azure: client secrets in azuread, shared keys in azurerm.

A client secret whose application already has a federated identity credential is deleted:
the workload can sign in by federation. Otherwise the `azuread_application_password` gets an
end date that a `time_rotating` resource moves every 90 days, and `rotate_when_changed` so
Terraform replaces the secret on rotation. Shared keys are turned off on the storage account.

Known shortcoming: certificates (`azuread_application_certificate`) and credentials created
outside Terraform get a waiver proposal.
"""

from __future__ import annotations

from remediators import fix_azure_storage
from remediators.edits import delete_lines
from remediators.fix_azure_hcl import after_block, set_attributes
from remediators.fixes import Context, Fix, NoFix
from remediators.terraform_index import TfResource
from scanner.findings import Finding

APPLICATION = "azuread_application"
PASSWORD = "azuread_application_password"
ROTATION_DAYS = 90


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Dispatch on the kind of key the findings are about."""
    finding = findings[0]
    if finding.rule == "long-lived-key/shared-key":
        return fix_azure_storage.fix(findings, ctx)
    if finding.rule != "long-lived-key/client-secret":
        return NoFix("only client secrets and storage shared keys are edited")
    password = _password(ctx, str(finding.evidence.get("owner_name")))
    if password is None:
        return NoFix(f"no single `{PASSWORD}` of this application in Terraform code")
    if int(finding.evidence.get("federated_credentials") or 0) > 0:
        edit = delete_lines(
            password.file.path, password.file.text, password.block.start, password.block.end
        )
        return Fix(
            (edit,),
            (f"Delete `{password.address}`: the application already signs in by federation.",),
        )
    return _rotate(password)


def _password(ctx: Context, app_name: str) -> TfResource | None:
    apps = [a for a in ctx.index.of_type(APPLICATION) if a.literal("display_name") == app_name]
    if len(apps) != 1:
        return None
    found = [
        p
        for p in ctx.index.of_type(PASSWORD)
        if any(
            ctx.index.refers_to(p, attr, apps[0])
            for attr in ("application_id", "application_object_id")
        )
    ]
    return found[0] if len(found) == 1 and not found[0].repeated else None


def _rotate(password: TfResource) -> Fix:
    rotation = f"{password.name}_rotation"
    edits = set_attributes(
        password,
        [
            ("end_date", f"time_rotating.{rotation}.rotation_rfc3339"),
            ("rotate_when_changed", f"{{ rotation = time_rotating.{rotation}.id }}"),
        ],
    )
    block = f'resource "time_rotating" "{rotation}" {{\n  rotation_days = {ROTATION_DAYS}\n}}'
    edits.append(after_block(password, block))
    return Fix(
        tuple(edits),
        (
            f"Add `time_rotating.{rotation}` ({ROTATION_DAYS} days) and end `{password.address}`"
            " with it, so the secret is replaced before it grows old.",
            "Better still: replace the secret with an "
            "`azuread_application_federated_identity_credential`.",
        ),
    )

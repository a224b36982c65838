"""public-data and shared keys on Azure: close a storage account in its azurerm block.

Blob public access goes with `allow_nested_items_to_be_public = false`, open networks with
`public_network_access_enabled = false` (reach it through private endpoints), shared keys with
`shared_access_key_enabled = false`, which needs the azurerm provider to talk to the data
plane with Entra ID (`storage_use_azuread = true`), so the provider block is edited too.
"""

from __future__ import annotations

from pathlib import Path

from remediators.edits import Edit
from remediators.fix_azure_hcl import by_name, set_attributes
from remediators.fixes import Context, Fix, NoFix, arn_name
from remediators.terraform_index import TfResource
from scanner.findings import Finding

STORAGE = "azurerm_storage_account"
SETTINGS = {
    "blob-public-access": ("allow_nested_items_to_be_public", "false"),
    "public-network": ("public_network_access_enabled", "false"),
    "shared-key": ("shared_access_key_enabled", "false"),
}


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    """Set the settings that close every exposure the findings name."""
    finding = findings[0]
    account = by_name(ctx, STORAGE, arn_name(finding.resource), finding.resource)
    if account is None:
        return NoFix(f"the storage account is not managed by a single `{STORAGE}` block")

    wanted: list[tuple[str, str]] = []
    for f in findings:
        details = f.evidence.get("exposure") or [f.rule.split("/", 1)[-1]]
        wanted.extend(SETTINGS[d] for d in details if d in SETTINGS)
    values = sorted(set(wanted))
    edits = set_attributes(account, values)
    changes = [f"Set `{name} = {value}` on `{account.address}`." for name, value in values]
    if ("shared_access_key_enabled", "false") in values:
        provider_edit = _provider(ctx, account)
        if provider_edit is None:
            return NoFix('no single `provider "azurerm"` block to set `storage_use_azuread` on')
        edits.extend(provider_edit)
        changes.append("Set `storage_use_azuread = true` on the azurerm provider (Entra ID auth).")
    if not edits:
        return NoFix("the storage account block already has these settings")
    return Fix(tuple(edits), tuple(changes))


def _provider(ctx: Context, account: TfResource) -> list[Edit] | None:
    blocks = [
        (f, b)
        for f in ctx.index.files.values()
        for b in f.blocks
        if b.type == "provider"
        and b.labels == ("azurerm",)
        and str(Path(f.path).parent) == account.directory
    ]
    if len(blocks) != 1:
        return None
    tf_file, block = blocks[0]
    res = TfResource("provider", "azurerm", "azurerm", tf_file, block)
    return set_attributes(res, [("storage_use_azuread", "true")])

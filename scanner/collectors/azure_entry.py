"""`ztdrift scan --provider azure`: credentials and endpoints from the environment.

Credentials come from azure-identity's DefaultAzureCredential (environment, workload identity
federation in GitHub Actions, the Azure CLI on a laptop, managed identity on Azure), or the
one named in `ZTDRIFT_AZURE_CREDENTIAL` (`cli`, `environment`, `workload-identity`).
`ZTDRIFT_AZURE_ARM_ENDPOINT` and `ZTDRIFT_AZURE_GRAPH_ENDPOINT` point at sovereign clouds or
Azure Stack Hub; `ZTDRIFT_AZURE_CA_BUNDLE` names a CA bundle for a private endpoint.
"""

from __future__ import annotations

import os

from azure.core.credentials import TokenCredential

from scanner.collectors.azure_live import AzureCollector, AzureEndpoints, make_client
from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.providers import LiveOptions
from scanner.timeutil import utcnow


def credential_from_env() -> TokenCredential:
    """The credential named in the environment, or DefaultAzureCredential."""
    from azure import identity

    name = os.environ.get("ZTDRIFT_AZURE_CREDENTIAL", "default")
    factories = {
        "default": identity.DefaultAzureCredential,
        "cli": identity.AzureCliCredential,
        "environment": identity.EnvironmentCredential,
        "workload-identity": identity.WorkloadIdentityCredential,
    }
    if name not in factories:
        raise ZtdriftError(
            f"unknown ZTDRIFT_AZURE_CREDENTIAL {name!r}",
            hint="use one of: " + ", ".join(sorted(factories)),
        )
    credential: TokenCredential = factories[name]()
    return credential


def collect_live(options: LiveOptions) -> Snapshot:
    """Collect every visible subscription (or one management group) and the tenant."""
    endpoints = AzureEndpoints(
        arm=os.environ.get("ZTDRIFT_AZURE_ARM_ENDPOINT", AzureEndpoints.arm),
        graph=os.environ.get("ZTDRIFT_AZURE_GRAPH_ENDPOINT", AzureEndpoints.graph),
    )
    verify: str | bool = os.environ.get("ZTDRIFT_AZURE_CA_BUNDLE") or True
    credential = credential_from_env()
    collector = AzureCollector(
        make_client(endpoints.arm, credential, endpoints.scope(endpoints.arm), verify),
        make_client(endpoints.graph, credential, endpoints.scope(endpoints.graph), verify),
        management_group=options.azure_scope,
    )
    return collector.collect(utcnow())

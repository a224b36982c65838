"""`ztdrift scan --provider azure`: credentials and endpoints from flags, file and environment.

Each setting is taken from the command line first, then the configuration file's `azure:`
section, then the environment, then Azure's public cloud:

- the credential: `--azure-credential`, `azure.credential`, `ZTDRIFT_AZURE_CREDENTIAL`, else
  azure-identity's DefaultAzureCredential (environment, workload identity federation in
  GitHub Actions, the Azure CLI on a laptop, managed identity on Azure);
- endpoints for sovereign clouds or Azure Stack Hub: `azure.resource_manager` /
  `ZTDRIFT_AZURE_ARM_ENDPOINT`, `azure.graph` / `ZTDRIFT_AZURE_GRAPH_ENDPOINT`,
  `azure.authority` / `ZTDRIFT_AZURE_AUTHORITY` (the Entra sign-in host);
- `azure.ca_bundle` / `ZTDRIFT_AZURE_CA_BUNDLE`: a CA bundle for a private endpoint.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from azure.core.credentials import TokenCredential

from scanner.collectors.azure_live import AzureCollector, AzureEndpoints, make_client
from scanner.config import AzureSettings
from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.shard import Shard, parse_shard
from scanner.timeutil import utcnow

if TYPE_CHECKING:
    # The provider registry imports this module; importing it back at run time is a cycle.
    from scanner.providers import LiveOptions

log = logging.getLogger(__name__)

CREDENTIALS = ("default", "cli", "environment", "workload-identity")
# Sign-in hosts azure-identity's instance discovery knows (AzureAuthorityHosts). Any other
# authority (Azure Stack Hub's, a private one) is trusted as configured: asking the public
# cloud's discovery endpoint about it would fail, and would leave the private network.
KNOWN_AUTHORITIES = frozenset(
    {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}
)


@dataclass(frozen=True)
class AzureConnection:
    """Where and how a live Azure collection signs in and sends its requests."""

    endpoints: AzureEndpoints
    credential: str = "default"
    authority: str | None = None
    verify: str | bool = True


def resolve(settings: AzureSettings, environ: Mapping[str, str]) -> AzureConnection:
    """Settings from the configuration file (flags already applied), else the environment."""
    credential = settings.credential or environ.get("ZTDRIFT_AZURE_CREDENTIAL") or "default"
    if credential not in CREDENTIALS:
        raise ZtdriftError(
            f"unknown ZTDRIFT_AZURE_CREDENTIAL {credential!r}",
            hint="use one of: " + ", ".join(sorted(CREDENTIALS)),
        )
    endpoints = AzureEndpoints(
        arm=settings.resource_manager
        or environ.get("ZTDRIFT_AZURE_ARM_ENDPOINT")
        or AzureEndpoints.arm,
        graph=settings.graph or environ.get("ZTDRIFT_AZURE_GRAPH_ENDPOINT") or AzureEndpoints.graph,
    )
    bundle = settings.ca_bundle or environ.get("ZTDRIFT_AZURE_CA_BUNDLE")
    return AzureConnection(
        endpoints=endpoints,
        credential=credential,
        authority=settings.authority or environ.get("ZTDRIFT_AZURE_AUTHORITY") or None,
        verify=str(bundle) if bundle else True,
    )


def credential_options(connection: AzureConnection) -> dict[str, Any]:
    """Keyword arguments for an azure-identity credential: authority, discovery, CA bundle."""
    options: dict[str, Any] = {}
    if connection.authority:
        options["authority"] = connection.authority
        host = urlparse(_with_scheme(connection.authority)).hostname or ""
        if host.lower() not in KNOWN_AUTHORITIES:
            options["disable_instance_discovery"] = True
    if connection.verify is not True:
        options["connection_verify"] = connection.verify
    return options


def _with_scheme(authority: str) -> str:
    return authority if "://" in authority else "https://" + authority


def make_credential(connection: AzureConnection) -> TokenCredential:
    """The named azure-identity credential, told the authority and CA bundle it needs."""
    from azure import identity

    if connection.credential == "cli":
        # The Azure CLI signs in to the cloud chosen with `az cloud set`; it takes no authority.
        if connection.authority:
            log.warning("azure: the cli credential ignores the authority; use `az cloud set`")
        return identity.AzureCliCredential()
    factories: dict[str, Callable[..., TokenCredential]] = {
        "default": identity.DefaultAzureCredential,
        "environment": identity.EnvironmentCredential,
        "workload-identity": identity.WorkloadIdentityCredential,
    }
    credential: TokenCredential = factories[connection.credential](**credential_options(connection))
    return credential


def collect_live(options: LiveOptions) -> Snapshot:
    """Collect every visible subscription (or one management group) and the tenant."""
    connection = resolve(options.azure, os.environ)
    credential = make_credential(connection)
    shard = parse_shard(options.shard) if options.shard else None
    return collect_with(connection, credential, options.azure_scope, shard=shard)


def collect_with(
    connection: AzureConnection,
    credential: TokenCredential,
    management_group: str | None,
    *,
    shard: Shard | None = None,
) -> Snapshot:
    """Collect through `credential` at the connection's endpoints."""
    endpoints = connection.endpoints
    log.info("azure: resource manager %s, graph %s", endpoints.arm, endpoints.graph)
    collector = AzureCollector(
        make_client(endpoints.arm, credential, endpoints.scope(endpoints.arm), connection.verify),
        make_client(
            endpoints.graph, credential, endpoints.scope(endpoints.graph), connection.verify
        ),
        management_group=management_group,
        shard=shard,
    )
    return collector.collect(utcnow())

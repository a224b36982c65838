"""The GCP entry of the provider registry: a live scan with Application Default Credentials.

The API endpoint follows gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET` setting, so a
Private Service Connect endpoint works as it does for gcloud.

Known shortcoming: the tests drive `collect_gcp` with anonymous credentials and never this
function's Application Default Credentials lookup, which would need a token endpoint to fake.
"""

from __future__ import annotations

import os

from rich.console import Console

from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.providers import LiveOptions

ENDPOINT_VARIABLE = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET"


def endpoint_from_environment() -> str | None:
    """gcloud's override is a base URL such as `https://cloudasset.example/`; trim the path."""
    value = os.environ.get(ENDPOINT_VARIABLE, "").strip()
    return value.rstrip("/").removesuffix("/v1") or None


def collect_live(options: LiveOptions) -> Snapshot:
    """Collect one GCP scope with ADC (workload identity federation in GitHub Actions)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import asset_v1

    from scanner.collectors.gcp_live import collect_gcp, parse_scope

    if not options.gcp_scope:
        raise ZtdriftError("a GCP scan needs --gcp-scope", where="--gcp-scope")
    scope = parse_scope(options.gcp_scope)
    try:
        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except DefaultCredentialsError as exc:
        raise ZtdriftError(
            "no Application Default Credentials",
            hint="run `gcloud auth application-default login` or set up workload identity",
        ) from exc
    endpoint = endpoint_from_environment()
    client = asset_v1.AssetServiceClient(
        credentials=credentials,
        transport="rest",
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    status = Console(stderr=True)
    with status.status("collecting GCP") as spinner:
        if options.shard:
            from scanner.collectors.gcp_shard import collect_gcp_shard
            from scanner.shard import parse_shard

            return collect_gcp_shard(
                client, scope, parse_shard(options.shard), progress=spinner.update
            )
        return collect_gcp(client, scope, progress=lambda text: spinner.update(text))

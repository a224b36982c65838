"""The provider registry: how each cloud is collected live, imported offline, and graphed.

Adding a provider adds one entry here, never a branch in the command line or the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import networkx as nx

from scanner.config import AzureSettings
from scanner.model import Snapshot


@dataclass(frozen=True)
class LiveOptions:
    """What a live collection is told by the command line and the configuration file."""

    regions: list[str] | None = None
    profile: str | None = None
    gcp_scope: str | None = None
    azure_scope: str | None = None
    # The configuration file's `azure:` section (flags already applied over it).
    azure: AzureSettings = field(default_factory=AzureSettings)
    # AWS Organizations: a role to assume in every selected member account (None: one account).
    org_role: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    external_id: str | None = None
    max_accounts_in_parallel: int = 4
    # 'I/N': collect only this deterministic share of the scopes (see scanner.shard).
    shard: str | None = None


Reader = Callable[[Path, datetime], Snapshot]


@dataclass(frozen=True)
class Provider:
    """One cloud: a live collector, readers for its export formats, and a graph step."""

    name: str
    collect: Callable[[LiveOptions], Snapshot] | None = None
    readers: dict[str, Reader] = field(default_factory=dict)
    extend_graph: Callable[[nx.DiGraph, Snapshot], None] | None = None


def _aws() -> Provider:
    from scanner.collectors.aws_entry import collect_live
    from scanner.collectors.imports import read_aws_authz

    return Provider(name="aws", collect=collect_live, readers={"aws-authz": read_aws_authz})


def _azure() -> Provider:
    from scanner.azure.graph_step import extend_graph
    from scanner.collectors.azure_entry import collect_live
    from scanner.collectors.azure_export import read_azure_arg, read_azure_graph

    return Provider(
        name="azure",
        collect=collect_live,
        readers={"azure-arg": read_azure_arg, "azure-graph": read_azure_graph},
        extend_graph=extend_graph,
    )


def _gcp() -> Provider:
    from scanner.collectors.gcp_assets import read_export
    from scanner.collectors.gcp_entry import collect_live
    from scanner.gcp.graph import extend_graph

    return Provider(
        name="gcp",
        collect=collect_live,
        readers={"gcp-cai": read_export},
        extend_graph=extend_graph,
    )


PROVIDERS: dict[str, Provider] = {p.name: p for p in (_aws(), _azure(), _gcp())}


def readers() -> dict[str, Reader]:
    """Every import format of every provider, by its `--import` name."""
    return {kind: reader for p in PROVIDERS.values() for kind, reader in p.readers.items()}

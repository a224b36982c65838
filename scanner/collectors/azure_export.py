"""Offline Azure collection: `az graph query` results and Microsoft Graph list responses.

`--import azure-arg=FILE` reads Resource Graph rows in any of the shapes the tools print: a
bare list of rows, `az graph query`'s `{"count", "data", "skip_token", "total_records"}`, or
the REST response `{"data", "$skipToken", ...}`. `--import azure-graph=FILE` reads a bundle of
Graph list responses (see `scanner.azure.graph_records`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.azure.arg_records import ArgRecords, parse_rows
from scanner.azure.graph_records import GraphRecords, parse_bundle
from scanner.collectors.imports import read_json
from scanner.errors import InputError
from scanner.model import Scope, Snapshot


def rows_of(document: Any, where: str) -> list[Any]:
    """The rows of any Resource Graph output shape."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        _check_complete(document, where)
        return list(document["data"])
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        raise InputError(
            "Resource Graph table output is not supported; query with resultFormat objectArray",
            where=where,
        )
    raise InputError("expected a list of Resource Graph rows or an object with `data`", where=where)


def _check_complete(document: dict[str, Any], where: str) -> None:
    """Refuse one page of a paged answer: its missing rows would read as resolved findings."""
    token = document.get("skip_token") or document.get("$skipToken") or document.get("skipToken")
    total = document.get("total_records", document.get("totalRecords"))
    rows = len(document["data"])
    if token or (isinstance(total, int) and total > rows):
        raise InputError(
            f"this export holds {rows} of {total if total is not None else 'more'} rows "
            "(a skip token says more pages follow)",
            where=where,
            hint="export every page (az graph query --first 1000 --skip-token ..., or --query "
            "results merged into one list) so no resource is left out",
        )


def arg_snapshot(records: ArgRecords, taken_at: datetime) -> Snapshot:
    """The snapshot of transformed Resource Graph rows."""
    return Snapshot(
        taken_at=taken_at,
        scopes=tuple(records.scopes[k] for k in sorted(records.scopes)),
        principals=tuple(records.principals[k] for k in sorted(records.principals)),
        policies=tuple(records.policies[k] for k in sorted(records.policies)),
        grants=tuple(records.grants),
        network_groups=tuple(records.network_groups),
        network_rules=tuple(records.network_rules),
        data_stores=tuple(records.data_stores),
    )


def graph_snapshot(records: GraphRecords, taken_at: datetime) -> Snapshot:
    """The snapshot of transformed Graph responses; the tenant is its one scope."""
    return Snapshot(
        taken_at=taken_at,
        scopes=(Scope(provider="azure", account=records.tenant),),
        principals=tuple(records.principals[k] for k in sorted(records.principals)),
        credentials=tuple(sorted(records.credentials, key=lambda c: c.id)),
        policies=tuple(records.policies[k] for k in sorted(records.policies)),
        grants=tuple(records.grants),
    )


def read_azure_arg(path: Path, taken_at: datetime) -> Snapshot:
    """Resource Graph rows: NSGs, storage accounts, role assignments and definitions."""
    rows = rows_of(read_json(path), str(path))
    records = parse_rows(rows, str(path))
    if not records.scopes:
        raise InputError(
            "no subscription found in the rows (no Azure resource ids)", where=str(path)
        )
    return arg_snapshot(records, taken_at)


def read_azure_graph(path: Path, taken_at: datetime) -> Snapshot:
    """Microsoft Graph list responses: applications, service principals, directory roles."""
    return graph_snapshot(parse_bundle(read_json(path), str(path), taken_at), taken_at)

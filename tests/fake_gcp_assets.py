"""Shared helpers for the GCP tests: the bundled demo export and small asset builders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.collectors.gcp_assets import Asset, to_snapshot
from scanner.collectors.imports import import_all
from scanner.findings import Finding
from scanner.model import Snapshot

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DEMO = Path(__file__).parents[1] / "scanner" / "demo" / "gcp"
CRM = "//cloudresourcemanager.googleapis.com/"


def demo_snapshot() -> Snapshot:
    names = ("iam-policy.jsonl", "resource.jsonl", "org-policy.jsonl")
    return import_all([f"gcp-cai={DEMO / n}" for n in names], NOW)


def findings_of(snapshot: Snapshot, **settings: Any) -> list[Finding]:
    return [
        f
        for f in analyze(snapshot, now=NOW, settings=RuleSettings(**settings))
        if f.provider == "gcp"
    ]


def project(pid: str = "p1", number: str = "11", parent: str = "organizations/1") -> dict[str, Any]:
    kind, _, ident = parent.partition("/")
    return {
        "name": f"{CRM}projects/{number}",
        "asset_type": "cloudresourcemanager.googleapis.com/Project",
        "resource": {
            "data": {
                "projectId": pid,
                "projectNumber": number,
                "parent": {"type": kind[:-1], "id": ident},
            }
        },
    }


def policy(name: str, asset_type: str, *bindings: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "asset_type": asset_type, "iam_policy": {"bindings": list(bindings)}}


def binding(role: str, *members: str, condition: dict[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"role": role, "members": list(members)}
    if condition:
        found["condition"] = condition
    return found


def resource(name: str, asset_type: str, data: dict[str, Any], parent: str = "") -> dict[str, Any]:
    return {"name": name, "asset_type": asset_type, "resource": {"data": data, "parent": parent}}


def snapshot_of(*raws: dict[str, Any]) -> Snapshot:
    return to_snapshot([Asset.of(json.loads(json.dumps(r))) for r in raws], NOW)

"""The demo runs end to end and shows drift, waivers and plans on the embedded estate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.demo.run import run_demo


def _report(path: Path) -> dict[str, Any]:
    return dict(json.loads((path / "findings.json").read_text()))


def test_demo_shows_drift_waivers_and_plans(tmp_path: Path) -> None:
    out = tmp_path / "demo"

    assert run_demo(out) == 0

    first, second, third = (_report(out / name) for name in ("scan-1", "scan-2", "scan-3"))
    first_rules = {(f["rule"], f["resource"].rsplit("/", 1)[-1]) for f in first["findings"]}
    assert ("standing-admin/assume-role", "ci-deployer") in first_rules
    assert ("standing-admin/group", "alice") in first_rules
    assert ("public-data/read", "arn:aws:s3:::acme-public-assets") in {
        (f["rule"], f["resource"]) for f in first["findings"]
    }
    # Clean resources are not flagged.
    flagged = " ".join(f["resource"] for f in first["findings"])
    assert "auditor" not in flagged and "old-key" not in flagged and "acme-logs" not in flagged

    new = {f["resource"].rsplit("/", 1)[-1] for f in second["findings"] if f["status"] == "new"}
    assert new == {"contractor", "contractor#access-key-1"}
    assert [r["resource"] for r in second["resolved"]] == ["arn:aws:s3:::acme-public-assets"]

    waived = {f["waiver"] for f in third["findings"]} - {None}
    assert waived == {"W-001"}
    assert [w["id"] for w in third["expired_waivers"]] == ["W-002"]

    plans = [json.loads(p.read_text()) for p in sorted((out / "plans").glob("*/plan.json"))]
    fixes = {p["title"] for p in plans if p["kind"] == "fix"}
    assert any("ci-deployer" in title for title in fixes)
    assert any("app-egress" in title for title in fixes)
    assert any("deploy-admin" in title for title in fixes)

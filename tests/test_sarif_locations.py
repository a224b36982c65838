"""SARIF results point at the Terraform block that manages each resource, when it is known."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scanner.reports.locations import first_change, terraform_locations
from scanner.reports.sarif import to_sarif
from tests.test_remediators_findings import DEMO, TODAY, demo_findings


def test_findings_managed_in_terraform_point_at_their_block(tmp_path: Path) -> None:
    checkout = tmp_path / "infra"
    shutil.copytree(DEMO, checkout)
    findings = demo_findings()

    locations = terraform_locations(findings, checkout, today=TODAY)
    sarif = to_sarif(findings, version="t", default_location="ztdrift.yaml", locations=locations)

    assert locations, "the bundled Terraform manages several of the demo's resources"
    for path, line in locations.values():
        text = (checkout / path).read_text().splitlines()
        assert path.endswith(".tf") and 1 <= line <= len(text)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert any(u.endswith(".tf") for u in uris)
    assert "ztdrift.yaml" in uris  # the group no code manages keeps the configuration file
    json.dumps(sarif)


def test_no_terraform_means_no_locations(tmp_path: Path) -> None:
    assert terraform_locations(demo_findings(), tmp_path, today=TODAY) == {}


def test_first_change_reads_the_first_hunk() -> None:
    patch = "--- a/iam.tf\n+++ b/iam.tf\n@@ -12,7 +12,0 @@\n-resource\n"

    assert first_change(patch) == ("iam.tf", 12)
    assert first_change("") is None

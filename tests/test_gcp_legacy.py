"""Exports of the v1beta1 era: old asset type names and singular field names are read."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from scanner.collectors.gcp_assets import read_export
from tests.fake_gcp_assets import NOW, findings_of

LEGACY = Path(__file__).parent / "data" / "gcp" / "cai-export-resource-legacy.jsonl"
FIREWALL = "//compute.googleapis.com/projects/dothraki-horses-dev-1/global/firewalls/"
NETWORK = "//compute.googleapis.com/projects/dothraki-horses-dev-1/global/networks/default"


def legacy_line() -> dict:  # type: ignore[type-arg]
    return json.loads(LEGACY.read_text().splitlines()[0])  # type: ignore[no-any-return]


def test_shared_legacy_firewall_is_read_with_its_old_field_names() -> None:
    snapshot = read_export(LEGACY, NOW)

    (group,) = snapshot.network_groups
    assert group.id == FIREWALL + "default-allow-internal"
    assert group.account == "dothraki-horses-dev-1"
    assert group.network == NETWORK
    rules = {
        (r.protocol, r.from_port, r.to_port, r.peer, r.priority) for r in snapshot.network_rules
    }
    assert rules == {
        ("tcp", 0, 65535, "10.128.0.0/9", 65534),
        ("udp", 0, 65535, "10.128.0.0/9", 65534),
        ("icmp", 0, 65535, "10.128.0.0/9", 65534),
    }
    assert all(r.direction == "ingress" for r in snapshot.network_rules)


def test_legacy_network_gets_the_implied_egress_finding() -> None:
    found = findings_of(read_export(LEGACY, NOW))

    assert [(f.rule, f.resource) for f in found] == [("open-egress/all-traffic", NETWORK)]


def test_legacy_egress_rule_with_singular_fields_is_judged(tmp_path: Path) -> None:
    line = legacy_line()
    data = line["resource"]["data"]
    data.update(direction="EGRESS", name="legacy-out", targetTag=["web"], priority=100)
    data.pop("sourceRange")
    data["destinationRange"] = ["0.0.0.0/0"]
    data["allowed"] = [{"ipProtocol": "tcp", "port": ["443"]}]
    line["name"] = FIREWALL + "legacy-out"
    deny = json.loads(json.dumps(line))
    deny["name"] = FIREWALL + "deny-all-out"
    deny["resource"]["data"].update(name="deny-all-out", priority=65534, targetTag=[])
    deny["resource"]["data"].pop("allowed")
    deny["resource"]["data"]["denied"] = [{"ipProtocol": "all"}]
    deny["resource"]["data"]["destinationRange"] = ["0.0.0.0/0", "::/0"]
    export = tmp_path / "legacy.jsonl"
    export.write_text(json.dumps(line) + "\n" + json.dumps(deny) + "\n")

    found = {f.resource: f for f in findings_of(read_export(export, NOW))}

    assert set(found) == {FIREWALL + "legacy-out"}
    finding = found[FIREWALL + "legacy-out"]
    assert finding.rule == "open-egress/ports"
    assert finding.evidence["targets"] == ["targetTags=web"]


def test_legacy_type_ztdrift_does_not_read_is_logged_with_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    line = legacy_line()
    line["asset_type"] = "google.compute.Instance"
    export = tmp_path / "instances.jsonl"
    export.write_text(json.dumps(line) + "\n")

    with caplog.at_level(logging.INFO, logger="scanner.collectors.gcp_assets"):
        snapshot = read_export(export, NOW)

    assert not snapshot.network_groups
    assert f"{export}:1: legacy asset type google.compute.Instance" in caplog.text


def test_current_type_names_are_not_mistaken_for_legacy_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="scanner.collectors.gcp_assets"):
        read_export(LEGACY.with_name("cai-export-resource.jsonl"), NOW)

    assert "legacy asset type" not in caplog.text

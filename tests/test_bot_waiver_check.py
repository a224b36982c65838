"""`ztdrift waivers check` reports every invalid entry of a file in one run, each with its line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scanner import waivers
from scanner.cli import main
from scanner.errors import InputError
from scanner.findings import FindingsReport
from scanner.state import report_json
from tests.test_remediators_findings import egress_finding

BROKEN = """\
waivers:
  - id: W-001
    rule: long-lived-key
    resource: "AKIAEXAMPLE0001"
    reason: no owner here
    expires: 2025-01-10
  - id: W-002
    rule: open-everything
    resource: "arn:aws:ec2:*"
    owner: alice
    reason: "NAT instance"
    expires: 2025-01-20
  - id: W-003
    rule: public-data
    resource: "arn:aws:s3:::site"
    owner: bob
    reason: Static site
    expires: 2026-03-01
  - id: W-001
    rule: public-data
    resource: "arn:aws:s3:::other"
    owner: bob
    reason: Duplicate id
    expires: 2025-02-01
  - id: W-005
    rule: public-data
    resource: "arn:aws:s3:::fine"
    owner: carol
    expires: 2025-02-01
"""


@pytest.fixture
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "scanner.commands.waivers_cmd.utcnow", lambda: datetime(2025, 1, 1, tzinfo=UTC)
    )


def test_check_reports_every_invalid_entry_with_its_line(
    tmp_path: Path, frozen_today: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    assert main(["waivers", "check", str(path)]) == 2
    err = capsys.readouterr().err
    expected = [
        (f"{path}:2:", "'owner': required field missing"),
        (f"{path}:8:", "unknown rule family"),
        (f"{path}:13:", "past the 90-day horizon"),
        (f"{path}:19:", "duplicate waiver id 'W-001' (first at line 2)"),
        (f"{path}:25:", "'reason': required field missing"),
    ]
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == len(expected)
    for line, (where, message) in zip(lines, expected, strict=True):
        assert where in line and message in line
    assert "5 error(s)" in err


def test_check_of_one_entry_with_several_gaps_names_each_field(
    tmp_path: Path, frozen_today: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n  - id: W-009\n    rule: public-data\n    resource: x\n", encoding="utf-8"
    )
    assert main(["waivers", "check", str(path)]) == 2
    err = capsys.readouterr().err
    for field in ("owner", "reason", "expires"):
        assert f"{path}:2: waiver field '{field}': required field missing" in err


def test_loader_without_an_error_list_still_stops_at_the_first(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        waivers.load(path, today=date(2025, 1, 1), horizon_days=90)
    assert raised.value.where == f"{path}:2"

    errors: list[InputError] = []
    loaded = waivers.load(path, today=date(2025, 1, 1), horizon_days=90, errors=errors)
    assert loaded.waivers == [] and len(errors) == 5


def test_unmatched_selectors_stay_warnings(
    tmp_path: Path, frozen_today: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "waivers.yaml"
    valid = BROKEN.split("  - id: W-002")[0].replace(
        "    reason: no owner here\n", "    owner: alice\n    reason: CI key\n"
    )
    path.write_text(valid, encoding="utf-8")
    findings = tmp_path / "findings.json"
    report = FindingsReport(generated_at="2025-01-01T00:00:00Z", findings=[egress_finding()])
    findings.write_text(report_json(report), encoding="utf-8")

    assert main(["waivers", "check", str(path), "--findings", str(findings)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {path}:2: waiver W-001 matches no finding" in out

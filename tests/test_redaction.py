"""Public repositories publish SARIF and summaries: account ids, key ids and paths stay out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.pipeline import RunOptions, run
from tests.builders import ADMIN_ARN, NOW, Estate
from tests.test_import_authz import _real_export

ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


def _estate() -> Estate:
    estate = Estate()
    boss = estate.user("boss")
    estate.attach(boss, ADMIN_ARN)
    estate.key(boss)
    return estate


def test_redacted_sarif_and_summary_hold_no_account_ids_or_paths(tmp_path: Path) -> None:
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "w.yaml", redact=True)

    report, _ = run(_estate().snapshot(), options)

    sarif = (tmp_path / "findings.sarif").read_text()
    summary = (tmp_path / "summary.md").read_text()
    assert not ACCOUNT_ID.search(sarif) and not ACCOUNT_ID.search(summary)
    assert "Paths to administrator power" not in summary
    assert "&lt;account&gt;" in summary
    # The team's own findings.json keeps everything, and alerts keep their fingerprints.
    kept = json.loads((tmp_path / "findings.json").read_text())
    assert kept["findings"][0]["account"] == "111122223333"
    ids = {
        r["partialFingerprints"]["ztdriftFinding/v1"]
        for r in json.loads(sarif)["runs"][0]["results"]
    }
    assert ids == {f.id for f in report.findings}


def test_unredacted_outputs_keep_the_detail(tmp_path: Path) -> None:
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "w.yaml")

    run(_estate().snapshot(), options)

    assert "111122223333" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("private", "redacted"), [(False, True), (True, False)])
def test_auto_redaction_follows_the_repository_visibility(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private: bool, redacted: bool
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"private": private}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))

    main(
        [
            "scan",
            "--import",
            f"aws-authz={_real_export()}",
            "--out",
            str(tmp_path / "o"),
            "--no-state",
            "--waivers",
            str(tmp_path / "w.yaml"),
        ]
    )

    summary = (tmp_path / "o" / "summary.md").read_text()
    assert ("012345678901" not in summary) is redacted

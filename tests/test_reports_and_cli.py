"""Reports (SARIF, summary, snapshot files) and the command line's contract."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scanner import snapshot_io
from scanner.cli import main
from scanner.errors import InputError
from scanner.findings import FINDINGS_SCHEMA
from scanner.markdown import escape_markdown as escape
from scanner.pipeline import RunOptions, run
from tests.builders import ADMIN_ARN, NOW, Estate
from tests.test_import_authz import _real_export

HOSTILE = "x](https://evil.example) @acme/admins <img src=x> | `tick`"


def _hostile_estate() -> Estate:
    estate = Estate()
    user = estate.user(HOSTILE)
    estate.attach(user, ADMIN_ARN)
    return estate


def test_markdown_escape_neutralises_links_mentions_and_html() -> None:
    text = escape(HOSTILE)

    assert "](" not in text
    assert "<img" not in text
    assert "@acme" not in text
    assert "https://" not in text
    assert "\\|" in text
    assert escape("a -> b") == "a \\-&gt; b"


def test_summary_and_sarif_escape_cloud_names(tmp_path: Path) -> None:
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "none.yaml")
    run(_hostile_estate().snapshot(), options)

    summary = (tmp_path / "summary.md").read_text()
    sarif = json.loads((tmp_path / "findings.sarif").read_text())

    assert "<img" not in summary and "](https" not in summary
    message = sarif["runs"][0]["results"][0]["message"]["text"]
    assert "<img" not in message and "@acme" not in message and "https://" not in message
    assert "\\" not in message  # plain text: no Markdown escapes to show as backslashes


def test_sarif_has_rules_fingerprints_and_a_location_for_every_result(tmp_path: Path) -> None:
    estate = _hostile_estate()
    estate.key(estate.user("ci"))
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "none.yaml")
    report, _ = run(estate.snapshot(), options)

    sarif = json.loads((tmp_path / "findings.sarif").read_text())
    (run_,) = sarif["runs"]
    rules = {r["id"] for r in run_["tool"]["driver"]["rules"]}

    assert sarif["version"] == "2.1.0"
    assert len(run_["results"]) == len(report.findings) == 2
    for result in run_["results"]:
        assert result["ruleId"] in rules
        assert result["partialFingerprints"]["ztdriftFinding/v1"] in {f.id for f in report.findings}
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_findings_json_follows_the_contract(tmp_path: Path) -> None:
    options = RunOptions(out_dir=tmp_path, now=NOW, waiver_file=tmp_path / "none.yaml")
    run(_hostile_estate().snapshot(), options)

    data = json.loads((tmp_path / "findings.json").read_text())
    finding = data["findings"][0]

    assert data["schema"] == FINDINGS_SCHEMA
    assert {"findings", "resolved", "gaps"} <= set(data)
    for key in (
        "id",
        "rule",
        "provider",
        "account",
        "resource",
        "principal",
        "severity",
        "title",
        "path",
        "status",
        "waiver",
    ):
        assert key in finding


def test_finding_id_is_stable_across_wording_and_counts() -> None:
    estate = _hostile_estate()
    first = estate.findings()[0]
    estate.key(estate.principals[0].id)  # makes the admin finding critical, retitled
    second = next(f for f in estate.findings() if f.family == "standing-admin")

    assert second.title != first.title
    assert second.id == first.id


def test_snapshot_files_are_deterministic_and_round_trip(tmp_path: Path) -> None:
    snapshot = _hostile_estate().snapshot()
    a = snapshot_io.write(snapshot, tmp_path / "a.json.gz")
    b = snapshot_io.write(
        snapshot.model_copy(update={"principals": snapshot.principals[::-1]}),
        tmp_path / "b.json.gz",
    )

    assert a.read_bytes() == b.read_bytes()
    assert json.loads(gzip.decompress(a.read_bytes()))["schema"] == "ztdrift.snapshot/v1"
    assert snapshot_io.read(a) == snapshot


def test_broken_snapshot_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"schema": "ztdrift.snapshot/v1", "taken_at": "x"}')

    with pytest.raises(InputError, match=str(path)):
        snapshot_io.read(path)


def test_cli_import_then_analyze_saved_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "scan",
            "--import",
            f"aws-authz={_real_export()}",
            "--out",
            str(out),
            "--state-dir",
            str(tmp_path / "state"),
            "--waivers",
            str(tmp_path / "w.yaml"),
        ]
    )
    again = main(
        [
            "analyze",
            str(out / "snapshot.json.gz"),
            "--out",
            str(tmp_path / "again"),
            "--waivers",
            str(tmp_path / "w.yaml"),
            "--fail-on",
            "critical",
        ]
    )

    first = json.loads((out / "findings.json").read_text())["findings"]
    second = json.loads((tmp_path / "again" / "findings.json").read_text())["findings"]
    assert code == 1 and again == 0
    assert [f["id"] for f in first] == [f["id"] for f in second]


def test_cli_bad_input_exits_2_with_the_file_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")

    code = main(["scan", "--import", f"aws-authz={broken}", "--out", str(tmp_path / "o")])

    err = capsys.readouterr().err
    assert code == 2
    assert "broken.json" in err and "Traceback" not in err


def test_cli_waivers_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "waivers:\n  - id: W-1\n    rule: open-egress\n    resource: '*'\n"
        "    owner: octocat\n    reason: proxy migration\n    expires: 2020-01-01\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("waivers:\n  - id: W-1\n    rule: open-egress\n")

    assert main(["waivers", "check", str(good)]) == 0
    assert "expired" in capsys.readouterr().out
    assert main(["waivers", "check", str(bad)]) == 2
    assert "bad.yaml:2" in capsys.readouterr().err


def test_cli_diff_lists_new_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = snapshot_io.write(Estate().snapshot(), tmp_path / "old.json")
    new = snapshot_io.write(_hostile_estate().snapshot(), tmp_path / "new.json")

    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "+ new" in out and "standing-admin/direct" in out
    assert "new principals" in out


def test_summary_spells_out_paths_to_administrator_power(tmp_path: Path) -> None:
    code = main(
        [
            "scan",
            "--import",
            f"aws-authz={_real_export()}",
            "--out",
            str(tmp_path),
            "--no-state",
            "--waivers",
            str(tmp_path / "w.yaml"),
        ]
    )

    summary = (tmp_path / "summary.md").read_text()
    section = summary.split("## Paths to administrator power", 1)[1]
    assert code == 1
    assert "role\\/OverprivilegedEC2 \\-&gt; create an access key" in section

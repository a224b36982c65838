"""SARIF for GitHub code scanning: one run per category, stable fingerprints, limits kept."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from scanner.findings import FindingsReport, Severity, make_finding
from scanner.reports.sarif import to_sarif
from scanner.reports.sarif_limits import category_of, fit_to_limits, gzip_size
from scanner.reports.summary import MAX_BYTES, stale_warning, to_markdown

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _findings(count: int, severity: Severity = Severity.MEDIUM, prefix: str = "sg") -> list:
    return [
        make_finding(
            "open-egress/ports",
            provider="aws",
            account="123456789012",
            resource=f"arn:aws:ec2:us-east-1:123456789012:security-group/{prefix}-{i:06d}",
            severity=severity,
            title="Security group allows egress to the internet",
        )
        for i in range(count)
    ]


def test_one_run_with_one_category_and_a_location_for_every_result() -> None:
    sarif = to_sarif(_findings(3), version="0", default_location="ztdrift.yaml", category="zt")

    (run,) = sarif["runs"]
    assert category_of(run) == "zt"
    for result in run["results"]:
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "ztdrift.yaml"
        assert location["physicalLocation"]["region"]["startLine"] >= 1


def test_fingerprint_is_per_rule_and_resource_not_per_wording() -> None:
    first = _findings(1)[0]
    reworded = first.model_copy(update={"title": "other words", "severity": "high"})

    def fingerprint(finding: object) -> str:
        sarif = to_sarif([finding], version="0", default_location="x")  # type: ignore[list-item]
        return str(sarif["runs"][0]["results"][0]["partialFingerprints"]["ztdriftFinding/v1"])

    assert fingerprint(first) == fingerprint(reworded)
    assert fingerprint(first) != fingerprint(_findings(2)[1])


def test_results_past_the_stored_limit_keep_the_worst_and_say_so() -> None:
    findings = _findings(5_100) + _findings(3, Severity.CRITICAL, prefix="crit")

    sarif = to_sarif(findings, version="0", default_location="ztdrift.yaml")

    (run,) = sarif["runs"]
    assert len(run["results"]) == 5_000
    kept = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in run["results"]}
    assert all(any(f"crit-{i:06d}" in name for name in kept) for i in range(3))
    assert run["properties"]["ztdrift.truncated"] == 103
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "103" in note and "findings.json" in note


def test_the_compressed_size_limit_halves_results_until_it_fits() -> None:
    sarif = to_sarif(_findings(400), version="0", default_location="x")
    limit = gzip_size(sarif) // 3

    fitted = fit_to_limits(sarif, max_gzip_bytes=limit)

    assert gzip_size(fitted) <= limit
    assert 0 < len(fitted["runs"][0]["results"]) < 400
    assert len(sarif["runs"][0]["results"]) == 400  # the input is left as it was
    assert len(gzip.compress(json.dumps(fitted).encode())) > 0


def test_two_runs_with_one_category_are_refused() -> None:
    run = to_sarif([], version="0", default_location="x")["runs"][0]
    with pytest.raises(ValueError, match="share the category"):
        fit_to_limits({"version": "2.1.0", "runs": [run, dict(run)]})


def test_summary_stays_under_the_step_summary_limit_worst_first() -> None:
    findings = _findings(30_000) + _findings(1, Severity.CRITICAL, prefix="worst")
    from scanner.analysis import sort_findings

    report = FindingsReport(generated_at=NOW.isoformat(), findings=sort_findings(findings))
    text = to_markdown(report)

    assert len(text.encode()) <= 1024 * 1024
    assert len(text.encode()) <= MAX_BYTES + 200
    plain = text.replace("\\", "")
    table = plain.index("| severity |")
    assert table < plain.index("worst-000000") < plain.index("sg-000000")


def test_stale_previous_snapshot_warns_past_twice_the_interval() -> None:
    day = timedelta(hours=24)
    assert stale_warning(NOW - timedelta(hours=47), NOW, day) is None
    assert stale_warning(None, NOW, day) is None
    warning = stale_warning(NOW - timedelta(days=3), NOW, day)
    assert warning is not None and "72 hours" in warning and "60 days" in warning

    report = FindingsReport(generated_at=NOW.isoformat())
    assert warning in to_markdown(report, [warning]).replace("\\", "")

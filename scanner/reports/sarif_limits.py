"""Keep a SARIF log inside what GitHub code scanning accepts and stores.

GitHub's documented limits for an upload: at most 20 runs per file, 25,000 results per run
(only the 5,000 most severe are stored), 1,000 locations per result, 20 tags per rule, and
10 MB for the gzip-compressed file. Since mid-2025 it also rejects two runs with the same
category in one upload. ztdrift writes one run per category; when a run has more results than
are stored, the least severe are dropped here, worst first kept, and the run says so in a
tool notification and in its properties, so the cut is never silent.

Not handled yet: the scan does not pass Terraform positions to the SARIF writer, so every
result points at the configuration or waiver file (line 1) rather than the resource's `.tf`
line; the remediators find those positions only when `ztdrift pr` runs.
"""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_RUNS = 20
# The hard limit is 25,000; GitHub keeps only the top 5,000 by severity, so sending more would
# only cost upload size and hide which results were stored.
MAX_STORED_RESULTS = 5_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVEL_ORDER = {"error": 0, "warning": 1, "note": 2, "none": 3}


def fit_to_limits(
    log_: dict[str, Any],
    *,
    max_results: int = MAX_STORED_RESULTS,
    max_gzip_bytes: int = MAX_GZIP_BYTES,
) -> dict[str, Any]:
    """Return the log trimmed to GitHub's limits; the input is not changed.

    Raises ValueError when two runs share a category, since no trimming can fix that.
    """
    fitted: dict[str, Any] = json.loads(json.dumps(log_))
    runs = fitted.get("runs", [])
    _check_categories(runs)

    for run in runs:
        _trim_rules(run)
        _trim_locations(run)
        _trim_results(run, max_results)

    # Halve the results until the compressed file fits: a crude bound, but results dominate
    # the size and each halving keeps the most severe ones.
    while gzip_size(fitted) > max_gzip_bytes:
        largest = max(runs, key=lambda r: len(r.get("results", [])))
        kept = len(largest.get("results", [])) // 2
        if kept == 0:
            raise ValueError("the SARIF log is over the size limit even without results")
        _trim_results(largest, kept)
    return fitted


def gzip_size(log_: dict[str, Any]) -> int:
    """The size of the log as GitHub measures it: compact JSON, gzip-compressed."""
    data = json.dumps(log_, separators=(",", ":")).encode()
    return len(gzip.compress(data))


def category_of(run: dict[str, Any]) -> str:
    """A run's category: its automationDetails id up to the last '/' (GitHub's reading)."""
    run_id = str(run.get("automationDetails", {}).get("id", ""))
    return run_id.rsplit("/", 1)[0] if "/" in run_id else run_id


def _check_categories(runs: list[dict[str, Any]]) -> None:
    if len(runs) > MAX_RUNS:
        raise ValueError(f"{len(runs)} runs in one SARIF file; GitHub accepts {MAX_RUNS}")
    seen: set[str] = set()
    for run in runs:
        category = category_of(run)
        if category in seen:
            raise ValueError(f"two SARIF runs share the category {category!r}")
        seen.add(category)


def _trim_rules(run: dict[str, Any]) -> None:
    for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
        tags = rule.get("properties", {}).get("tags")
        if tags and len(tags) > MAX_TAGS:
            rule["properties"]["tags"] = tags[:MAX_TAGS]


def _trim_locations(run: dict[str, Any]) -> None:
    for result in run.get("results", []):
        locations = result.get("locations", [])
        if len(locations) > MAX_LOCATIONS:
            result["locations"] = locations[:MAX_LOCATIONS]


def _trim_results(run: dict[str, Any], limit: int) -> None:
    """Keep the `limit` most severe results and record how many were dropped."""
    results = run.get("results", [])
    if len(results) <= limit:
        return

    ranked = sorted(results, key=_severity_key)
    dropped = len(results) - limit + run.get("properties", {}).get("ztdrift.truncated", 0)
    run["results"] = ranked[:limit]

    note = (
        f"{dropped} less severe result(s) left out to stay within GitHub's limits; "
        "findings.json lists every finding"
    )
    log.warning("SARIF: %s", note)
    run.setdefault("properties", {})["ztdrift.truncated"] = dropped
    run["invocations"] = [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [{"level": "warning", "message": {"text": note}}],
        }
    ]


def _severity_key(result: dict[str, Any]) -> tuple[float, int]:
    """Most severe first: the security-severity score, then the SARIF level."""
    score = float(result.get("properties", {}).get("security-severity", 0) or 0)
    return (-score, LEVEL_ORDER.get(str(result.get("level", "warning")), 1))

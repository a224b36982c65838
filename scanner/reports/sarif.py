"""SARIF 2.1.0 output that GitHub code scanning accepts.

Every result carries a stable fingerprint per rule and cloud resource (the finding id), and a
location in the repository: the Terraform file that manages the resource when known, the
configuration or waiver file otherwise, because code scanning rejects results without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules import rule_infos
from scanner.findings import Finding, Severity
from scanner.markdown import plain
from scanner.reports.sarif_limits import fit_to_limits

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity scores to its own labels (9.0+ critical, 7.0+ high, ...).
SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}


def to_sarif(
    findings: list[Finding],
    *,
    version: str,
    default_location: str,
    locations: Mapping[str, tuple[str, int]] | None = None,
    category: str = "ztdrift",
) -> dict[str, Any]:
    """Build the SARIF log; `locations` maps finding ids to (repository path, line).

    One run with one category; results past GitHub's limits are cut, worst kept, with a note.
    """
    infos = rule_infos()
    used = sorted({f.rule for f in findings} | set(infos))
    rule_index = {rule: i for i, rule in enumerate(used)}
    rules = [_rule(rule, infos) for rule in used]
    results = [
        _result(f, rule_index[f.rule], (locations or {}).get(f.id, (default_location, 1)))
        for f in findings
        if f.waiver is None
    ]
    sarif_log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ztdrift",
                        "version": version,
                        "informationUri": "https://github.com/ztdrift/ztdrift",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"{category}/"},
                "results": results,
            }
        ],
    }
    return fit_to_limits(sarif_log)


def _rule(rule: str, infos: Mapping[str, Any]) -> dict[str, Any]:
    info = infos.get(rule)
    title = info.title if info else rule
    severity = info.severity if info else Severity.MEDIUM
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.replace("/", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": info.rationale if info else title},
        "help": {
            "text": info.remediation if info else title,
            "markdown": info.remediation if info else title,
        },
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "tags": ["security", "zero-trust", rule.split("/", 1)[0]],
            "security-severity": SCORES[severity],
        },
    }


def _result(finding: Finding, index: int, location: tuple[str, int]) -> dict[str, Any]:
    path, line = location
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVELS[finding.level],
        "message": {"text": plain(finding.title) + f" ({plain(finding.resource)})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": max(1, line)},
                },
                "logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"ztdriftFinding/v1": finding.id},
        "properties": {
            "severity": finding.severity,
            "provider": finding.provider,
            "account": finding.account,
            "status": finding.status,
            "security-severity": SCORES[finding.level],
        },
    }

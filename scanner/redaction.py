"""Redaction for what public repositories publish: no account ids, key ids or escalation paths.

A public repository shows its pull requests, code-scanning alerts and job summaries to the
world. There, account ids and access key ids are masked and escalation paths withheld; the
full detail stays in findings.json, which the workflow keeps to itself.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Literal

from scanner.findings import FindingsReport

RedactionSetting = Literal["auto", "on", "off"]

# AWS account ids are 12 digits; access key ids start with a four-letter kind (AKIA for
# long-term keys, ASIA for temporary ones, and the other documented prefixes).
ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
KEY_ID = re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{8,}\b")


def wanted(setting: RedactionSetting, repository_private: bool) -> bool:
    """Whether to redact: on, off, or (auto) exactly when the repository is public."""
    if setting == "auto":
        return not repository_private
    return setting == "on"


def running_in_public_repository(environ: Mapping[str, str] | None = None) -> bool:
    """True inside a GitHub Actions run of a public repository (from the event payload).

    Outside Actions, or when the payload does not say, the repository counts as private:
    a local run publishes nothing by itself.
    """
    env = os.environ if environ is None else environ
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return False
    try:
        with open(path, encoding="utf-8") as handle:
            repository = json.load(handle).get("repository") or {}
    except (OSError, ValueError, AttributeError):
        return False
    return repository.get("private") is False or repository.get("visibility") == "public"


def mask(text: str) -> str:
    """`text` with account ids and access key ids masked."""
    text = KEY_ID.sub(lambda m: m.group(1) + "…", text)
    return ACCOUNT.sub("<account>", text)


def for_publishing(report: FindingsReport) -> FindingsReport:
    """A copy of the report fit for a public summary or SARIF upload.

    Titles, resources and accounts are masked; paths and evidence are withheld. Finding ids
    stay, so alerts keep their fingerprints.
    """
    copy = report.model_copy(deep=True)
    for finding in copy.findings:
        finding.account = mask(finding.account)
        finding.resource = mask(finding.resource)
        finding.principal = mask(finding.principal) if finding.principal else None
        finding.title = mask(finding.title)
        finding.path = []
        finding.evidence = {}
    for resolved in copy.resolved:
        resolved.account = mask(resolved.account)
        resolved.resource = mask(resolved.resource)
        resolved.title = mask(resolved.title)
    for gap in copy.gaps:
        gap.account = mask(gap.account)
        gap.error = mask(gap.error)
    copy.changes = {kind: [mask(item) for item in items] for kind, items in copy.changes.items()}
    copy.unsupported = [{**note, "policy": mask(str(note["policy"]))} for note in copy.unsupported]
    return copy

"""Where in the repository each finding's fix would go: the Terraform file and line.

Code scanning needs a repository location for every result. When the scan knows the Terraform
checkout, the remediators find the block that manages each resource (as `ztdrift pr` would);
the first changed line of that plan's patch is the result's location. Findings that no code
manages keep the configuration or waiver file as their location.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from scanner.errors import ZtdriftError
from scanner.findings import Finding

log = logging.getLogger(__name__)

HUNK = re.compile(r"^@@ -(\d+)")


def terraform_locations(
    findings: list[Finding], terraform_dir: Path, *, today: date
) -> dict[str, tuple[str, int]]:
    """Finding id -> (path relative to the checkout, line) for every finding a fix plan edits."""
    from remediators.plan import build_plans

    if not any(terraform_dir.rglob("*.tf")):
        return {}
    try:
        plans = build_plans(findings, terraform_dir, today=today)
    except ZtdriftError as exc:
        # A checkout the remediators cannot read only costs the SARIF its precise locations.
        log.warning("no Terraform locations for SARIF: %s", exc)
        return {}

    found: dict[str, tuple[str, int]] = {}
    for plan in plans:
        if plan.kind != "fix":
            continue
        place = first_change(plan.patch)
        if place is not None:
            found.update({finding_id: place for finding_id in plan.findings})
    return found


def first_change(patch: str) -> tuple[str, int] | None:
    """The file and first line of a unified diff's first hunk."""
    path: str | None = None
    for line in patch.splitlines():
        if line.startswith("+++ b/"):
            path = line[len("+++ b/") :]
        elif path is not None and (match := HUNK.match(line)):
            return path, max(1, int(match.group(1)))
    return None

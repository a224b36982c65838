"""Cloud-supplied names are inert in pull request bodies."""

from __future__ import annotations

import re
from pathlib import Path

from remediators.plan import build_plans
from scanner.markdown import escape_markdown, fence
from tests.test_remediators_findings import TODAY, bucket_finding, egress_finding

HOSTILE = "x](http://evil) @org/team <img src=x onerror=alert(1)> **bold** `code` www.evil.com"


def _unescaped(text: str, char: str) -> bool:
    return re.search(r"(?<!\\)" + re.escape(char), text) is not None


def test_hostile_name_makes_no_link_mention_or_html() -> None:
    out = escape_markdown(HOSTILE)
    assert "<" not in out and ">" not in out
    assert "@org" not in out
    assert "://" not in out and "www." not in out
    for char in "[]()*`":
        assert not _unescaped(out, char)


def test_newlines_cannot_start_new_blocks() -> None:
    assert "\n" not in escape_markdown("a\n# heading\n- item")


def test_fence_outgrows_backticks_inside() -> None:
    block = fence("```\nbreak out\n````", "yaml")
    assert block.startswith("`````yaml\n") and block.endswith("`````\n")


def test_plan_body_escapes_hostile_cloud_names(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("# nothing managed here\n")
    findings = [egress_finding("sg-0hostile", HOSTILE), bucket_finding("acme-x")]
    findings[0] = findings[0].model_copy(update={"title": HOSTILE, "path": [HOSTILE]})
    for plan in build_plans(findings, tmp_path, today=TODAY):
        prose = re.sub(r"(`{3,})[a-z]*\n.*?\n\1\n", "", plan.body, flags=re.S)
        assert "<img" not in prose and "](http" not in prose and "@org" not in prose
        assert len(plan.body) <= 65_536


def test_long_evidence_is_truncated_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    finding = bucket_finding("acme-big")
    finding = finding.model_copy(update={"evidence": {"bucket": "acme-big", "blob": "x" * 200_000}})
    plan = build_plans([finding], tmp_path, today=TODAY)[0]
    assert len(plan.body) <= 65_536
    assert "evidence truncated" in plan.body
    assert "<!-- ztdrift:" in plan.body

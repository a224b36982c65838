"""The waiver lifecycle: round-trip edits, the CLI, renewal/removal/clean-up pull requests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from remediators.github_client import Credentials, Pacing, connect
from remediators.github_pr import BotPolicy, sync
from remediators.pr_mermaid import label
from remediators.renewal import lifecycle_proposals
from scanner import config as config_file
from scanner import waiver_edit, waivers
from scanner.cli import main
from scanner.errors import InputError
from scanner.findings import FindingsReport
from scanner.state import report_json
from tests.fake_github import FakeGitHub
from tests.test_bot_runs import NOW
from tests.test_remediators_findings import bucket_finding, egress_finding, key_finding

TODAY = date(2025, 1, 1)
FILE = """\
# Exceptions, reviewed by security.
waivers:
    # The CI key is rotated by hand until OIDC lands.
    - id: W-001
      rule: long-lived-key   # the whole family
      resource: "AKIAEXAMPLE0001"
      owner: '@acme/platform'
      reason: Rotated by hand until OIDC lands
      expires: 2025-01-10

    - id: W-002
      rule: open-egress
      resource: "arn:aws:ec2:*"
      owner: alice
      reason: "NAT instance"
      expires: 2024-12-20

    - id: W-003
      rule: public-data
      resource: "arn:aws:s3:::gone-bucket"
      owner: bob
      reason: Static site
      expires: 2025-03-01
"""


def test_renew_changes_only_the_two_lines() -> None:
    new = waiver_edit.renew(
        FILE,
        "W-001",
        until=date(2025, 3, 1),
        reason="Still needed",
        today=TODAY,
        horizon_days=90,
        where="w.yaml",
    )
    changed = [(a, b) for a, b in zip(FILE.splitlines(), new.splitlines(), strict=True) if a != b]
    assert changed == [
        ("      reason: Rotated by hand until OIDC lands", "      reason: Still needed"),
        ("      expires: 2025-01-10", "      expires: 2025-03-01"),
    ]


def test_renew_past_the_horizon_or_unknown_id_is_refused() -> None:
    with pytest.raises(InputError, match="horizon"):
        waiver_edit.renew(
            FILE,
            "W-001",
            until=date(2026, 1, 1),
            reason=None,
            today=TODAY,
            horizon_days=90,
            where="w.yaml",
        )
    with pytest.raises(InputError, match="no waiver with id"):
        waiver_edit.expire(FILE, "W-404", today=TODAY, where="w.yaml")


def test_remove_keeps_comments_and_other_entries() -> None:
    new = waiver_edit.remove(FILE, ["W-002"], where="w.yaml")
    assert "W-002" not in new and "# The CI key is rotated" in new
    assert "# Exceptions, reviewed by security." in new and "owner: '@acme/platform'" in new
    assert new.count("- id:") == 2


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(FILE, encoding="utf-8")
    return path


def _findings_file(tmp_path: Path) -> Path:
    report = FindingsReport(
        generated_at="2025-01-01T00:00:00Z", findings=[key_finding(), egress_finding()]
    )
    path = tmp_path / "findings.json"
    path.write_text(report_json(report), encoding="utf-8")
    return path


@pytest.fixture
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    monkeypatch.setattr(
        "scanner.commands.waivers_cmd.utcnow", lambda: datetime(2025, 1, 1, tzinfo=UTC)
    )


def test_cli_renew_and_expire_edit_in_place(tmp_path: Path, frozen_today: None) -> None:
    path = _write(tmp_path)
    assert (
        main(
            [
                "waivers",
                "renew",
                "W-001",
                str(path),
                "--until",
                "2025-02-01",
                "--reason",
                "Still needed",
            ]
        )
        == 0
    )
    assert "expires: 2025-02-01" in path.read_text() and "# the whole family" in path.read_text()
    assert main(["waivers", "expire", "W-003", str(path)]) == 0
    loaded = waivers.load(path, today=TODAY)
    assert not next(w for w in loaded.waivers if w.id == "W-003").active_on(TODAY)
    # Past the horizon: refused, and the file is unchanged.
    before = path.read_text()
    assert (
        main(["waivers", "renew", "W-001", str(path), "--until", "2026-01-01", "--reason", "x"])
        == 2
    )
    assert path.read_text() == before


def test_cli_check_warns_about_waivers_matching_nothing(
    tmp_path: Path, frozen_today: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path)
    findings = _findings_file(tmp_path)
    assert main(["waivers", "check", str(path), "--findings", str(findings)]) == 0
    out = capsys.readouterr().out
    assert "W-003 matches no finding" in out and "W-001 matches" not in out
    assert "W-002 expired" in out
    assert main(["waivers", "list", str(path), "--findings", str(findings)]) == 0
    listing = capsys.readouterr().out
    assert "expiring" in listing and "expired" in listing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("      owner: alice\n", ""), "'owner': required field missing"),
        (('      reason: "NAT instance"\n', ""), "'reason': required field missing"),
        (("      expires: 2024-12-20\n", ""), "'expires': required field missing"),
        (("expires: 2025-03-01", "expires: 2026-03-01"), "horizon"),
        (("id: W-003", "id: W-001"), "duplicate waiver id"),
        (("rule: open-egress", "rule: open-everything"), "unknown rule family"),
    ],
)
def test_cli_check_fails_an_invalid_file(
    tmp_path: Path,
    frozen_today: None,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(FILE.replace(*change), encoding="utf-8")
    assert main(["waivers", "check", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_init_writes_a_valid_commented_starter(tmp_path: Path) -> None:
    path = tmp_path / "ztdrift.yaml"
    assert main(["init", "--path", str(path)]) == 0
    text = path.read_text()
    assert text.count("#") > 10
    loaded = config_file.load(path)
    assert loaded.bot.max_open == 10 and loaded.bot.max_new_per_run == 2
    assert main(["init", "--path", str(path)]) == 2


def _lifecycle(root: Path, findings: list) -> list:  # type: ignore[type-arg]
    loaded = waivers.load(root / ".ztdrift/waivers.yaml", today=TODAY, horizon_days=1000)
    return lifecycle_proposals(
        loaded,
        findings,
        rel_path=".ztdrift/waivers.yaml",
        today=TODAY,
        window_days=14,
        horizon_days=90,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / ".ztdrift").mkdir()
    (tmp_path / ".ztdrift" / "waivers.yaml").write_text(FILE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def fake(checkout: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo("acme/infra", {".ztdrift/waivers.yaml": FILE})
        yield server


def test_lifecycle_prs_renew_remove_and_clean_up(checkout: Path, fake: FakeGitHub) -> None:
    findings = [key_finding(), egress_finding()]
    proposals = _lifecycle(checkout, findings)
    purposes = {p.family: p for p in proposals}
    assert set(purposes) == {"waiver-renewal", "waiver-removal", "waiver-cleanup"}

    client = connect(Credentials(token="t"), "acme/infra", fake.url, Pacing(0))
    actions = sync(proposals, client=client, repo="acme/infra", policy=BotPolicy(now=NOW))
    assert {a.action for a in actions} == {"opened"}
    repo = fake.repos["acme/infra"]
    renewal = next(pr for pr in repo.pulls if "waiver-renewal" in pr["head"])
    assert renewal["teams"] == ["platform"]
    renewed = repo.file_at(renewal["head"], ".ztdrift/waivers.yaml") or ""
    assert f"expires: {TODAY + timedelta(days=90)}" in renewed and "# the whole family" in renewed
    removal = next(pr for pr in repo.pulls if "waiver-removal" in pr["head"])
    assert "W-002" not in (repo.file_at(removal["head"], ".ztdrift/waivers.yaml") or "")
    assert removal["reviewers"] == ["alice"]

    # The next day: the renewal's new date moved, but nothing is rewritten.
    tomorrow = lifecycle_proposals(
        waivers.load(checkout / ".ztdrift/waivers.yaml", today=TODAY, horizon_days=1000),
        findings,
        rel_path=".ztdrift/waivers.yaml",
        today=TODAY + timedelta(days=1),
        window_days=14,
        horizon_days=90,
    )
    again = sync(tomorrow, client=client, repo="acme/infra", policy=BotPolicy(now=NOW))
    assert {a.action for a in again} == {"unchanged"}

    # A partial scan cannot tell that a waiver matches nothing: the clean-up is not closed
    # even though the finding for W-003 "came back".
    partial = _lifecycle(checkout, [*findings, bucket_finding("gone-bucket")])
    after = sync(
        partial,
        client=client,
        repo="acme/infra",
        policy=BotPolicy(now=NOW),
        unseen=frozenset({"*", "aws:123456789012"}),
    )
    cleanup = next(a for a in after if "waiver-cleanup" in a.branch)
    assert cleanup.action == "skipped"


def test_renewal_patch_applies_with_git(checkout: Path) -> None:
    proposals = _lifecycle(checkout, [key_finding(), egress_finding()])
    renewal = next(p for p in proposals if p.family == "waiver-renewal")
    run = {"cwd": checkout, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)  # type: ignore[call-overload]
    (checkout / "change.patch").write_text(renewal.plan.patch, encoding="utf-8")
    subprocess.run(["git", "apply", "change.patch"], **run)  # type: ignore[call-overload]
    assert (checkout / ".ztdrift/waivers.yaml").read_text() == renewal.plan.files[
        ".ztdrift/waivers.yaml"
    ]


def test_mermaid_labels_cannot_break_out() -> None:
    hostile = 'evil"]\nclick n0 "https://evil.example" <img src=x> `x` @team'
    text = label(hostile)
    assert text.startswith('"') and text.endswith('"') and text.count('"') == 2
    assert "<" not in text and "`" not in text and "@" not in text and "\n" not in text

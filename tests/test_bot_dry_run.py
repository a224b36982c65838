"""`ztdrift pr` from the command line: configured directories, grouping, and a dry run.

The dry run must print every write a real run makes (commits, pull requests, label creation,
review requests) and send none: the fake GitHub's request log holds only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.findings import FindingsReport
from scanner.state import report_json
from tests.fake_github import FakeGitHub
from tests.test_bot_grouping import REPO, TOKEN, _findings, checkout  # noqa: F401

CONFIG = """\
terraform:
  directories:
    - dir: infra/prod
    - dir: infra/data
bot:
  grouping: {grouping}
  seconds_between_writes: 0
  max_new_per_run: 10
"""


@pytest.fixture
def fake(checkout: Path) -> Iterator[FakeGitHub]:  # noqa: F811
    with FakeGitHub() as server:
        files = {
            p.relative_to(checkout).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(checkout.rglob("*.tf"))
        }
        server.add_repo(REPO, files)
        yield server


def _setup(root: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, grouping: str) -> Path:
    (root / "ztdrift.yaml").write_text(CONFIG.format(grouping=grouping), encoding="utf-8")
    (root / ".github").mkdir()
    (root / ".github" / "CODEOWNERS").write_text("infra/ @acme/platform @alice\n", "utf-8")
    report = FindingsReport(generated_at="2025-01-01T00:00:00Z", findings=_findings())
    findings = root / "findings.json"
    findings.write_text(report_json(report), encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.delenv("ZTDRIFT_APP_ID", raising=False)
    return findings


def _pr(root: Path, findings: Path, *extra: str) -> int:
    return main(
        [
            "pr",
            "--config",
            str(root / "ztdrift.yaml"),
            "--findings",
            str(findings),
            "--repo",
            REPO,
            "--no-waiver-lifecycle",
            *extra,
        ]
    )


def test_dry_run_prints_every_write_and_sends_none(
    checkout: Path,  # noqa: F811
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    findings = _setup(checkout, fake, monkeypatch, "module")

    assert _pr(checkout, findings, "--dry-run") == 0
    out = capsys.readouterr().out
    assert fake.writes() == [] and fake.requests
    opened = [line for line in out.splitlines() if line.startswith("would opened")]
    assert len(opened) == 2 and all("ztdrift/module/" in line for line in opened)
    for label in ("ztdrift", "open-egress", "long-lived-key", "public-data", "severity:critical"):
        # Each missing label is created once, by the first pull request that needs it.
        assert out.count(f"would create label {label}\n") == 1
    assert out.count("would request review from @acme/platform, @alice") == 2
    assert out.count("would assign alice") == 2
    assert "would commit infra/prod/iam.tf, infra/prod/network.tf" in out

    # The real run does exactly what the dry run listed.
    assert _pr(checkout, findings) == 0
    real = capsys.readouterr().out
    assert real.replace("would ", "").count("create label") == out.count("would create label")
    repo = fake.repos[REPO]
    assert len(repo.pulls) == 2 and "severity:critical" in repo.labels
    assert all(pr["reviewers"] == ["alice"] and pr["teams"] == ["platform"] for pr in repo.pulls)
    prod = next(pr for pr in repo.pulls if "infra/prod" in pr["body"])
    assert "aws_iam_access_key" not in repo.file_at(prod["head"], "infra/prod/iam.tf")


def test_tf_state_flag_with_several_directories_is_refused(
    checkout: Path,  # noqa: F811
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    findings = _setup(checkout, fake, monkeypatch, "problem")
    state = checkout / "s.json"
    state.write_text('{"version": 4, "resources": []}', encoding="utf-8")
    assert _pr(checkout, findings, "--dry-run", "--tf-state", str(state)) == 2
    assert "ambiguous with 2 Terraform directories" in capsys.readouterr().err


def test_terraform_flag_wins_over_configured_directories(
    checkout: Path,  # noqa: F811
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    findings = _setup(checkout, fake, monkeypatch, "problem")
    out = tmp_path / "plans"
    code = _pr(
        checkout, findings, "--terraform", str(checkout / "infra"), "--plan-only", "--out", str(out)
    )
    assert code == 0
    patches = "".join(p.read_text() for p in sorted(out.glob("*/change.patch")))
    # The flag's directory is the root: paths are relative to it, not to the configured root.
    assert "a/prod/iam.tf" in patches and "a/infra/" not in patches

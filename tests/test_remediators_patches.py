"""Golden tests: each family's patch against real `.tf` files, applied with real `git apply`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from remediators.plan import Plan, build_plans
from scanner.findings import Finding
from tests.test_remediators_findings import (
    DEMO,
    TODAY,
    admin_finding,
    bucket_finding,
    demo_findings,
    egress_finding,
    group,
    key_finding,
    role,
    user,
)

DATA = Path(__file__).parent / "data" / "terraform"
INLINE = group("ops-admins") + "#inline/everything"
GIT = shutil.which("git")

CASES: dict[str, list[Finding]] = {
    "egress": [egress_finding("sg-0aaa", "web"), egress_finding("sg-0bbb", "batch")],
    "admin": [
        admin_finding(role("builder"), role("builder")),
        admin_finding(user("bob"), user("bob")),
        admin_finding(
            user("carol"),
            group("ops-admins"),
            "group",
            [group("ops-admins") + "#inline/everything"],
        ),
    ],
    "bucket": [bucket_finding("acme-media"), bucket_finding("acme-other")],
}


def _input(case: str) -> Path:
    return DEMO if case == "demo" else DATA / case / "input"


def _plans(case: str) -> list[Plan]:
    findings = demo_findings() if case == "demo" else CASES[case]
    return build_plans(findings, _input(case), today=TODAY)


def _expected_dir(case: str, plan: Plan) -> Path:
    name = plan.title.split(": ", 1)[1].split(" ")[-1]
    return DATA / "expected" / case / f"{plan.key.split(':')[0]}-{name}"


def _git(repo: Path, *args: str) -> str:
    assert GIT is not None
    result = subprocess.run(
        [GIT, "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _repo_of(tmp_path: Path, case: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(_input(case), repo)
    _git(repo, "init", "-q")
    _git(repo, "config", "core.autocrlf", "false")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "sample")
    return repo


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.mark.parametrize("case", ["demo", *CASES])
def test_fix_plans_match_golden_files(case: str) -> None:
    for plan in (p for p in _plans(case) if p.kind == "fix"):
        expected = _expected_dir(case, plan)
        golden = {p.relative_to(expected).as_posix(): _read(p) for p in expected.rglob("*.tf")}
        assert plan.files == golden, plan.key


@pytest.mark.parametrize("case", ["demo", *CASES])
def test_comments_outside_removed_lines_survive(case: str) -> None:
    for plan in (p for p in _plans(case) if p.kind == "fix"):
        removed = {line[1:] for line in plan.patch.splitlines() if line.startswith("-")}
        for path, new in plan.files.items():
            old = _read(_input(case) / path)
            for line in old.splitlines():
                is_comment = line.lstrip().startswith(("#", "//", "/*", "*")) or " # " in line
                if is_comment and line not in removed:
                    assert line in new.splitlines(), (plan.key, line)


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize("case", ["demo", *CASES])
def test_every_patch_applies_with_git_and_parses(tmp_path: Path, case: str) -> None:
    for n, plan in enumerate(_plans(case)):
        repo = _repo_of(tmp_path / str(n), case)
        patch = tmp_path / f"{n}.patch"
        patch.write_text(plan.patch, encoding="utf-8", newline="")
        _git(repo, "apply", "--check", str(patch))
        _git(repo, "apply", str(patch))
        for path, content in plan.files.items():
            assert _read(repo / path) == content
            if path.endswith(".tf"):
                hcl2.loads(content)
        assert _git(repo, "status", "--porcelain").strip()


def test_demo_console_group_gets_a_waiver_that_only_adds_lines() -> None:
    waiver = next(p for p in _plans("demo") if p.kind == "waiver")
    body = [line for line in waiver.patch.splitlines()[4:] if not line.startswith("@@")]
    assert all(line.startswith("+") for line in body)
    assert 'resource: "arn:aws:iam::123456789012:user/alice"' in waiver.patch
    assert "expires: 2025-01-15" in waiver.patch


def test_waiver_appends_to_existing_file_keeping_comments(tmp_path: Path) -> None:
    repo = _repo_of(tmp_path, "demo")
    existing = (
        "# Reviewed monthly.\nwaivers:\n  - id: W-001\n    rule: standing-admin\n"
        '    resource: "arn:aws:iam::123456789012:group/other"\n    owner: "@acme/platform"\n'
        '    reason: "Break-glass"\n    expires: 2027-01-15\n    ticket: SEC-42 # kept\n'
    )
    (repo / ".ztdrift").mkdir()
    (repo / ".ztdrift" / "waivers.yaml").write_text(existing, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "waivers")
    plan = next(p for p in build_plans(demo_findings(), repo, today=TODAY) if p.kind == "waiver")
    new = plan.files[".ztdrift/waivers.yaml"]
    assert new.startswith(existing)
    assert "\n-" not in plan.patch.split("@@", 2)[2]
    patch = tmp_path / "w.patch"
    patch.write_text(plan.patch, encoding="utf-8")
    _git(repo, "apply", "--check", str(patch))


def test_two_keys_for_one_user_without_state_propose_waivers() -> None:
    findings = [
        key_finding("svc-reporting", "AKIAOLDKEY000000001", 1),
        key_finding("svc-reporting", "AKIANEWKEY000000002", 2),
    ]
    plans = build_plans(findings, DATA / "keys" / "input", today=TODAY)
    assert [p.kind for p in plans] == ["waiver", "waiver"]
    assert all(set(p.files) == {".ztdrift/waivers.yaml"} for p in plans)


def test_one_key_finding_but_two_key_blocks_is_still_ambiguous() -> None:
    plans = build_plans([key_finding("svc-reporting")], DATA / "keys" / "input", today=TODAY)
    assert plans[0].kind == "waiver"


def test_count_blocks_are_never_edited(tmp_path: Path) -> None:
    (tmp_path / "s3.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  count  = 2\n  bucket = "acme-media"\n}\n'
    )
    plans = build_plans([bucket_finding("acme-media")], tmp_path, today=TODAY)
    assert plans[0].kind == "waiver"


def test_invalid_hcl_files_are_skipped_not_edited(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "acme-media"\n')
    plans = build_plans([bucket_finding("acme-media")], tmp_path, today=TODAY)
    assert plans[0].kind == "waiver"

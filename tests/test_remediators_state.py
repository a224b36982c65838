"""State files pin keys to blocks, and their secrets never leave the reader."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from remediators.plan import build_plans, write_plans
from remediators.state import read_state
from scanner.errors import InputError
from tests.test_remediators_findings import TODAY, key_finding

KEYS = Path(__file__).parent / "data" / "terraform" / "keys"
SECRETS = ("wJalrXUtnFEMI", "je7MtGbClwBF", "BExampleSmtpPassword")
FINDINGS = [
    key_finding("svc-reporting", "AKIAOLDKEY000000001", 1),
    key_finding("svc-reporting", "AKIANEWKEY000000002", 2),
]


@pytest.mark.parametrize("state", ["state.json", "terraform.tfstate"])
def test_state_pins_each_key_to_its_own_block(state: str) -> None:
    plans = build_plans(FINDINGS, KEYS / "input", state_file=KEYS / state, today=TODAY)
    by_finding = {p.findings[0]: p for p in plans}
    old = by_finding[FINDINGS[0].id]
    new = by_finding[FINDINGS[1].id]
    assert old.kind == new.kind == "fix"
    assert '-resource "aws_iam_access_key" "svc_old"' in old.patch
    assert "svc_new" not in old.patch.replace('svc_new" {\n   user', "")
    assert '-resource "aws_iam_access_key" "svc_new"' in new.patch


@pytest.mark.parametrize("state", ["state.json", "terraform.tfstate"])
def test_state_secrets_never_reach_plans_or_logs(
    state: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    plans = build_plans(FINDINGS, KEYS / "input", state_file=KEYS / state, today=TODAY)
    written = write_plans(plans, tmp_path)
    outputs = [caplog.text, *(p.model_dump_json() for p in plans)]
    outputs += [f.read_text() for d in written for f in d.iterdir()]
    outputs.append(repr(read_state(KEYS / state)))
    for secret in SECRETS:
        assert all(secret not in text for text in outputs)


def test_state_reader_keeps_only_identifiers() -> None:
    objects = read_state(KEYS / "terraform.tfstate")
    kept = {name for obj in objects for name, _ in obj.ids}
    assert kept == {"id", "user"}


def test_a_key_missing_from_state_is_not_guessed(tmp_path: Path) -> None:
    plans = build_plans(
        [key_finding("svc-reporting", "AKIAUNKNOWN00000003")],
        KEYS / "input",
        state_file=KEYS / "state.json",
        today=TODAY,
    )
    assert plans[0].kind == "waiver"


def test_unreadable_state_is_an_input_error_without_content(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tfstate"
    bad.write_text('{"version": 4, "secret": "wJalrXUtnFEMI"')
    with pytest.raises(InputError) as caught:
        read_state(bad)
    assert "wJalrXUtnFEMI" not in str(caught.value)
    (tmp_path / "v3.tfstate").write_text(json.dumps({"version": 3}))
    with pytest.raises(InputError):
        read_state(tmp_path / "v3.tfstate")


def test_write_plans_gives_one_directory_per_plan(tmp_path: Path) -> None:
    plans = build_plans(FINDINGS, KEYS / "input", state_file=KEYS / "state.json", today=TODAY)
    written = write_plans(plans, tmp_path)
    assert len(written) == len(plans) == 2
    for directory, plan in zip(written, sorted(plans, key=lambda p: p.key), strict=True):
        assert sorted(f.name for f in directory.iterdir()) == [
            "body.md",
            "change.patch",
            "plan.json",
        ]
        assert json.loads((directory / "plan.json").read_text())["key"] == plan.key
        assert (directory / "change.patch").read_text() == plan.patch

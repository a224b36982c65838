"""Drift between scans, and waivers: active ones hide findings, expired ones do not."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from scanner.errors import ExitCode, InputError
from scanner.findings import Severity
from scanner.model import Gap, Scope
from scanner.pipeline import RunOptions, run
from scanner.waivers import load
from tests.builders import ADMIN_ARN, NOW, Estate

TODAY = NOW.date()


def _options(tmp_path: Path, name: str, waivers: str | None = None) -> RunOptions:
    waiver_file = tmp_path / "waivers.yaml"
    if waivers is not None:
        waiver_file.write_text(waivers)
    return RunOptions(
        out_dir=tmp_path / name, now=NOW, waiver_file=waiver_file, state_dir=tmp_path / "state"
    )


def _estate_with_admin_and_key() -> tuple[Estate, str, str]:
    estate = Estate()
    alice = estate.user("alice")
    estate.attach(alice, ADMIN_ARN)
    key = estate.key(estate.user("ci"))
    return estate, alice, key


def test_second_scan_marks_existing_new_and_resolved(tmp_path: Path) -> None:
    estate, alice, key = _estate_with_admin_and_key()
    first, _ = run(estate.snapshot(), _options(tmp_path, "one"))
    assert {f.status for f in first.findings} == {"new"}

    estate.credentials.clear()
    bob = estate.user("bob")
    estate.attach(bob, ADMIN_ARN)
    second, _ = run(estate.snapshot(), _options(tmp_path, "two"))

    status = {f.resource: f.status for f in second.findings}
    assert status == {alice: "existing", bob: "new"}
    assert [r.resource for r in second.resolved] == [key]
    assert second.changes["new_principals"] == [bob]
    assert second.changes["removed_credentials"] == [key]


def test_finding_under_a_collection_gap_is_never_resolved(tmp_path: Path) -> None:
    estate, alice, key = _estate_with_admin_and_key()
    run(estate.snapshot(), _options(tmp_path, "one"))

    estate.credentials.clear()
    estate.principals.clear()
    broken = estate.snapshot().model_copy(
        update={
            "gaps": (
                Gap(provider="aws", account=estate.account, service="iam", error="AccessDenied"),
            )
        }
    )
    report, code = run(broken, _options(tmp_path, "two"))

    assert report.resolved == []
    assert sorted(report.unresolved_unknown) == sorted(f.id for f in report.findings)
    assert {f.resource for f in report.findings} == {alice, key}
    assert code == ExitCode.PARTIAL


def test_scanning_another_account_never_resolves_this_ones_findings(tmp_path: Path) -> None:
    estate, _, _ = _estate_with_admin_and_key()
    run(estate.snapshot(), _options(tmp_path, "one"))

    other = Estate(account="999988887777")
    other.user("clean")
    report, _ = run(other.snapshot(), _options(tmp_path, "two"))

    assert report.resolved == []


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    estate = Estate()
    estate.key(estate.user("ci"))  # a medium finding
    options = _options(tmp_path, "out")

    _, default = run(estate.snapshot(), options)
    options.fail_on = Severity.MEDIUM
    _, strict = run(estate.snapshot(), options)

    assert default == ExitCode.CLEAN
    assert strict == ExitCode.FINDINGS


def _waivers(*entries: str) -> str:
    return "# team exceptions\nwaivers:\n" + "".join(entries)


def _entry(wid: str, resource: str, expires: date, rule: str = "standing-admin") -> str:
    return (
        f'  - id: {wid}\n    rule: {rule}\n    resource: "{resource}"\n'
        f'    owner: "@acme/platform"\n    reason: break-glass\n    expires: {expires}\n'
    )


def test_active_waiver_hides_and_expired_waiver_does_not(tmp_path: Path) -> None:
    estate, alice, key = _estate_with_admin_and_key()
    text = _waivers(
        _entry("W-1", alice, TODAY + timedelta(days=10)),
        _entry("W-2", "arn:aws:iam::*:user/ci#*", TODAY - timedelta(days=1), "long-lived-key"),
    )

    report, _ = run(estate.snapshot(), _options(tmp_path, "out", text))

    waived = {f.resource: f.waiver for f in report.findings}
    assert waived == {alice: "W-1", key: None}
    (expired,) = report.expired_waivers
    assert expired["id"] == "W-2" and expired["line"] == 9
    assert expired["findings"] == [f.id for f in report.findings if f.resource == key]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            _waivers(
                "  - id: W-1\n    rule: standing-admin\n    resource: x\n"
                "    reason: r\n    expires: 2026-12-10\n"
            ),
            ":3",
            "'owner': required",
        ),
        (_waivers(_entry("W-1", "x", TODAY + timedelta(days=400))), ":3", "horizon"),
        (_waivers(_entry("W-1", "x", TODAY), _entry("W-1", "y", TODAY)), ":9", "duplicate"),
        (_waivers(_entry("W-1", "x", TODAY, rule="nonsense")), ":4", "unknown rule family"),
        ("waivers:\n  - id: [unclosed\n", ":3", "not valid YAML"),
        ("just a string\n", ":1", "expected a mapping"),
        (
            _waivers(_entry("W-1", "x", TODAY).replace("2026-12-01", "next tuesday")),
            ":8",
            "'expires'",
        ),
    ],
)
def test_broken_waiver_file_names_the_line(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)

    with pytest.raises(InputError) as caught:
        load(path, today=TODAY)

    assert f"{path}{where}" in str(caught.value)
    assert message in str(caught.value)


def test_broken_waiver_file_stops_the_run_before_any_output(tmp_path: Path) -> None:
    estate, _, _ = _estate_with_admin_and_key()
    options = _options(tmp_path, "out", "waivers: [")

    with pytest.raises(InputError):
        run(estate.snapshot(), options)

    assert not options.out_dir.exists()


def test_waiver_scope_matches_exact_family_and_detail() -> None:
    estate, alice, _ = _estate_with_admin_and_key()
    finding = next(f for f in estate.findings() if f.resource == alice)
    from scanner.waivers import Waiver

    def waiver(rule: str, resource: str) -> Waiver:
        return Waiver(
            id="w", rule=rule, resource=resource, owner="alice", reason="r", expires=TODAY
        )

    assert waiver("standing-admin", alice).matches(finding)
    assert waiver("standing-admin/direct", alice).matches(finding)
    assert not waiver("standing-admin/group", alice).matches(finding)
    assert waiver("standing-admin", "arn:aws:iam::*:user/*").matches(finding)
    assert not waiver("long-lived-key", alice).matches(finding)


def test_outputs_are_written_and_the_scope_is_recorded(tmp_path: Path) -> None:
    estate, _, _ = _estate_with_admin_and_key()
    options = _options(tmp_path, "out")

    run(estate.snapshot(), options)

    names = sorted(p.name for p in options.out_dir.iterdir())
    assert names == ["findings.json", "findings.sarif", "snapshot.json.gz", "summary.md"]
    assert estate.snapshot().scopes == (
        Scope(provider="aws", account=estate.account, regions=("us-east-1",)),
    )


def test_import_of_iam_alone_never_resolves_keys_network_or_data(tmp_path: Path) -> None:
    estate, alice, key = _estate_with_admin_and_key()
    run(estate.snapshot(), _options(tmp_path, "live"))

    # The same account, seen again only through an authorization-details export.
    estate.credentials.clear()
    iam_only = estate.snapshot()
    iam_only = iam_only.model_copy(
        update={"scopes": (Scope(provider="aws", account=estate.account, services=("iam",)),)}
    )
    report, _ = run(iam_only, _options(tmp_path, "import"))

    assert report.resolved == []
    assert [f.resource for f in report.findings if f.evidence.get("not_rechecked")] == [key]
    assert {f.resource: f.status for f in report.findings}[alice] == "existing"


def test_waiver_rule_detail_must_be_a_rule_ztdrift_reports(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(_waivers(_entry("W-1", "x", TODAY, rule="standing-admin/bogus")))

    with pytest.raises(InputError, match="unknown rule 'standing-admin/bogus'"):
        load(path, today=TODAY)

    path.write_text(_waivers(_entry("W-1", "x", TODAY, rule="standing-admin/escalation")))
    assert [w.rule for w in load(path, today=TODAY).waivers] == ["standing-admin/escalation"]

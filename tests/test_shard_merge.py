"""Shards: a deterministic, stable split of scopes, and merging shard snapshots back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner import snapshot_io
from scanner.cli import main
from scanner.errors import InputError
from scanner.model import Gap, Principal, Scope, Snapshot
from scanner.shard import Shard, check_shard_use, parse_shard, shard_number

T1 = datetime(2026, 5, 1, tzinfo=UTC)
T2 = datetime(2026, 5, 1, 1, tzinfo=UTC)


def test_every_account_lands_in_exactly_one_shard_and_the_split_is_even() -> None:
    accounts = [f"{n:012d}" for n in range(2_000)]
    shards = [Shard(i, 4) for i in range(1, 5)]

    shares = [shard.select(accounts) for shard in shards]

    assert sorted(a for share in shares for a in share) == sorted(accounts)
    assert all(400 < len(share) < 600 for share in shares)


def test_an_account_keeps_its_shard_when_others_join() -> None:
    before = {a: shard_number(a, 8) for a in ("111111111111", "222222222222")}
    Shard(1, 8).select([f"{n:012d}" for n in range(100)])
    assert before == {a: shard_number(a, 8) for a in before}


@pytest.mark.parametrize("text", ["0/4", "5/4", "x/4", "1/0", "2"])
def test_bad_shard_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="--shard"):
        parse_shard(text)


def test_sharding_is_refused_where_it_would_be_ignored() -> None:
    with pytest.raises(InputError, match="AWS Organizations"):
        check_shard_use("1/2", provider="gcp", org_role=None)
    with pytest.raises(InputError, match="organization or folder"):
        check_shard_use("1/2", provider="gcp", org_role=None, gcp_scope="projects/p")
    with pytest.raises(InputError, match="no --azure-scope"):
        check_shard_use("1/2", provider="azure", org_role=None, azure_scope="mg-1")
    with pytest.raises(InputError, match="AWS Organizations"):
        check_shard_use("1/2", provider="aws", org_role=None)
    check_shard_use("1/2", provider="aws", org_role="audit")
    check_shard_use("1/2", provider="gcp", org_role=None, gcp_scope="organizations/1")
    check_shard_use("1/2", provider="azure", org_role=None)
    check_shard_use(None, provider="gcp", org_role=None)


def _shard_snapshot(account: str, taken_at: datetime, gap: bool = False) -> Snapshot:
    user = Principal(
        id=f"arn:aws:iam::{account}:user/ci",
        provider="aws",
        account=account,
        kind="user",
        name="ci",
    )
    gaps = (Gap(provider="aws", account=account, service="*", error="denied"),) if gap else ()
    return Snapshot(
        taken_at=taken_at,
        scopes=(Scope(provider="aws", account=account, regions=("us-east-1",)),),
        principals=(user,),
        gaps=gaps,
    )


def test_merge_command_joins_shards_then_analyze_reads_the_result(tmp_path: Path) -> None:
    one = snapshot_io.write(_shard_snapshot("111111111111", T2), tmp_path / "1.json.gz")
    two = snapshot_io.write(_shard_snapshot("222222222222", T1, gap=True), tmp_path / "2.json.gz")
    merged_path = tmp_path / "merged" / "snapshot.json.gz"

    assert main(["merge", str(one), str(two), "--out", str(merged_path)]) == 0

    merged = snapshot_io.read(merged_path)
    assert {s.account for s in merged.scopes} == {"111111111111", "222222222222"}
    assert len(merged.principals) == 2 and len(merged.gaps) == 1
    assert merged.taken_at == T1  # the earliest shard: never fresher than the oldest part
    code = main(["analyze", str(merged_path), "--out", str(tmp_path / "r")])
    assert code == 3  # the gap of the second shard makes the whole result partial


def test_overlapping_shards_are_refused_with_the_file_named(tmp_path: Path) -> None:
    one = snapshot_io.write(_shard_snapshot("111111111111", T1), tmp_path / "a.json.gz")
    two = snapshot_io.write(_shard_snapshot("111111111111", T2), tmp_path / "b.json.gz")

    assert main(["merge", str(one), str(two), "--out", str(tmp_path / "m.json.gz")]) == 2
    assert not (tmp_path / "m.json.gz").exists()

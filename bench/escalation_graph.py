"""Benchmark the graph engine and every rule on a large synthetic AWS account.

The account holds N principals (users, roles and groups) and about ten policy statements per
principal, one principal in ten holding privilege-escalation actions on `Resource: *`, so the
escalation search does real work. Each size runs in a fresh process, so peak memory is that
size's alone. Prints one row per size: principals, statements, graph edges (escalation edges
among them), findings, seconds for graph build plus all rules, and peak memory.

    .venv/bin/python bench/escalation_graph.py                 # 5k, 10k, 25k, 50k principals
    .venv/bin/python bench/escalation_graph.py --sizes 50000 --json
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import RuleSettings
from scanner import graph as graph_engine
from scanner.analysis import analyze
from scanner.model import Grant, Policy, Principal, Scope, Snapshot, Trust

ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SERVICES = ("s3", "dynamodb", "sqs", "sns", "logs", "kms", "ec2", "lambda", "rds", "glue")
TRUSTED = (
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "glue.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "codebuild.amazonaws.com",
)
ESCALATIONS: tuple[tuple[str, ...], ...] = (
    ("iam:CreateAccessKey",),
    ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    ("ssm:SendCommand",),
    ("iam:UpdateAssumeRolePolicy",),
    ("iam:AddUserToGroup",),
    ("iam:PassRole", "ec2:RunInstances"),
)
STATEMENTS_PER_INLINE = 9
MANAGED_POLICIES_PER_1000 = 20
STATEMENTS_PER_MANAGED = 50


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def _statement(rng: random.Random) -> dict[str, Any]:
    service = rng.choice(SERVICES)
    actions = [f"{service}:{verb}{rng.randint(1, 40)}" for verb in ("Get", "Put", "List")]
    resource = f"arn:aws:{service}:us-east-1:{ACCOUNT}:thing/{rng.randint(1, 5000)}"
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if rng.random() < 0.05:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    if rng.random() < 0.03:
        statement["Effect"] = "Deny"
    return statement


def estate(principals: int, seed: int = 7) -> Snapshot:
    """A deterministic synthetic account of about `principals` principals."""
    rng = random.Random(seed)
    users, roles = int(principals * 0.6), int(principals * 0.3)
    groups = principals - users - roles
    managed = [
        Policy(
            id=_arn("policy", f"managed-{i}"),
            provider="aws",
            account=ACCOUNT,
            name=f"managed-{i}",
            managed_by="customer",
            document={"Statement": [_statement(rng) for _ in range(STATEMENTS_PER_MANAGED)]},
        )
        for i in range(max(1, principals * MANAGED_POLICIES_PER_1000 // 1000))
    ]
    admin = Policy(
        id=ADMIN,
        provider="aws",
        account=ACCOUNT,
        name="AdministratorAccess",
        managed_by="provider",
        document={"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    )
    records: dict[str, list[Any]] = {
        "principals": [],
        "policies": [admin, *managed],
        "grants": [],
        "trusts": [],
    }

    group_arns = [_arn("group", f"g{i}") for i in range(groups)]
    for i in range(groups):
        _identity(records, rng, "group", f"g{i}", managed, (), admin=i < max(1, groups // 200))
    for i in range(users):
        member = tuple(rng.sample(group_arns, k=min(2, len(group_arns))))
        _identity(records, rng, "user", f"u{i}", managed, member, admin=i % 200 == 0)
    for i in range(roles):
        arn = _identity(records, rng, "role", f"r{i}", managed, (), admin=i % 100 == 0)
        _trust(records, rng, arn, users)
    return Snapshot(
        taken_at=datetime(2026, 12, 1, tzinfo=UTC),
        scopes=(Scope(provider="aws", account=ACCOUNT),),
        principals=tuple(records["principals"]),
        policies=tuple(records["policies"]),
        grants=tuple(records["grants"]),
        trusts=tuple(records["trusts"]),
    )


def _identity(
    records: dict[str, list[Any]],
    rng: random.Random,
    kind: str,
    name: str,
    managed: list[Policy],
    groups: tuple[str, ...],
    *,
    admin: bool,
) -> str:
    arn = _arn(kind, name)
    records["principals"].append(
        Principal(id=arn, provider="aws", account=ACCOUNT, kind=kind, name=name, groups=groups)
    )  # type: ignore[arg-type]
    statements = [_statement(rng) for _ in range(STATEMENTS_PER_INLINE)]
    if kind != "group" and rng.random() < 0.1:
        statements[0] = {
            "Effect": "Allow",
            "Action": list(rng.choice(ESCALATIONS)),
            "Resource": "*",
        }
    inline = Policy(
        id=f"{arn}#inline/main",
        provider="aws",
        account=ACCOUNT,
        name="main",
        managed_by="inline",
        document={"Statement": statements},
    )
    records["policies"].append(inline)
    records["grants"].append(Grant(principal=arn, policy=inline.id, kind="inline"))
    for policy in rng.sample(managed, k=min(2, len(managed))):
        records["grants"].append(Grant(principal=arn, policy=policy.id, kind="attached"))
    if admin:
        records["grants"].append(Grant(principal=arn, policy=ADMIN, kind="attached"))
    return arn


def _trust(records: dict[str, list[Any]], rng: random.Random, role: str, users: int) -> None:
    roll = rng.random()
    if roll < 0.5:
        trustee, kind = rng.choice(TRUSTED), "service"
    elif roll < 0.995:
        trustee, kind = _arn("user", f"u{rng.randrange(users)}"), "aws"
    else:
        trustee, kind = f"arn:aws:iam::{ACCOUNT}:root", "account"
    trust = Trust(role=role, trustee=trustee, trustee_kind=kind)  # type: ignore[arg-type]
    records["trusts"].append(trust)


def measure(principals: int) -> dict[str, Any]:
    """Build the graph and run every rule once; seconds exclude making the estate."""
    snapshot = estate(principals)
    statements = sum(len(p.document["Statement"]) for p in snapshot.policies)
    started = time.perf_counter()
    findings = analyze(snapshot, now=snapshot.taken_at, settings=RuleSettings())
    seconds = time.perf_counter() - started
    built = graph_engine.build(snapshot)  # again, only to count what the graph holds
    return {
        "principals": len(snapshot.principals),
        "statements": statements,
        "edges": built.g.number_of_edges(),
        "escalation_edges": built.g.graph.get("escalation_edges", 0),
        "findings": len(findings),
        "seconds": round(seconds, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,25000,50000")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        # A fresh interpreter per size, so peak memory is that size's alone.
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(out))
        print(json.dumps(rows[-1]) if args.json else _row(rows[-1]), flush=True)
    return 0


def _row(row: dict[str, Any]) -> str:
    return (
        f"{row['principals']:>7} principals  {row['statements']:>8} statements  "
        f"{row['edges']:>8} edges ({row['escalation_edges']} escalation)  "
        f"{row['findings']:>6} findings  {row['seconds']:>6.1f} s  {row['peak_mib']:>7} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())

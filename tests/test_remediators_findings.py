"""Findings as the rules engine emits them, shared by the remediator tests, and plan grouping."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from remediators.plan import build_plans, problem_of
from scanner.findings import Finding, Severity, make_finding

ACCOUNT = "123456789012"
DEMO = Path(__file__).resolve().parents[1] / "scanner" / "demo" / "terraform"
TODAY = date(2025, 1, 1)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
OPEN = "0.0.0.0/0"


def key_finding(
    owner: str = "ci-deployer", key_id: str = "AKIAEXAMPLE0001", slot: int = 1
) -> Finding:
    user = f"arn:aws:iam::{ACCOUNT}:user/{owner}"
    return make_finding(
        "long-lived-key/user",
        provider="aws",
        account=ACCOUNT,
        resource=key_id,
        principal=user,
        severity=Severity.HIGH,
        title=f"Access key of {owner} is long-lived",
        path=[user, key_id],
        evidence={"owner_name": owner, "slot": slot, "age_days": 200, "last_used": None},
    )


def admin_finding(
    principal: str, holder: str, route: str = "direct", policies: list[str] | None = None
) -> Finding:
    return make_finding(
        "standing-admin/" + route,
        provider="aws",
        account=ACCOUNT,
        resource=principal,
        principal=principal,
        severity=Severity.CRITICAL,
        title="Standing administrator access",
        path=[principal, holder] if principal != holder else [holder],
        evidence={
            "route": route,
            "holder": holder,
            "holder_name": holder.rsplit("/", 1)[-1],
            "admin_policies": policies or [ADMIN],
        },
    )


def egress_finding(group_id: str = "sg-0123456789abcdef0", name: str = "app-egress") -> Finding:
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{group_id}"
    rule: dict[str, Any] = {"protocol": "-1", "from_port": None, "to_port": None}
    return make_finding(
        "open-egress/all",
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        resource=arn,
        severity=Severity.MEDIUM,
        title="Security group allows all egress",
        path=[arn],
        evidence={
            "group_id": group_id,
            "group_name": name,
            "rules": [rule | {"peer": "0.0.0.0/0"}],
        },
    )


def bucket_finding(bucket: str = "acme-public-assets") -> Finding:
    return make_finding(
        "public-data/s3",
        provider="aws",
        account=ACCOUNT,
        resource=f"arn:aws:s3:::{bucket}",
        severity=Severity.HIGH,
        title="Bucket is publicly readable",
        path=[f"arn:aws:s3:::{bucket}"],
        evidence={"bucket": bucket, "exposure": ["read"], "via": ["policy"]},
    )


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def user(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def group(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:group/{name}"


def demo_findings() -> list[Finding]:
    """What a scan of the demo account reports."""
    return [
        key_finding(),
        admin_finding(role("deploy-admin"), role("deploy-admin")),
        admin_finding(user("ci-deployer"), role("deploy-admin"), route="assume-role"),
        admin_finding(user("alice"), group("platform-admins"), route="group"),
        egress_finding(),
        bucket_finding(),
    ]


def test_findings_sharing_a_holder_share_one_problem() -> None:
    direct = admin_finding(role("deploy-admin"), role("deploy-admin"))
    assumed = admin_finding(user("ci-deployer"), role("deploy-admin"), route="assume-role")
    assert problem_of(direct) == problem_of(assumed)
    assert problem_of(direct) != problem_of(admin_finding(user("x"), group("platform-admins")))


def test_demo_gives_one_plan_per_problem_and_waived_findings_none() -> None:
    findings = demo_findings()
    waived = bucket_finding("acme-logs").model_copy(update={"waiver": "W-001"})
    plans = build_plans([*findings, waived], DEMO, today=TODAY)
    assert [p.key.split(":")[0] for p in plans] == sorted(
        ["long-lived-key", "standing-admin", "standing-admin", "open-egress", "public-data"]
    )
    assert waived.id not in {fid for p in plans for fid in p.findings}
    deploy = next(p for p in plans if len(p.findings) == 2)
    assert deploy.kind == "fix"
    console = next(p for p in plans if p.kind == "waiver")
    assert user("alice") in console.patch
    assert "platform-admins" not in console.files.get("iam.tf", "")
    assert all(
        p.branch.startswith("ztdrift/") and len(p.branch.rsplit("/", 1)[1]) == 12 for p in plans
    )


def test_plans_are_deterministic() -> None:
    first = build_plans(demo_findings(), DEMO, today=TODAY)
    second = build_plans(list(reversed(demo_findings())), DEMO, today=TODAY)
    assert [p.model_dump() for p in first] == [p.model_dump() for p in second]

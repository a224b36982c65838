"""The demo: the whole job against moto's AWS server on 127.0.0.1, no cloud account needed.

Seed an estate, scan, change the estate, scan again to show drift, apply a waiver file with
one live and one expired waiver, and write pull-request plans against the bundled Terraform.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from importlib import resources
from pathlib import Path

import boto3
from rich.console import Console

from remediators.plan import build_plans, write_plans
from scanner.collectors.aws_live import collect_aws
from scanner.commands.common import console as make_console
from scanner.demo.azure import run_azure_demo
from scanner.demo.estate import (
    ACCOUNT,
    REGION,
    change_estate,
    route_s3control_to_loopback,
    seed_estate,
)
from scanner.demo.gcp import run_gcp_demo
from scanner.demo.moto import moto_server
from scanner.errors import ZtdriftError
from scanner.findings import FindingsReport
from scanner.pipeline import RunOptions, run
from scanner.reports.terminal import print_report
from scanner.timeutil import utcnow


def _session() -> boto3.Session:
    session = boto3.Session(region_name=REGION)
    # moto-only: S3 Control puts the account id in the host name, which loopback cannot serve.
    route_s3control_to_loopback(session)
    return session


def _scan(out: Path, name: str, waivers: Path, console: Console, days: int = 0) -> FindingsReport:
    snapshot = collect_aws(_session(), regions=[REGION])
    options = RunOptions(
        out_dir=out / name,
        now=utcnow() + timedelta(days=days),
        waiver_file=waivers,
        state_dir=out / "state",
        sarif_location=".ztdrift/waivers.yaml",
        terraform_dir=_checkout(out),
    )
    report, _ = run(snapshot, options)
    console.rule(f"{name}: {out / name}")
    print_report(report, console, limit=20)
    return report


def _write_waivers(path: Path, report: FindingsReport) -> None:
    """One live waiver (the console-made admin group) and one that expired yesterday."""
    today = utcnow().date()
    group_admin = next(f for f in report.findings if f.rule == "standing-admin/group")
    egress = next(f for f in report.findings if f.family == "open-egress")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Exceptions to ztdrift findings; each has an owner, a reason and an expiry.\n"
        "waivers:\n"
        "  - id: W-001\n"
        "    rule: standing-admin\n"
        f'    resource: "{group_admin.resource}"\n'
        '    owner: "@acme/platform"\n'
        "    reason: Break-glass administrator while the SSO migration finishes\n"
        f"    expires: {today + timedelta(days=30)}\n"
        "    ticket: SEC-101\n"
        "  - id: W-002\n"
        "    rule: open-egress\n"
        f'    resource: "{egress.resource}"\n'
        '    owner: "@acme/network"\n'
        "    reason: Egress proxy rollout\n"
        f"    expires: {today - timedelta(days=1)}\n"
    )


def _checkout(out: Path) -> Path:
    """The bundled sample Terraform repository, copied once into the output directory."""
    terraform = out / "terraform"
    if not terraform.exists():
        source = resources.files("scanner.demo") / "terraform"
        with resources.as_file(source) as bundled:
            shutil.copytree(bundled, terraform)
    return terraform


def _plans(out: Path, report: FindingsReport, console: Console) -> Path:
    terraform = _checkout(out)

    open_findings = [f for f in report.findings if f.waiver is None]
    plans = build_plans(open_findings, terraform, today=utcnow().date())
    write_plans(plans, out / "plans")
    _check_patches_apply(terraform, out / "plans")
    console.rule(f"pull-request plans: {out / 'plans'}")
    for plan in plans:
        console.print(f"  {plan.kind:7} {plan.branch}  {plan.title}", markup=False)
    return out / "plans"


def _check_patches_apply(terraform: Path, plans: Path) -> None:
    """Prove every patch applies to the sample repository, as a reviewer's `git apply` would."""
    if shutil.which("git") is None:
        return
    for patch in sorted(plans.glob("*/change.patch")):
        result = subprocess.run(
            ["git", "apply", "--check", str(patch.resolve())],
            cwd=terraform,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ZtdriftError(f"patch does not apply: {result.stderr.strip()}", where=str(patch))


def run_demo(out: Path) -> int:
    """Run the demo end to end; returns 0 when every step worked."""
    console = make_console()
    shutil.rmtree(out, ignore_errors=True)
    waivers = out / "waivers.yaml"
    with moto_server() as endpoint:
        console.print(f"moto AWS server on {endpoint}, account {ACCOUNT}")
        seed_estate(_session())
        first = _scan(out, "scan-1", waivers, console)

        change_estate(_session())
        _scan(out, "scan-2", waivers, console)

        _write_waivers(waivers, first)
        third = _scan(out, "scan-3", waivers, console)

    plans = _plans(out, third, console)
    run_gcp_demo(out, console)
    azure_plans = run_azure_demo(out, console)
    _check_patches_apply(out / "azure-terraform", azure_plans)
    console.rule("where everything went")
    for name, what in (
        ("scan-1", "first scan"),
        ("scan-2", "after the estate changed: new, existing and resolved findings"),
        ("scan-3", "with waivers: one live (W-001), one expired (W-002)"),
    ):
        console.print(f"  {out / name}/  {what}: findings.json, findings.sarif, summary.md")
    console.print(f"  {waivers}  the waiver file")
    console.print(f"  {out / 'state'}/  stored scans, compared for drift")
    console.print(f"  {plans}/  one plan per problem: plan.json, body.md, change.patch")
    console.print(f"  {out / 'gcp-scan'}/, {out / 'gcp-plans'}/  the GCP estate, from its export")
    console.print(f"  {out / 'azure-scan'}/, {azure_plans}/  the Azure estate, from its exports")
    return 0

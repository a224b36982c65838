"""The demo's GCP estate: scan a bundled Cloud Asset export and plan fixes for its findings.

The export (`gcp/*.jsonl`: RESOURCE, IAM_POLICY and ORG_POLICY content) describes an
organization with a folder and two projects; `gcp/terraform/` is the google-provider code that
manages part of it. No cloud call is made.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console

from remediators.plan import build_plans, write_plans
from scanner.collectors.imports import import_all
from scanner.findings import FindingsReport
from scanner.pipeline import RunOptions, run
from scanner.reports.terminal import print_report
from scanner.timeutil import utcnow

EXPORTS = ("resource.jsonl", "iam-policy.jsonl", "org-policy.jsonl")


def run_gcp_demo(out: Path, console: Console) -> FindingsReport:
    """Scan the bundled export into `out/gcp-scan` and write plans into `out/gcp-plans`."""
    bundled = resources.files("scanner.demo") / "gcp"
    with resources.as_file(bundled) as source:
        now = utcnow()
        snapshot = import_all([f"gcp-cai={source / name}" for name in EXPORTS], now)
        options = RunOptions(
            out_dir=out / "gcp-scan",
            now=now,
            # Its own state and no waivers: the AWS waiver file and scans are not about it.
            waiver_file=out / "no-waivers.yaml",
            state_dir=out / "gcp-state",
            sarif_location=".ztdrift/waivers.yaml",
        )
        report, _ = run(snapshot, options)
        terraform = out / "gcp-terraform"
        shutil.rmtree(terraform, ignore_errors=True)
        shutil.copytree(source / "terraform", terraform)

    console.rule(f"GCP scan of the bundled export: {out / 'gcp-scan'}")
    print_report(report, console, limit=20)
    plans = build_plans(
        [f for f in report.findings if f.waiver is None], terraform, today=now.date()
    )
    write_plans(plans, out / "gcp-plans")
    console.rule(f"GCP pull-request plans: {out / 'gcp-plans'}")
    for plan in plans:
        console.print(f"  {plan.kind:7} {plan.branch}  {plan.title}", markup=False)
    return report

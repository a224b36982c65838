"""The demo's Azure estate: bundled Resource Graph and Microsoft Graph exports, scanned offline.

The exports describe one subscription and its tenant with findings of all four families and
clean twins (a PIM-eligible Owner, a time-bound activation, a federated application, a locked
NSG and storage account); plans are written against the bundled azurerm/azuread Terraform.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console

from remediators.plan import Plan, build_plans, write_plans
from scanner.collectors.azure_export import read_azure_arg, read_azure_graph
from scanner.findings import FindingsReport
from scanner.merge import merge
from scanner.pipeline import RunOptions, run
from scanner.reports.terminal import print_report
from scanner.timeutil import utcnow

EXPORTS = ("resource-graph.json", "microsoft-graph.json")


def scan_azure(out: Path, console: Console) -> FindingsReport:
    """Scan the bundled exports as their own scopes, into `out/azure-scan/`."""
    now = utcnow()
    with resources.as_file(resources.files("scanner.demo") / "azure") as bundled:
        snapshot = merge(
            [
                read_azure_arg(bundled / EXPORTS[0], now),
                read_azure_graph(bundled / EXPORTS[1], now),
            ],
            taken_at=now,
        )
    options = RunOptions(
        out_dir=out / "azure-scan",
        now=now,
        # Its own state and no waivers: the AWS waiver file and scans are not about it.
        waiver_file=out / "no-waivers.yaml",
        state_dir=out / "azure-state",
        sarif_location=".ztdrift/waivers.yaml",
    )
    report, _ = run(snapshot, options)
    console.rule(f"azure-scan: {out / 'azure-scan'}")
    print_report(report, console, limit=20)
    return report


def azure_plans(out: Path, report: FindingsReport, console: Console) -> list[Plan]:
    """Plans for the Azure findings against a copy of the bundled Terraform."""
    terraform = out / "azure-terraform"
    shutil.rmtree(terraform, ignore_errors=True)
    with resources.as_file(resources.files("scanner.demo") / "azure" / "terraform") as bundled:
        shutil.copytree(bundled, terraform)
    open_findings = [f for f in report.findings if f.waiver is None]
    plans = build_plans(open_findings, terraform, today=utcnow().date())
    write_plans(plans, out / "azure-plans")
    console.rule(f"azure pull-request plans: {out / 'azure-plans'}")
    for plan in plans:
        console.print(f"  {plan.kind:7} {plan.branch}  {plan.title}", markup=False)
    return plans


def run_azure_demo(out: Path, console: Console) -> Path:
    """Scan the Azure estate and write its plans; returns the plans directory."""
    report = scan_azure(out, console)
    azure_plans(out, report, console)
    return out / "azure-plans"

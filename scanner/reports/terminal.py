"""The findings table on the terminal, drawn with rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scanner.findings import FindingsReport

STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def print_report(report: FindingsReport, console: Console, *, limit: int = 50) -> None:
    """Print the open findings, worst first, then drift and gaps in one line each."""
    open_findings = [f for f in report.findings if f.waiver is None]
    table = Table(title=f"ztdrift: {len(open_findings)} open finding(s)", show_lines=False)
    for column in ("severity", "status", "rule", "resource", "finding"):
        table.add_column(column, overflow="fold")
    for finding in open_findings[:limit]:
        table.add_row(
            f"[{STYLES[finding.severity]}]{finding.severity}[/]",
            finding.status,
            finding.rule,
            escape(finding.resource),
            escape(finding.title),
        )
    console.print(table)
    if len(open_findings) > limit:
        console.print(f"... and {len(open_findings) - limit} more in findings.json")

    waived = len(report.findings) - len(open_findings)
    console.print(
        f"new: {sum(f.status == 'new' for f in open_findings)}  "
        f"resolved: {len(report.resolved)}  waived: {waived}  "
        f"expired waivers: {len(report.expired_waivers)}"
    )
    for gap in report.gaps:
        console.print(
            f"[yellow]not collected:[/] {escape(gap.provider)} {escape(gap.account)} "
            f"{escape(gap.service)} {escape(gap.region or '')}: {escape(gap.error)}"
        )

"""open-egress: security groups that let traffic out to the whole Internet."""

from __future__ import annotations

from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import NetworkGroup, NetworkRule

RATIONALE = (
    "Zero Trust denies by default in both directions. Unrestricted egress lets a compromised "
    "workload exfiltrate data and reach command-and-control servers anywhere."
)
REMEDIATION = (
    "Replace the allow-all egress rule with rules to the destinations the workload needs "
    "(VPC endpoints, prefix lists, specific CIDRs and ports), or route egress through a proxy."
)
WORLD = ("0.0.0.0/0", "::/0")
ALL_PORTS = (0, 65535)


class OpenEgress:
    """Egress allow rules to 0.0.0.0/0 or ::/0, AWS's default allow-all egress included."""

    family = "open-egress"
    rules = (
        RuleInfo(
            "open-egress/all-traffic",
            "Egress to the Internet on all ports",
            Severity.HIGH,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "open-egress/ports",
            "Egress to the Internet on some ports",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        snapshot = context.graph.snapshot
        by_group: dict[str, list[NetworkRule]] = {}
        for rule in snapshot.network_rules:
            if _open(rule):
                by_group.setdefault(rule.group, []).append(rule)
        for group in snapshot.network_groups:
            if group.provider == "aws" and group.id in by_group:
                yield _finding(group, by_group[group.id])


def _open(rule: NetworkRule) -> bool:
    return (
        rule.direction == "egress"
        and rule.action == "allow"
        and rule.peer_kind in ("cidr4", "cidr6")
        and rule.peer in WORLD
    )


def all_traffic(rule: NetworkRule) -> bool:
    """Protocol -1, or every port of a protocol."""
    if rule.protocol in ("-1", "all", "*"):
        return True
    return (rule.from_port, rule.to_port) in (ALL_PORTS, (None, None))


def _finding(group: NetworkGroup, rules: list[NetworkRule]) -> Finding:
    wide = any(all_traffic(r) for r in rules)
    detail = "all-traffic" if wide else "ports"
    # A group attached to nothing cannot carry traffic today; unknown counts as attached.
    attached = group.attachments is None or group.attachments > 0
    severity = Severity.INFO if not attached else Severity.HIGH if wide else Severity.MEDIUM

    what = "all traffic" if wide else "ports " + ", ".join(_ports(r) for r in rules)
    title = f"Security group {group.name} allows egress of {what} to the Internet"
    if not attached:
        title += " (attached to nothing)"
    return make_finding(
        f"open-egress/{detail}",
        provider=group.provider,
        account=group.account,
        region=group.region,
        resource=group.id,
        severity=severity,
        title=title,
        path=[group.id],
        evidence={
            "group_id": group.id.rsplit("/", 1)[-1],
            "group_name": group.name,
            "attachments": group.attachments,
            "rules": [
                {
                    "protocol": r.protocol,
                    "from_port": r.from_port,
                    "to_port": r.to_port,
                    "peer": r.peer,
                }
                for r in rules
            ],
        },
    )


def _ports(rule: NetworkRule) -> str:
    if rule.from_port == rule.to_port:
        return f"{rule.protocol}/{rule.from_port}"
    return f"{rule.protocol}/{rule.from_port}-{rule.to_port}"

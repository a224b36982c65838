"""open-egress on Azure: NSG outbound rules evaluated in priority order, defaults included.

Azure evaluates an NSG's rules by priority, lowest number first, and the first rule that
matches decides; the fixed default rule AllowInternetOutBound (65001) lets everything out to
the Internet unless a rule of higher priority denies it. `Internet`, `*` and `0.0.0.0/0` mean
the Internet; `VirtualNetwork`, `AzureLoadBalancer`, other service tags and specific prefixes
do not.

Known shortcoming: source prefixes and source ports are not narrowed; every outbound rule is
taken to apply to every network interface behind the group, which can over-report when an
allow rule names a source that holds no workload.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.model import NetworkGroup, NetworkRule

RATIONALE = (
    "Zero Trust denies by default in both directions. Azure lets every VM reach the whole "
    "Internet unless an NSG denies it, so a compromised workload can exfiltrate data."
)
REMEDIATION = (
    "Add an outbound rule that denies the Internet service tag with a higher priority than "
    "AllowInternetOutBound, and allow only the destinations the workload needs (private "
    "endpoints, service tags, an egress firewall)."
)
INTERNET = ("*", "internet", "0.0.0.0/0", "::/0")
ALL_PORTS = (0, 65535)


class OpenEgress:
    """NSGs whose first matching outbound rule to the Internet allows traffic."""

    family = "open-egress"
    rules = (
        RuleInfo(
            "open-egress/all-traffic",
            "NSG allows egress to the Internet on all ports",
            Severity.HIGH,
            RATIONALE,
            REMEDIATION,
        ),
        RuleInfo(
            "open-egress/ports",
            "NSG allows egress to the Internet on some ports",
            Severity.MEDIUM,
            RATIONALE,
            REMEDIATION,
        ),
    )

    def evaluate(self, context: Context) -> Iterable[Finding]:
        snapshot = context.graph.snapshot
        rules: dict[str, list[NetworkRule]] = {}
        for rule in snapshot.network_rules:
            if rule.direction == "egress" and rule.priority is not None:
                rules.setdefault(rule.group, []).append(rule)
        for group in snapshot.network_groups:
            if group.provider != "azure":
                continue
            decision = evaluate_egress(rules.get(group.id, []))
            if decision is not None:
                yield _finding(group, *decision)


def to_internet(rule: NetworkRule) -> bool:
    """Whether a rule's destination covers the Internet."""
    return rule.peer.lower() in INTERNET


def _every_port(rule: NetworkRule) -> bool:
    return rule.protocol in ("*", "all", "-1") and (rule.from_port, rule.to_port) == ALL_PORTS


def evaluate_egress(rules: list[NetworkRule]) -> tuple[str, list[NetworkRule]] | None:
    """`all-traffic` or `ports` with the rules that open egress, or None when closed.

    Walk the Internet-bound rules by priority: allows before the first deny-everything rule
    open what they name; a first all-ports rule that allows opens everything.
    """
    opened: list[NetworkRule] = []
    for rule in sorted(rules, key=lambda r: (r.priority or 0, r.name or "")):
        if not to_internet(rule):
            continue
        if _every_port(rule):
            if rule.action == "allow":
                return "all-traffic", [*opened, rule]
            break
        if rule.action == "allow":
            opened.append(rule)
    return ("ports", opened) if opened else None


def _finding(group: NetworkGroup, detail: str, rules: list[NetworkRule]) -> Finding:
    # A group attached to nothing carries no traffic today.
    attached = group.attachments is None or group.attachments > 0
    severity = Severity.HIGH if detail == "all-traffic" else Severity.MEDIUM
    if not attached:
        severity = Severity.INFO
    names = ", ".join(sorted({r.name or "?" for r in rules}))
    what = "all traffic" if detail == "all-traffic" else "some ports"
    title = f"NSG {group.name} allows egress of {what} to the Internet ({names})"
    if not attached:
        title += " (attached to nothing)"
    return make_finding(
        f"open-egress/{detail}",
        provider="azure",
        account=group.account,
        region=group.region,
        resource=group.id,
        severity=severity,
        title=title,
        path=[group.id],
        evidence={
            "group_id": group.id,
            "group_name": group.name,
            "attachments": group.attachments,
            "rules": [
                {
                    "name": r.name,
                    "priority": r.priority,
                    "protocol": r.protocol,
                    "from_port": r.from_port,
                    "to_port": r.to_port,
                    "peer": r.peer,
                    "default": (r.priority or 0) >= 65000,
                }
                for r in rules
            ],
        },
    )

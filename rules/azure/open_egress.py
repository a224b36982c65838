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
from typing import Literal

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
            decision = evaluate_egress(with_defaults(group.id, rules.get(group.id, [])))
            if decision is not None:
                yield _finding(group, *decision)


def to_internet(rule: NetworkRule) -> bool:
    """Whether a rule's destination covers the Internet (in either address family)."""
    return bool(_families(rule))


def _families(rule: NetworkRule) -> set[str]:
    """The address families of the Internet a rule's destination covers."""
    peer = rule.peer.lower()
    if peer in ("*", "internet"):
        return {"ipv4", "ipv6"}
    return {"ipv4"} if peer == "0.0.0.0/0" else {"ipv6"} if peer == "::/0" else set()


def _every_port(rule: NetworkRule) -> bool:
    return rule.protocol in ("*", "all", "-1") and _span(rule) == ALL_PORTS


def _span(rule: NetworkRule) -> tuple[int, int]:
    low = ALL_PORTS[0] if rule.from_port is None else rule.from_port
    high = ALL_PORTS[1] if rule.to_port is None else rule.to_port
    return low, high


def _covered(rule: NetworkRule, denies: list[NetworkRule]) -> bool:
    """Whether earlier denies (of the rule's protocol or of all) cover all its ports."""
    spans = sorted(
        _span(d) for d in denies if d.protocol in ("*", "all", "-1") or d.protocol == rule.protocol
    )
    low, high = _span(rule)
    for start, end in spans:
        if start > low:
            return False
        low = max(low, end + 1)
        if low > high:
            return True
    return low > high


# Azure adds these to every NSG; an export that leaves them out still has them in force.
DEFAULTS: tuple[tuple[str, int, Literal["allow", "deny"], str], ...] = (
    ("AllowVnetOutBound", 65000, "allow", "VirtualNetwork"),
    ("AllowInternetOutBound", 65001, "allow", "Internet"),
    ("DenyAllOutBound", 65500, "deny", "*"),
)


def with_defaults(group: str, rules: list[NetworkRule]) -> list[NetworkRule]:
    """The group's outbound rules plus Azure's fixed default rules when they are missing."""
    if any(r.priority == 65001 for r in rules):
        return rules
    defaults = [
        NetworkRule(
            group=group,
            direction="egress",
            action=action,
            protocol="*",
            from_port=0,
            to_port=65535,
            peer=peer,
            peer_kind="service-tag",
            priority=priority,
            name=name,
        )
        for name, priority, action, peer in DEFAULTS
    ]
    return [*rules, *defaults]


def evaluate_egress(rules: list[NetworkRule]) -> tuple[str, list[NetworkRule]] | None:
    """`all-traffic` or `ports` with the rules that open egress, or None when closed.

    For each address family, walk the Internet-bound rules by priority: a deny of every port
    closes the family; a narrower deny closes what it names for the rules after it; an allow
    opens what earlier denies leave open. All traffic is open only where an every-port allow
    comes before any deny of that family.
    """
    worst: tuple[str, list[NetworkRule]] | None = None
    for family in ("ipv4", "ipv6"):
        found = _family_egress(rules, family)
        if found is None:
            continue
        if worst is None or (found[0] == "all-traffic" and worst[0] != "all-traffic"):
            worst = found
        elif found[0] == worst[0]:
            worst = (worst[0], [*worst[1], *[r for r in found[1] if r not in worst[1]]])
    return worst


def _family_egress(rules: list[NetworkRule], family: str) -> tuple[str, list[NetworkRule]] | None:
    opened: list[NetworkRule] = []
    denies: list[NetworkRule] = []
    for rule in sorted(rules, key=lambda r: (r.priority or 0, r.name or "")):
        if family not in _families(rule):
            continue
        if rule.action == "deny":
            if _every_port(rule):
                break
            denies.append(rule)
            continue
        if _covered(rule, denies):
            continue
        if _every_port(rule) and not denies:
            return "all-traffic", [*opened, rule]
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

"""open-egress on GCP: VPC networks whose firewalls let traffic out to the whole Internet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rules.base import Context, RuleInfo
from scanner.findings import Finding, Severity, make_finding
from scanner.gcp.firewall import Exposure, all_traffic_of, open_egress

RATIONALE = (
    "Zero Trust denies by default in both directions. Unrestricted egress lets a compromised "
    "workload exfiltrate data and reach command-and-control servers anywhere."
)
REMEDIATION = (
    "Add a low-priority deny-all egress rule to the network and allow only the destinations "
    "workloads need (Private Google Access, specific ranges and ports), or narrow the allow "
    "rule's destination ranges."
)


class OpenEgress:
    """Allow rules to 0.0.0.0/0 or ::/0 not shadowed by a deny, the implied rule included."""

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
        accounts = {g.id: g.account for g in snapshot.network_groups if g.provider == "gcp"}
        accounts |= {
            g.network: g.account
            for g in snapshot.network_groups
            if g.provider == "gcp" and g.network and g.network not in accounts
        }
        names = {g.id: g.name for g in snapshot.network_groups if g.provider == "gcp"}
        by_group: dict[str, list[Exposure]] = defaultdict(list)
        for exposure in open_egress(snapshot):
            by_group[exposure.group].append(exposure)
        for group, exposures in sorted(by_group.items()):
            yield _finding(group, exposures, accounts[exposures[0].network], names)


def _finding(group: str, exposures: list[Exposure], account: str, names: dict[str, str]) -> Finding:
    first = exposures[0]
    wide = all_traffic_of(exposures)
    network_name = names.get(first.network, first.network.rsplit("/", 1)[-1])
    what = "all traffic" if wide else "ports " + ", ".join(_ports(e) for e in exposures)
    if first.implied:
        title = (
            f"Network {network_name} allows egress of all traffic to the Internet (implied rule)"
        )
    else:
        title = f"Firewall {names.get(group, group)} allows egress of {what} to the Internet"
    denied = sorted({r for e in exposures for r in e.denied})
    if denied:
        title += " except " + ", ".join(denied)
    if first.targets:
        title += " for " + ", ".join(first.targets)
    return make_finding(
        f"open-egress/{'all-traffic' if wide else 'ports'}",
        provider="gcp",
        account=account,
        resource=group,
        severity=Severity.HIGH if wide else Severity.MEDIUM,
        title=title,
        path=[first.network] if first.implied else [first.network, group],
        evidence={
            "implied": first.implied,
            "network": first.network,
            "network_name": network_name,
            "group_name": network_name if first.implied else names.get(group),
            "targets": list(first.targets),
            "partly_denied_by": sorted({n for e in exposures for n in e.partly_denied_by}),
            "rules": [
                {
                    "protocol": e.rule.protocol,
                    "from_port": e.rule.from_port,
                    "to_port": e.rule.to_port,
                    "peer": e.rule.peer,
                    "priority": e.rule.priority,
                    "denied": list(e.denied),
                }
                for e in exposures
            ],
        },
    )


def _ports(exposure: Exposure) -> str:
    rule = exposure.rule
    if rule.from_port == rule.to_port:
        return f"{rule.protocol}/{rule.from_port}"
    return f"{rule.protocol}/{rule.from_port}-{rule.to_port}"

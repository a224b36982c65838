"""VPC firewall evaluation for egress to the whole Internet.

GCP applies a network's firewall rules by priority (lower number first; at equal priority a
deny wins), and every network ends with an implied allow-all egress rule at priority 65535
that no API lists. An allow to `0.0.0.0/0` or `::/0` is open unless a deny of at least the
same priority covers its protocol, ports and targets.

Known shortcoming: a deny that covers only part of an allow (some of its ports, or only some
of its target tags) does not narrow it; the allow is reported as open on all its ports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from scanner.model import NetworkGroup, NetworkRule, Snapshot

WORLD = {"cidr4": "0.0.0.0/0", "cidr6": "::/0"}
IMPLIED_PRIORITY = 65535
ALL_PROTOCOLS = ("all", "-1", "*")


@dataclass(frozen=True)
class Exposure:
    """An allow rule that lets traffic out to the Internet, with what it applies to."""

    network: str
    group: str
    rule: NetworkRule
    targets: tuple[str, ...]
    implied: bool


def is_network(group: NetworkGroup) -> bool:
    return group.provider == "gcp" and "/global/networks/" in group.id


def targets_of(group: NetworkGroup | None) -> tuple[str, ...]:
    """A firewall's target tags and service accounts; empty means every instance."""
    if group is None:
        return ()
    return tuple(
        sorted(v for k in ("targetTags", "targetServiceAccounts") for v in _split(group.tags, k))
    )


def _split(tags: dict[str, str], key: str) -> list[str]:
    return [f"{key}={v}" for v in tags.get(key, "").split(",") if v]


def implied_rules(network: str) -> list[NetworkRule]:
    """The implied allow-all egress rules of a network, IPv4 and IPv6."""
    return [
        NetworkRule(
            group=network,
            direction="egress",
            action="allow",
            protocol="all",
            peer=peer,
            peer_kind=kind,  # type: ignore[arg-type]
            priority=IMPLIED_PRIORITY,
            name="implied-allow-egress",
        )
        for kind, peer in WORLD.items()
    ]


def open_egress(snapshot: Snapshot) -> list[Exposure]:
    """Every allow to the Internet that no deny of higher or equal priority covers."""
    groups = {g.id: g for g in snapshot.network_groups if g.provider == "gcp"}
    by_network: dict[str, list[tuple[NetworkRule, NetworkGroup | None]]] = defaultdict(list)
    for rule in snapshot.network_rules:
        group = groups.get(rule.group)
        if group is not None and group.network and rule.direction == "egress":
            by_network[group.network].append((rule, group))
    found = []
    # A network named by a firewall exists even when the export left its own asset out.
    networks = {g.id for g in groups.values() if is_network(g)}
    networks |= {g.network for g in groups.values() if g.network}
    for network in sorted(networks):
        rules = by_network[network] + [(r, None) for r in implied_rules(network)]
        found += _evaluate(network, rules)
    return found


def _evaluate(network: str, rules: list[tuple[NetworkRule, NetworkGroup | None]]) -> list[Exposure]:
    denies = [(r, targets_of(g)) for r, g in rules if r.action == "deny"]
    found = []
    for rule, group in rules:
        if (
            rule.action != "allow"
            or rule.peer_kind not in WORLD
            or rule.peer != WORLD[rule.peer_kind]
        ):
            continue
        targets = targets_of(group)
        if any(_covers(deny, deny_targets, rule, targets) for deny, deny_targets in denies):
            continue
        found.append(Exposure(network, rule.group, rule, targets, implied=group is None))
    return found


def _covers(
    deny: NetworkRule, deny_targets: tuple[str, ...], allow: NetworkRule, targets: tuple[str, ...]
) -> bool:
    """Whether a deny takes effect before an allow for all of the allow's traffic."""
    if (deny.priority or 1000) > (allow.priority or 1000):
        return False
    if deny_targets and deny_targets != targets:
        return False
    if deny.peer_kind != allow.peer_kind or deny.peer != WORLD.get(deny.peer_kind):
        return False
    if deny.protocol in ALL_PROTOCOLS:
        return True
    if deny.protocol != allow.protocol:
        return False
    low, high = deny.from_port or 0, 65535 if deny.to_port is None else deny.to_port
    return low <= (allow.from_port or 0) and (allow.to_port or 65535) <= high


def all_traffic(rule: NetworkRule) -> bool:
    """All protocols, or every port of the protocol."""
    if rule.protocol in ALL_PROTOCOLS:
        return True
    return (rule.from_port, rule.to_port) in ((0, 65535), (None, None))

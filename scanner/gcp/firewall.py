"""VPC firewall evaluation for egress to the whole Internet.

GCP applies a network's firewall rules by priority (lower number first; at equal priority a
deny wins), and every network ends with an implied allow-all egress rule at priority 65535
that no API lists (https://cloud.google.com/firewall/docs/firewalls#default_firewall_rules).
An allow to `0.0.0.0/0` or `::/0` stays open for whatever traffic the denies of at least the
same priority leave open, so a deny may close all of it, or only some ports, destinations or
targets:

- ports: the allow's port range is cut at each deny's bounds, and each piece is judged by the
  denies that cover it; what stays open is reported port by port, so an allow on every port
  narrowed by a deny of one port becomes a `ports` exposure;
- destinations: the denies' ranges of a piece are joined, and the piece is closed when they
  leave no Internet address open (ranges that are not routed on the Internet, such as RFC 1918
  and link-local ones, do not count); otherwise it stays open, naming the ranges denied;
- targets: a deny that applies to only some of the allow's instances (other target tags or
  service accounts) narrows nothing, because the other instances keep the allow; it is named
  in the exposure as partly denying;
- protocols: a deny of one protocol does not narrow an allow of all protocols (the others stay
  open); it is named as partly denying.

Known shortcoming: only allows to the whole Internet (`0.0.0.0/0`, `::/0`) are judged; an
allow to a large public range such as `0.0.0.0/1` is not reported, although an allow to the
whole Internet narrowed by a deny to that same range is.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict
from dataclasses import dataclass

from scanner.model import NetworkGroup, NetworkRule, Snapshot

WORLD = {"cidr4": "0.0.0.0/0", "cidr6": "::/0"}
IMPLIED_PRIORITY = 65535
DEFAULT_PRIORITY = 1000
ALL_PROTOCOLS = ("all", "-1", "*")
LAST_PORT = 65535

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Ranges no Internet host answers from (RFC 6890 special-purpose blocks that are not global).
NOT_INTERNET = tuple(
    ipaddress.ip_network(r)
    for r in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


@dataclass(frozen=True)
class Exposure:
    """Traffic an allow rule still lets out to the Internet, with what it applies to.

    `rule` is the allow narrowed to the ports that stay open; `denied` lists destination
    ranges that denies close on those ports (the rest of the Internet stays reachable);
    `partly_denied_by` names denies that close only some of the allow's targets or protocols.
    """

    network: str
    group: str
    rule: NetworkRule
    targets: tuple[str, ...]
    implied: bool
    denied: tuple[str, ...] = ()
    partly_denied_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Deny:
    rule: NetworkRule
    targets: tuple[str, ...]
    network: IPNetwork


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
    """Every allow to the Internet, narrowed to what the denies ahead of it leave open."""
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
    denies = [
        _Deny(r, targets_of(g), net)
        for r, g in rules
        if r.action == "deny" and (net := _network(r.peer)) is not None
    ]
    found = []
    for rule, group in rules:
        if rule.action != "allow" or rule.peer != WORLD.get(rule.peer_kind):
            continue
        targets = targets_of(group)
        ahead = [d for d in denies if _ahead(d.rule, rule) and d.rule.peer_kind == rule.peer_kind]
        whole = [d for d in ahead if _reaches(d, rule, targets)]
        partly = sorted({d.rule.name or d.rule.group for d in ahead if d not in whole})
        for low, high, denied in _open_pieces(rule, whole):
            found.append(
                Exposure(
                    network,
                    rule.group,
                    _narrowed(rule, low, high),
                    targets,
                    implied=group is None,
                    denied=denied,
                    partly_denied_by=tuple(partly),
                )
            )
    return found


def _network(peer: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(peer, strict=False)
    except ValueError:
        return None


def _priority(rule: NetworkRule) -> int:
    return DEFAULT_PRIORITY if rule.priority is None else rule.priority


def _ahead(deny: NetworkRule, allow: NetworkRule) -> bool:
    """A deny decides before an allow of the same priority."""
    return _priority(deny) <= _priority(allow)


def _reaches(deny: _Deny, allow: NetworkRule, targets: tuple[str, ...]) -> bool:
    """Whether a deny applies to every instance and protocol the allow applies to."""
    if deny.targets and not (targets and set(targets) <= set(deny.targets)):
        return False
    if deny.rule.protocol in ALL_PROTOCOLS:
        return True
    return allow.protocol not in ALL_PROTOCOLS and deny.rule.protocol == allow.protocol


def _ports(rule: NetworkRule) -> tuple[int, int]:
    if rule.protocol in ALL_PROTOCOLS:
        return 0, LAST_PORT
    low = rule.from_port or 0
    return low, LAST_PORT if rule.to_port is None else rule.to_port


def _open_pieces(allow: NetworkRule, denies: list[_Deny]) -> list[tuple[int, int, tuple[str, ...]]]:
    """The allow's port pieces that stay open, each with the destination ranges denied on it."""
    low, high = _ports(allow)
    bounds = {low, high + 1}
    for deny in denies:
        start, end = _ports(deny.rule)
        bounds |= {b for b in (start, end + 1) if low < b <= high}
    edges = sorted(bounds)

    pieces: list[tuple[int, int, tuple[str, ...]]] = []
    for start, stop in itertools.pairwise(edges):
        nets = [
            d.network
            for d in denies
            if _ports(d.rule)[0] <= start and stop - 1 <= _ports(d.rule)[1]
        ]
        joined = _collapsed(nets)
        if not _leaves_internet(allow, joined):
            continue
        denied = tuple(str(n) for n in joined)
        if pieces and pieces[-1][1] == start - 1 and pieces[-1][2] == denied:
            pieces[-1] = (pieces[-1][0], stop - 1, denied)
        else:
            pieces.append((start, stop - 1, denied))
    return pieces


def _collapsed(nets: list[IPNetwork]) -> list[IPNetwork]:
    return list(ipaddress.collapse_addresses(nets))  # type: ignore[type-var]


def _leaves_internet(allow: NetworkRule, denied: list[IPNetwork]) -> bool:
    """Whether some Internet address of the allow's family is not in the denied ranges."""
    remaining = [ipaddress.ip_network(allow.peer)]
    for net in denied:
        remaining = [
            part
            for left in remaining
            for part in (_excluded(left, net) if left.overlaps(net) else [left])
        ]
    return any(not any(_within(part, block) for block in NOT_INTERNET) for part in remaining)


def _excluded(whole: IPNetwork, net: IPNetwork) -> list[IPNetwork]:
    """`whole` without `net`: nothing when `net` holds it, else the pieces around `net`."""
    if _within(whole, net):
        return []
    return list(whole.address_exclude(net))  # type: ignore[arg-type]


def _within(part: IPNetwork, block: IPNetwork) -> bool:
    return part.version == block.version and part.subnet_of(block)  # type: ignore[arg-type]


def _narrowed(rule: NetworkRule, low: int, high: int) -> NetworkRule:
    if rule.protocol in ALL_PROTOCOLS or _ports(rule) == (low, high):
        return rule
    return rule.model_copy(update={"from_port": low, "to_port": high})


def all_traffic(rule: NetworkRule) -> bool:
    """All protocols, or every port of the protocol."""
    if rule.protocol in ALL_PROTOCOLS:
        return True
    return (rule.from_port, rule.to_port) in ((0, LAST_PORT), (None, None))


def all_traffic_of(exposures: list[Exposure]) -> bool:
    """Whether the exposures together leave every port of some protocol open.

    An allow on every port that a deny narrows to part of the Internet on one port is
    still open on every port, so its pieces are joined before judging.
    """
    if any(all_traffic(e.rule) for e in exposures):
        return True
    by_protocol: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for exposure in exposures:
        by_protocol[exposure.rule.protocol].append(_ports(exposure.rule))
    for spans in by_protocol.values():
        reach = -1
        for low, high in sorted(spans):
            if low > reach + 1:
                break
            reach = max(reach, high)
        if reach >= LAST_PORT:
            return True
    return False

"""Firewall evaluation: denies that close all, part or none of an allow to the Internet."""

from __future__ import annotations

from typing import Any

from tests.fake_gcp_assets import findings_of, project, resource, snapshot_of

NETWORK = "https://www.googleapis.com/compute/v1/projects/p1/global/networks/n"
NET = resource(
    "//compute.googleapis.com/projects/p1/global/networks/n",
    "compute.googleapis.com/Network",
    {"name": "n"},
)
# Closes the implied rule, so each test judges only the firewall rules it adds.
DENY_IMPLIED = {
    "name": "deny-implied",
    "priority": 65534,
    "denied": [{"IPProtocol": "all"}],
    "destinationRanges": ["0.0.0.0/0", "::/0"],
}
WEB = {"name": "web", "allowed": [{"IPProtocol": "tcp"}], "destinationRanges": ["0.0.0.0/0"]}


def firewall(name: str, **data: Any) -> dict[str, Any]:
    body = {"name": name, "network": NETWORK, "direction": "EGRESS", "priority": 1000, **data}
    return resource(
        f"//compute.googleapis.com/projects/p1/global/firewalls/{name}",
        "compute.googleapis.com/Firewall",
        body,
    )


def egress(*bodies: dict[str, Any]) -> dict[str, Any]:
    """The open-egress findings by firewall name, for the given firewall bodies."""
    raws = [firewall(**body) for body in (DENY_IMPLIED, *bodies)]
    return {
        f.resource.rsplit("/", 1)[-1]: f
        for f in findings_of(snapshot_of(project(), NET, *raws))
        if f.family == "open-egress"
    }


def open_ports(finding: Any) -> list[tuple[int, int]]:
    return [(r["from_port"], r["to_port"]) for r in finding.evidence["rules"]]


def test_deny_of_one_port_narrows_an_all_ports_allow_to_the_rest() -> None:
    found = egress(WEB, {"name": "no-smtp", **_deny_body(ports=["25"])})["web"]

    assert found.rule == "open-egress/ports"
    assert found.severity == "medium"
    assert open_ports(found) == [(0, 24), (26, 65535)]
    assert "tcp/0-24, tcp/26-65535" in found.title


def test_deny_of_every_port_in_pieces_closes_the_allow() -> None:
    pieces = [
        {"name": "low", **_deny_body(ports=["0-1023"])},
        {"name": "high", **_deny_body(ports=["1024-65535"])},
    ]

    assert "web" not in egress(WEB, *pieces)
    assert "web" in egress(WEB, pieces[0])


def test_denies_of_range_halves_together_close_the_allow() -> None:
    halves = [
        {"name": "h1", **_deny_body(ranges=["0.0.0.0/1"])},
        {"name": "h2", **_deny_body(ranges=["128.0.0.0/1"])},
    ]

    assert "web" not in egress(WEB, *halves)
    half = egress(WEB, halves[0])["web"]
    assert half.rule == "open-egress/all-traffic"  # every port still reaches half the Internet
    assert half.title.endswith("except 0.0.0.0/1")
    assert half.evidence["rules"][0]["denied"] == ["0.0.0.0/1"]


def test_deny_that_leaves_only_private_ranges_open_closes_the_allow() -> None:
    public = ["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3"]
    public += ["64.0.0.0/2", "128.0.0.0/1"]
    body = {"name": "public", **_deny_body(ranges=public)}

    assert "web" not in egress(WEB, body)
    assert "web" in egress(WEB, {"name": "public", **_deny_body(ranges=public[1:])})


def test_partial_range_on_some_ports_keeps_all_ports_open_to_part_of_the_internet() -> None:
    found = egress(WEB, {"name": "half443", **_deny_body(ranges=["0.0.0.0/1"], ports=["443"])})

    assert found["web"].rule == "open-egress/all-traffic"
    assert [r["denied"] for r in found["web"].evidence["rules"]] == [[], ["0.0.0.0/1"], []]


def test_deny_for_other_targets_narrows_nothing_but_is_named() -> None:
    tagged = {"name": "tagged", **_deny_body(), "targetTags": ["locked"]}
    found = egress(WEB, tagged)["web"]

    assert found.rule == "open-egress/all-traffic"
    assert found.evidence["partly_denied_by"] == ["tagged"]
    web_on_locked = {**WEB, "targetTags": ["locked"]}
    assert "web" not in egress(web_on_locked, tagged)
    web_on_two = {**WEB, "targetTags": ["locked", "open"]}
    assert "web" in egress(web_on_two, tagged)


def test_deny_of_one_protocol_leaves_an_all_protocols_allow_open() -> None:
    everything = {"name": "any", "allowed": [{"IPProtocol": "all"}], "destinationRanges": ["::/0"]}
    six = {"name": "tcp6", **_deny_body(ranges=["::/0"])}

    found = egress(everything, six)["any"]
    assert found.rule == "open-egress/all-traffic"
    assert found.evidence["partly_denied_by"] == ["tcp6"]


def test_deny_of_lower_priority_or_other_family_does_not_narrow() -> None:
    late = {"name": "late", **_deny_body(ports=["25"]), "priority": 1001}
    v6 = {"name": "v6", **_deny_body(ranges=["::/0"])}

    assert egress(WEB, late)["web"].rule == "open-egress/all-traffic"
    assert egress(WEB, v6)["web"].rule == "open-egress/all-traffic"
    same = {"name": "same", **_deny_body(), "priority": 1000}
    assert "web" not in egress(WEB, same)  # at equal priority a deny wins


def test_priority_zero_deny_is_ahead_of_everything() -> None:
    first = {"name": "first", **_deny_body(), "priority": 0}
    web_first = {**WEB, "priority": 0}

    assert "web" not in egress(web_first, first)


def _deny_body(ranges: list[str] | None = None, ports: list[str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"IPProtocol": "tcp", **({"ports": ports} if ports else {})}
    return {"priority": 900, "denied": [entry], "destinationRanges": ranges or ["0.0.0.0/0"]}

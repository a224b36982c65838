"""open-egress on GCP: narrow an allow rule's destinations, or deny the implied egress.

An explicit `google_compute_firewall` loses its `0.0.0.0/0`/`::/0` destination ranges (the
whole block when nothing else is left: an egress rule without ranges means every destination).
A network whose implied allow-all egress is open gets a new deny-all egress rule at priority
65534, just above the implied rule, so every higher-priority allow still works.

Known shortcoming: the plan title is the shared one, so it says "security group" for a GCP
firewall rule or network.
"""

from __future__ import annotations

from remediators.edits import Edit, delete_lines, newline_of, remove_list_element
from remediators.fixes import Context, Fix, NoFix, list_literals, only
from remediators.terraform_index import TfResource
from scanner.findings import Finding

OPEN = ("0.0.0.0/0", "::/0")


def fix(findings: list[Finding], ctx: Context) -> Fix | NoFix:
    finding = findings[0]
    if finding.evidence.get("implied"):
        return _deny_implied(ctx, str(finding.evidence.get("network_name") or ""))
    name = str(finding.evidence.get("group_name") or "")
    rule = only(
        [r for r in ctx.index.of_type("google_compute_firewall") if r.literal("name") == name]
    )
    if rule is None:
        return NoFix("the firewall rule is not managed by a single `google_compute_firewall` block")
    return _narrow(rule)


def _narrow(rule: TfResource) -> Fix | NoFix:
    ranges = list_literals(rule, "destination_ranges")
    if ranges is None:
        return NoFix(f"`{rule.address}` has no literal destination_ranges to narrow")
    hits = [i for i, (value, _) in enumerate(ranges) if value in OPEN]
    if len(hits) == len(ranges):
        edit = delete_lines(rule.file.path, rule.file.text, rule.block.start, rule.block.end)
        return Fix((edit,), (f"Delete `{rule.address}`: it only allowed egress to the Internet.",))
    spans = [span for _, span in ranges]
    edits = []
    # Remove from the end so earlier spans stay valid.
    for i in reversed(hits):
        edits.append(remove_list_element(rule.file.path, rule.file.text, spans, i))
        spans = spans[:i] + spans[i + 1 :]
    change = f"Remove `0.0.0.0/0`/`::/0` from `{rule.address}.destination_ranges`."
    return Fix(tuple(edits), (change,))


def _deny_implied(ctx: Context, network_name: str) -> Fix | NoFix:
    network = only(
        [
            n
            for n in ctx.index.of_type("google_compute_network")
            if n.literal("name") == network_name
        ]
    )
    if network is None:
        return NoFix("the network is not managed by a single `google_compute_network` block")
    text = network.file.text
    newline = newline_of(text)
    label = f"{network.name}_deny_egress"
    lines = [
        f'resource "google_compute_firewall" "{label}" {{',
        f'  name               = "{network_name}-deny-all-egress"',
        f"  network            = google_compute_network.{network.name}.id",
        '  direction          = "EGRESS"',
        "  priority           = 65534",
        '  destination_ranges = ["0.0.0.0/0", "::/0"]',
        "",
        "  deny {",
        '    protocol = "all"',
        "  }",
        "}",
    ]
    block = newline.join(lines) + newline
    line_end = text.find("\n", network.block.end)
    if line_end < 0:
        edit = Edit(network.file.path, len(text), len(text), newline + newline + block)
    else:
        edit = Edit(network.file.path, line_end + 1, line_end + 1, newline + block)
    change = (
        f"Add `google_compute_firewall.{label}`: deny all egress from `{network.address}` at "
        "priority 65534, ahead of the implied allow-all egress rule."
    )
    return Fix((edit,), (change,))

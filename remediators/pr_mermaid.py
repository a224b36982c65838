"""The evidence path of a finding as a Mermaid flowchart, which GitHub renders in Markdown.

Node labels come from the cloud, so every character outside a small safe set is written as a
Mermaid entity code (`#35;`). A name can then neither close its label, start a `click`
directive that links elsewhere, nor carry HTML into the rendered diagram.
"""

from __future__ import annotations

import string

from scanner.findings import Finding
from scanner.markdown import fence

_SAFE = set(string.ascii_letters + string.digits + " :/._-=+,")
MAX_NODES = 40


def label(text: str) -> str:
    """`text` as a quoted Mermaid label with everything unusual entity-encoded."""
    text = " ".join(text.split())[:120]
    return '"' + "".join(c if c in _SAFE else f"#{ord(c)};" for c in text) + '"'


def diagram(findings: list[Finding]) -> str:
    """One flowchart of every finding's path, nodes shared; empty when no finding has one."""
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for finding in findings:
        for step in finding.path:
            nodes.setdefault(step, f"n{len(nodes)}")
        for source, target in zip(finding.path, finding.path[1:], strict=False):
            edge = (nodes[source], nodes[target])
            if edge not in edges:
                edges.append(edge)
    if not nodes or len(nodes) > MAX_NODES:
        # Long paths are left to the JSON evidence below, which is summarised when too long.
        return ""

    lines = ["flowchart LR"]
    lines += [f"  {ident}[{label(name)}]" for name, ident in nodes.items()]
    lines += [f"  {a} --> {b}" for a, b in edges]
    return fence("\n".join(lines), "mermaid")

"""The rule interface: each rule family is one module holding rules built on this."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from scanner.findings import Finding, Severity
from scanner.graph import Graph


@dataclass(frozen=True)
class RuleSettings:
    """The knobs rules read, from the configuration file or the command line."""

    max_key_age_days: int = 90
    unused_key_days: int = 90
    # Azure client secrets and certificates; None means max_key_age_days.
    azure_max_secret_age_days: int | None = None


@dataclass
class Context:
    """What a rule sees: the graph, the time of the scan, the settings, earlier findings."""

    graph: Graph
    now: datetime
    settings: RuleSettings = field(default_factory=RuleSettings)


@dataclass(frozen=True)
class RuleInfo:
    """A rule's metadata, shown in reports and SARIF."""

    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str


class Rule(Protocol):
    """A rule family: metadata for each rule id it emits, and a pure evaluation."""

    @property
    def family(self) -> str: ...

    @property
    def rules(self) -> tuple[RuleInfo, ...]: ...

    def evaluate(self, context: Context) -> Iterable[Finding]: ...

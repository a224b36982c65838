"""Findings: what rules report, and the `findings.json` contract other tools build on."""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FINDINGS_SCHEMA = "ztdrift.findings/v1"

FAMILIES = (
    "long-lived-key",
    "standing-admin",
    "open-egress",
    "public-data",
    "external-trust",
)


class Severity(IntEnum):
    """Ordered severities; a larger value is worse."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


SeverityLabel = Literal["critical", "high", "medium", "low", "info"]


def fingerprint(family: str, provider: str, account: str, resource: str) -> str:
    """A stable id: it changes with what is wrong and where, never with counts or wording."""
    text = "\x1f".join((family, provider, account, resource))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Finding(BaseModel):
    """One problem on one resource, with the graph path that proves it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    rule: str
    provider: str
    account: str
    region: str | None = None
    resource: str
    principal: str | None = None
    severity: SeverityLabel
    title: str
    path: list[str] = Field(default_factory=list)
    status: Literal["new", "existing"] = "new"
    waiver: str | None = None
    conditional: bool = False
    evidence: dict[str, Any] = Field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.rule.split("/", 1)[0]

    @property
    def level(self) -> Severity:
        return Severity.parse(self.severity)


def make_finding(
    rule: str,
    *,
    provider: str,
    account: str,
    resource: str,
    severity: Severity,
    title: str,
    principal: str | None = None,
    region: str | None = None,
    path: list[str] | None = None,
    conditional: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    """Build a finding whose id is the fingerprint of its family, scope and resource."""
    family = rule.split("/", 1)[0]
    return Finding(
        id=fingerprint(family, provider, account, resource),
        rule=rule,
        provider=provider,
        account=account,
        region=region,
        resource=resource,
        principal=principal,
        severity=severity.label,  # type: ignore[arg-type]
        title=title,
        path=path or [],
        conditional=conditional,
        evidence=evidence or {},
    )


class ResolvedFinding(BaseModel):
    """A previous finding that this scan, with full sight of its scope, no longer has."""

    model_config = ConfigDict(extra="forbid")

    id: str
    rule: str
    provider: str
    account: str
    resource: str
    severity: SeverityLabel
    title: str


class ReportGap(BaseModel):
    """A collection gap, as reports show it."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    account: str
    service: str
    region: str | None = None
    error: str


class FindingsReport(BaseModel):
    """The whole `findings.json` document."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(default=FINDINGS_SCHEMA, alias="schema")
    generated_at: str
    findings: list[Finding] = Field(default_factory=list)
    resolved: list[ResolvedFinding] = Field(default_factory=list)
    unresolved_unknown: list[str] = Field(default_factory=list)
    gaps: list[ReportGap] = Field(default_factory=list)
    expired_waivers: list[dict[str, Any]] = Field(default_factory=list)
    changes: dict[str, list[str]] = Field(default_factory=dict)
    unsupported: list[dict[str, Any]] = Field(default_factory=list)

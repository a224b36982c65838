"""Rule families. Each module holds one family; the registry lists them in report order."""

from __future__ import annotations

from rules.base import Context, Rule, RuleInfo, RuleSettings
from rules.long_lived_key import LongLivedKey
from rules.open_egress import OpenEgress
from rules.public_data import PublicData
from rules.standing_admin import StandingAdmin

REGISTRY: tuple[Rule, ...] = (StandingAdmin(), LongLivedKey(), OpenEgress(), PublicData())


def rule_infos() -> dict[str, RuleInfo]:
    """Metadata of every rule id, for reports and SARIF."""
    return {info.id: info for family in REGISTRY for info in family.rules}


__all__ = ["REGISTRY", "Context", "Rule", "RuleInfo", "RuleSettings", "rule_infos"]

"""Rule families, one package per provider and one module per family inside it.

Every rule reads only the graph and snapshot, so a saved snapshot can be analysed again. A
rule skips records of other providers, so adding a provider never changes another's findings.
"""

from __future__ import annotations

from rules import aws, azure, gcp
from rules.base import Context, Rule, RuleInfo, RuleSettings

REGISTRY: tuple[Rule, ...] = (*aws.RULES, *azure.RULES, *gcp.RULES)


def rule_infos() -> dict[str, RuleInfo]:
    """Metadata of every rule id, for reports and SARIF."""
    return {info.id: info for family in REGISTRY for info in family.rules}


__all__ = ["REGISTRY", "Context", "Rule", "RuleInfo", "RuleSettings", "rule_infos"]

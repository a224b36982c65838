"""Azure rules: one module per rule family, reading the neutral snapshot and the graph."""

from __future__ import annotations

from rules.azure.long_lived_key import LongLivedKey
from rules.azure.open_egress import OpenEgress
from rules.azure.public_data import PublicData
from rules.azure.standing_admin import StandingAdmin
from rules.base import Rule

RULES: tuple[Rule, ...] = (StandingAdmin(), LongLivedKey(), OpenEgress(), PublicData())

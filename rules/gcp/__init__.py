"""GCP rules: one module per rule family."""

from __future__ import annotations

from rules.base import Rule
from rules.gcp.long_lived_key import LongLivedKey
from rules.gcp.open_egress import OpenEgress
from rules.gcp.public_data import PublicData
from rules.gcp.standing_admin import StandingAdmin

RULES: tuple[Rule, ...] = (StandingAdmin(), LongLivedKey(), OpenEgress(), PublicData())

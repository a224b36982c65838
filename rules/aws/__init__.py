"""AWS rules: one module per rule family."""

from __future__ import annotations

from rules.aws.external_trust import ExternalTrust
from rules.aws.long_lived_key import LongLivedKey
from rules.aws.open_egress import OpenEgress
from rules.aws.public_data import PublicData
from rules.aws.standing_admin import StandingAdmin
from rules.base import Rule

RULES: tuple[Rule, ...] = (
    StandingAdmin(),
    ExternalTrust(),
    LongLivedKey(),
    OpenEgress(),
    PublicData(),
)

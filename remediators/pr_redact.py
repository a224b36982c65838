"""Redaction for what public repositories publish: no account ids, key ids or escalation paths.

A public repository shows every pull request body to the world. There the evidence section
(the escalation path and the raw evidence) is withheld, and account ids and access key ids
are masked everywhere else in the text, the patch included.

Only pull request bodies are redacted here: SARIF files and summaries are written unredacted
by the reports, so a public repository must not upload them as public artifacts.
"""

from __future__ import annotations

import re
from typing import Literal

RedactionSetting = Literal["auto", "on", "off"]

# AWS account ids are 12 digits; access key ids start with a four-letter kind (AKIA for
# long-term keys, ASIA for temporary ones, and the other documented prefixes) and have 20
# characters in all.
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_KEY_ID = re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{8,}\b")
_EVIDENCE = re.compile(r"^### Evidence\n.*?(?=^### )", re.MULTILINE | re.DOTALL)
WITHHELD = (
    "### Evidence\n\nWithheld: this repository is public, so the escalation path and raw "
    "evidence stay in the scan's findings.json.\n\n"
)


def wanted(setting: RedactionSetting, repository_private: bool) -> bool:
    """Whether to redact: on, off, or (auto) exactly when the repository is public."""
    if setting == "auto":
        return not repository_private
    return setting == "on"


def redact(text: str) -> str:
    """`text` without the evidence section and with account ids and key ids masked."""
    text = _EVIDENCE.sub(lambda _: WITHHELD, text)
    text = _KEY_ID.sub(lambda m: m.group(1) + "…", text)
    return _ACCOUNT.sub("<account>", text)

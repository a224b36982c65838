"""Redaction for what public repositories publish: no account ids, key ids or escalation paths.

A public repository shows every pull request body to the world. There the evidence section
(the escalation path and the raw evidence) is withheld, and account ids and access key ids
are masked everywhere else in the text, the patch included.

SARIF files and summaries are redacted by the reports (scanner.redaction), with the same masks.
"""

from __future__ import annotations

import re

from scanner.redaction import mask

_EVIDENCE = re.compile(r"^### Evidence\n.*?(?=^### )", re.MULTILINE | re.DOTALL)
WITHHELD = (
    "### Evidence\n\nWithheld: this repository is public, so the escalation path and raw "
    "evidence stay in the scan's findings.json.\n\n"
)


def redact(text: str) -> str:
    """`text` without the evidence section and with account ids and key ids masked."""
    return mask(_EVIDENCE.sub(lambda _: WITHHELD, text))

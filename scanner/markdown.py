"""Make cloud-supplied text inert in GitHub Markdown.

Names, tags and ARNs come from the cloud, where anyone with write access can choose them. In a
pull request body they must not become links, images, mentions, HTML or formatting.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be backslash-escaped; `&`, `<`, `>` and `@` are handled
# separately below because escaping alone does not stop entities, HTML or GitHub mentions.
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~\"'$%,/:;=?^])")
_ZWJ = "\u200d"
_ZWSP = "\u200b"


def escape_markdown(text: str) -> str:
    """Render `text` literally on one line of GitHub Markdown."""
    text = " ".join(text.split())
    # Punctuation first, so the `;` of the entities below stays part of them.
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A joiner after `@` stops @user and @org/team mentions; one inside `://` and `www.`
    # stops GitHub's bare-URL autolinking, which does not honour backslash escapes.
    text = text.replace("@", "@" + _ZWJ)
    text = re.sub(r"(?i)(\\:)(\\/\\/)", r"\1" + _ZWSP + r"\2", text)
    return re.sub(r"(?i)\b(www)(\\\.)", r"\1" + _ZWSP + r"\2", text)


def plain(text: str, limit: int = 200) -> str:
    """Cloud text for places shown as plain text (SARIF messages, pull-request titles).

    One line, at most `limit` characters; mentions and bare links are broken as in
    :func:`escape_markdown`, and angle brackets become parentheses, with no backslashes.
    """
    text = " ".join(text.split())[:limit]
    text = text.replace("<", "(").replace(">", ")").replace("@", "@" + _ZWJ)
    return re.sub(r"(?i)(:)(//)", r"\1" + _ZWSP + r"\2", text)


def fence(content: str, info: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    marker = "`" * max(3, longest + 1)
    if not content.endswith("\n"):
        content += "\n"
    return f"{marker}{info}\n{content}{marker}\n"


def truncate(text: str, limit: int, note: str) -> str:
    """Cut `text` to at most `limit` characters, ending with `note` when it was cut."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(note) - 1)
    return text[:keep] + "\n" + note

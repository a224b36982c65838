"""Escaping for text that came from the cloud before it goes into Markdown.

Resource names and tags are attacker-influenced: a name like `x](https://evil) @org/team`
must render as literal text, not as a link, a mention or HTML.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_ZERO_WIDTH_JOINER = "\u200d"


def escape(text: object) -> str:
    """Render any value as inert Markdown text on one line."""
    value = str(text).replace("\r", " ").replace("\n", " ")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _SPECIAL.sub(r"\\\1", value)
    # An @ followed by a name would notify a user or team; a joiner breaks the mention.
    value = value.replace("@", "@" + _ZERO_WIDTH_JOINER)
    # Bare URLs autolink on GitHub even without brackets.
    return value.replace("://", ":" + _ZERO_WIDTH_JOINER + "//")


def code(text: object) -> str:
    """Render a value inside an inline code span that it cannot break out of."""
    value = str(text).replace("\r", " ").replace("\n", " ").replace("`", "'")
    return f"`{value}`"

"""The hidden, machine-readable marker in each bot pull request body: the bot's only state.

It holds the problem key, the plan hash, the run that last wrote the body and the scopes the
problem lives in, so any runner can pick up where the last one stopped with nothing but the
repository. A person who edits the body can break the marker; the head branch still ties the
pull request to its problem then.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from remediators.body import MARKER_PREFIX

_MARKER = re.compile(re.escape(MARKER_PREFIX) + r"(\{.*?\}) -->")


class Marker(BaseModel):
    """What the bot wrote about one pull request."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    plan_hash: str = ""
    run: str = ""
    scopes: list[str] = Field(default_factory=list)
    redacted: bool = False
    supersedes: int | None = None
    # Set when the bot itself closed the pull request because the problem went away, so a
    # later return of the problem is not mistaken for a person's "no".
    resolved: bool = False
    # The plan hash for which a moved base branch was reported, so it is reported once.
    conflict: str = ""

    def comment(self) -> str:
        """The marker as an HTML comment, which GitHub does not render."""
        data = self.model_dump(exclude_defaults=True)
        data["key"] = self.key
        data["plan_hash"] = self.plan_hash
        return f"{MARKER_PREFIX}{json.dumps(data, sort_keys=True)} -->"


def read(body: str | None) -> Marker | None:
    """The marker in a pull request body, or None when there is no valid one."""
    match = _MARKER.search(body or "")
    if match is None:
        return None
    try:
        return Marker.model_validate(json.loads(match.group(1)))
    except (ValueError, ValidationError):
        return None


def stamp(body: str, marker: Marker) -> str:
    """`body` with its marker replaced by `marker` (appended when it has none)."""
    if _MARKER.search(body) is None:
        return body.rstrip("\n") + "\n\n" + marker.comment() + "\n"
    return _MARKER.sub(lambda _: marker.comment(), body, count=1)

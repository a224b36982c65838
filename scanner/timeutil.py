"""Time parsing shared by collectors: the clouds spell timestamps several ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO-8601 or 'YYYY-MM-DD HH:MM:SS+00:00' timestamp into an aware UTC datetime.

    Returns None for empty values and for the credential report's 'N/A' and 'no_information'.
    """
    if value is None or value in ("", "N/A", "no_information", "not_supported"):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)

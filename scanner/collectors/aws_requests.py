"""Count the HTTP requests a boto3 session sends, by operation.

The benchmark and the tests use it to prove the collector reads an account with a bounded
number of calls. Retries are counted too: each attempt is one request on the wire.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3


class RequestCounter:
    """Thread-safe tally of requests, keyed 'service.Operation' (for example 'ec2.DescribeVpcs')."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, session: boto3.Session) -> None:
        """Start counting; clients copy the session's handlers, so attach before creating any."""
        session.events.register("before-send", self._on_send)

    def _on_send(self, event_name: str = "", **_: Any) -> None:
        # The event name is 'before-send.<service>.<Operation>'.
        key = event_name.split(".", 1)[1] if "." in event_name else event_name
        with self._lock:
            self._counts[key] += 1

    @property
    def total(self) -> int:
        """All requests counted so far."""
        with self._lock:
            return sum(self._counts.values())

    def by_operation(self) -> dict[str, int]:
        """The counts per 'service.Operation', sorted by key."""
        with self._lock:
            return dict(sorted(self._counts.items()))

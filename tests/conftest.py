"""Shared fixtures: a loopback moto server with safe, fake AWS settings.

Nothing here may reach a real AWS endpoint or the instance metadata service: credentials are
fake, the metadata lookup is disabled, and every client is pointed at 127.0.0.1.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from scanner.demo.estate import route_s3control_to_loopback
from scanner.demo.moto import moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto on a free loopback port for this test process and point boto3 at it."""
    with moto_server() as endpoint:
        yield endpoint


def reset_moto(endpoint: str) -> None:
    """Drop all state of the moto server at `endpoint` (a loopback URL)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    # A reset takes seconds alone and much longer on a loaded machine.
    with urllib.request.urlopen(request, timeout=180) as answer:
        answer.read()


def moto_session() -> boto3.Session:
    """A fresh boto3 session for the moto server, as a user's default session would be."""
    session = boto3.Session(region_name="us-east-1")
    route_s3control_to_loopback(session)
    return session


@pytest.fixture
def moto_reset(moto_endpoint: str) -> str:
    """A moto server with no state left over from earlier tests."""
    reset_moto(moto_endpoint)
    return moto_endpoint


@pytest.fixture
def aws_session(moto_reset: str) -> boto3.Session:
    """A fresh boto3 session on a reset moto server."""
    return moto_session()

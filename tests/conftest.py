"""Shared fixtures: a loopback moto server with safe, fake AWS settings.

Nothing here may reach a real AWS endpoint or the instance metadata service: credentials are
fake, the metadata lookup is disabled, and every client is pointed at 127.0.0.1.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from scanner.demo.estate import route_s3control_to_loopback

SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    # moto loads the AWS managed policies (AdministratorAccess and friends) only when asked.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}
UNSAFE_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto on a free loopback port for this test process and point boto3 at it."""
    saved = {key: os.environ.get(key) for key in (*SAFE_ENV, *UNSAFE_ENV, "AWS_ENDPOINT_URL")}
    os.environ.update(SAFE_ENV)
    for key in UNSAFE_ENV:
        os.environ.pop(key, None)

    # Imported here so test runs that never touch AWS do not pay for loading moto.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        server.stop()
        _restore(saved)


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def reset_moto(endpoint: str) -> None:
    """Drop all state of the moto server at `endpoint` (a loopback URL)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
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

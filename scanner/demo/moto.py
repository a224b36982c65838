"""A loopback moto server and the environment that keeps boto3 away from real AWS.

Shared by the demo, the tests and the benchmark: fake credentials, no instance-metadata
lookups, no profiles or web identity from the machine, and every endpoint on 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from scanner.errors import ZtdriftError

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
UNSAFE_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
)


def safe_environment() -> dict[str, str | None]:
    """Apply the safe environment; returns what it replaced, for :func:`restore`."""
    saved = {key: os.environ.get(key) for key in (*SAFE_ENV, *UNSAFE_ENV)}
    os.environ.update(SAFE_ENV)
    for key in UNSAFE_ENV:
        os.environ.pop(key, None)
    return saved


def restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's threaded server on a free loopback port, with boto3 pointed at it."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise ZtdriftError("this needs moto: pip install 'ztdrift[demo]'") from exc

    # moto's web server logs every request; the demo's output should show ztdrift, not that.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    saved = safe_environment()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        server.stop()
        restore(saved)

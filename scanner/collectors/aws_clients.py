"""Build boto3 clients for the live collector, once each and safely from several threads.

Endpoints come from boto3's own configuration (AWS_ENDPOINT_URL and the per-service
variables), credentials from the session's standard chain; nothing here overrides either.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3control import S3ControlClient
    from mypy_boto3_sts import STSClient

DEFAULT_REGION = "us-east-1"


class AwsClients:
    """One client per (service, region), built on first use.

    boto3 sessions are not thread-safe but clients are, so creation happens under a lock and
    the clients are then shared by the worker threads.
    """

    def __init__(self, session: boto3.Session, *, pool_size: int, max_attempts: int) -> None:
        self.session = session
        self.home_region = session.region_name or DEFAULT_REGION
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            max_pool_connections=pool_size,
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str | None) -> Any:
        key = (service, region or self.home_region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=key[1],
                    config=self._config,
                )
            return self._clients[key]

    def sts(self) -> STSClient:
        """The STS client in the session's region."""
        client: STSClient = self._client("sts", None)
        return client

    def iam(self) -> IAMClient:
        """The IAM client; IAM is global, so the session's region is used."""
        client: IAMClient = self._client("iam", None)
        return client

    def ec2(self, region: str | None = None) -> EC2Client:
        """The EC2 client of one region (the session's region when None)."""
        client: EC2Client = self._client("ec2", region)
        return client

    def s3(self, region: str | None = None) -> S3Client:
        """The S3 client of one region; bucket calls go to the bucket's own region."""
        client: S3Client = self._client("s3", region)
        return client

    def organizations(self) -> Any:
        """The Organizations client, for service control policies."""
        return self._client("organizations", None)

    def s3control(self) -> S3ControlClient:
        """The S3 Control client, for account-level settings."""
        client: S3ControlClient = self._client("s3control", None)
        return client

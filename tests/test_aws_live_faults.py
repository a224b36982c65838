"""The live AWS collector when parts of AWS fail: gaps instead of a failed scan, and retries.

Faults come from a small loopback proxy in front of moto that answers chosen requests with
an AWS error and forwards everything else.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from scanner.collectors.aws_live import collect_aws
from tests.conftest import moto_session

# Decides, from the request line, signing region and body, whether to fail it: returns the
# HTTP status and XML error body to answer with, or None to forward the request to moto.
Fault = Callable[[str, str, bytes], tuple[int, str] | None]

EC2_ERROR = (
    "<Response><Errors><Error><Code>{code}</Code><Message>injected</Message></Error></Errors>"
    "<RequestID>fault</RequestID></Response>"
)
QUERY_ERROR = (
    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message>"
    "</Error><RequestId>fault</RequestId></ErrorResponse>"
)


class FaultProxy(ThreadingHTTPServer):
    """A loopback HTTP proxy to moto that injects the faults `decide` asks for."""

    def __init__(self, upstream: str, decide: Fault) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlsplit(upstream).netloc
        self.decide = decide
        self.seen: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on `seen`, not on an access log."""

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorization = self.headers.get("Authorization", "")
        # SigV4 credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request
        region = authorization.split("/")[2] if authorization.count("/") >= 4 else ""
        with self.server.lock:
            self.server.seen.append(body.decode(errors="replace"))
            fault = self.server.decide(f"{self.command} {self.path}", region, body)

        if fault is None:
            status, headers, payload = self._forward(body)
        else:
            status, headers, payload = fault[0], [("Content-Type", "text/xml")], fault[1].encode()
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.server.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        connection.close()
        skip = {"content-length", "transfer-encoding", "connection", "server", "date"}
        return (
            answer.status,
            [(k, v) for k, v in answer.getheaders() if k.lower() not in skip],
            payload,
        )


@pytest.fixture
def start_proxy(moto_endpoint: str) -> Iterator[Callable[[Fault], FaultProxy]]:
    proxies: list[FaultProxy] = []

    def start(decide: Fault) -> FaultProxy:
        proxy = FaultProxy(moto_endpoint, decide)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


def closed_loopback_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_denied_region_becomes_a_gap_and_the_rest_is_collected(
    start_proxy: Callable[[Fault], FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    def deny_eu(line: str, region: str, body: bytes) -> tuple[int, str] | None:
        if region == "eu-west-1":
            return 403, EC2_ERROR.format(code="UnauthorizedOperation")
        return None

    proxy = start_proxy(deny_eu)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", proxy.url)

    snapshot = collect_aws(moto_session(), regions=["us-east-1", "eu-west-1"])

    assert [(g.service, g.region, g.code) for g in snapshot.gaps] == [
        ("ec2", "eu-west-1", "access-denied")
    ]
    assert {g.region for g in snapshot.network_groups} == {"us-east-1"}
    assert snapshot.policies


def test_denied_iam_call_becomes_an_iam_gap(
    start_proxy: Callable[[Fault], FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    def deny_authz(line: str, region: str, body: bytes) -> tuple[int, str] | None:
        if b"Action=GetAccountAuthorizationDetails" in body:
            return 403, QUERY_ERROR.format(code="AccessDenied")
        return None

    proxy = start_proxy(deny_authz)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", proxy.url)

    snapshot = collect_aws(moto_session(), regions=["us-east-1"])

    assert [(g.service, g.code) for g in snapshot.gaps] == [("iam", "access-denied")]
    assert snapshot.policies == () and snapshot.network_groups


def test_unreachable_service_becomes_a_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed_loopback_port()}")

    snapshot = collect_aws(moto_session(), regions=["us-east-1"], max_attempts=2)

    assert [(g.service, g.code) for g in snapshot.gaps] == [("s3", "unreachable")]
    assert "ListBuckets" in snapshot.gaps[0].error
    assert snapshot.network_groups and snapshot.policies


def test_throttled_calls_are_retried(
    start_proxy: Callable[[Fault], FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    throttled: list[str] = []

    def throttle_twice(line: str, region: str, body: bytes) -> tuple[int, str] | None:
        if b"Action=DescribeSecurityGroups" in body and len(throttled) < 2:
            throttled.append(line)
            return 503, EC2_ERROR.format(code="RequestLimitExceeded")
        return None

    proxy = start_proxy(throttle_twice)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", proxy.url)

    snapshot = collect_aws(moto_session(), regions=["us-east-1"])

    assert snapshot.gaps == ()
    assert snapshot.network_groups
    calls = [body for body in proxy.seen if "Action=DescribeSecurityGroups" in body]
    assert len(throttled) == 2 and len(calls) == 3

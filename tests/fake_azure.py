"""A local fake of Azure Resource Manager, Resource Graph and Microsoft Graph over HTTPS.

It serves the demo estate's exports in the documented response shapes (ARM `value`/`nextLink`
lists, Resource Graph `data`/`$skipToken` pages, Graph `value`/`@odata.nextLink` lists) on
127.0.0.1 with a certificate from a throwaway CA, and refuses requests without a bearer token.
It is also an Entra authority for the client credentials grant: the OpenID configuration
document MSAL reads (`/{tenant}/v2.0/.well-known/openid-configuration`) and the token endpoint
(`/{tenant}/oauth2/v2.0/token`), which hands out the bearer token for a known client secret.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import trustme
from azure.core.credentials import AccessToken

DEMO = Path(__file__).resolve().parents[1] / "scanner" / "demo" / "azure"
PAGE = 4
TABLES = {
    "resources": ("microsoft.network/networksecuritygroups", "microsoft.storage/storageaccounts"),
    "authorizationresources": (
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/roledefinitions",
    ),
    "resourcecontainers": ("microsoft.resources/subscriptions",),
}


class StaticToken:
    """An explicit TokenCredential for tests: never a managed-identity or metadata probe."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", 4_102_444_800)


@dataclass
class FakeAzure:
    """The estate the fake serves and what it was asked."""

    rows: list[dict[str, Any]]
    graph: dict[str, Any]
    failing_pim: set[str] = field(default_factory=set)
    # Application (client) ids and their secrets, for the token endpoint.
    clients: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    base: str = ""

    @classmethod
    def demo(cls) -> FakeAzure:
        rows = json.loads((DEMO / "resource-graph.json").read_text())["data"]
        graph = json.loads((DEMO / "microsoft-graph.json").read_text())
        return cls(rows=rows, graph=graph)

    def subscriptions(self) -> list[str]:
        return sorted({r["subscriptionId"] for r in self.rows if r.get("subscriptionId")})


def _handler(fake: FakeAzure) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == "Bearer fake-token":
                return True
            self._send(401, {"error": {"code": "InvalidAuthenticationToken", "message": "no"}})
            return False

        def do_POST(self) -> None:
            fake.requests.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if re.fullmatch(r"/[^/]+/oauth2/v2.0/token", urlparse(self.path).path):
                return self._token({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            if not self._authorized():
                return
            body = json.loads(raw)
            fake.queries.append(body)
            table = body["query"].split("|", 1)[0].strip()
            rows = [r for r in fake.rows if r["type"].lower() in TABLES[table]]
            start = int(body.get("options", {}).get("$skipToken") or 0)
            page = rows[start : start + PAGE]
            answer: dict[str, Any] = {
                "totalRecords": len(rows),
                "count": len(page),
                "resultTruncated": "false",
                "facets": [],
                "data": page,
            }
            if start + PAGE < len(rows):
                answer["$skipToken"] = str(start + PAGE)
            self._send(200, answer)

        def do_GET(self) -> None:
            fake.requests.append(f"GET {self.path}")
            url = urlparse(self.path)
            openid = re.fullmatch(r"/([^/]+)/v2.0/.well-known/openid-configuration", url.path)
            if openid:
                return self._openid(openid.group(1))
            if not self._authorized():
                return
            query = parse_qs(url.query)
            self._route(url.path, query)

        def _token(self, form: dict[str, str]) -> None:
            """The client credentials grant (Microsoft identity platform, OAuth 2.0)."""
            fake.token_requests.append(form)
            secret = fake.clients.get(form.get("client_id", ""))
            if form.get("grant_type") != "client_credentials" or secret is None:
                return self._send(400, {"error": "unauthorized_client"})
            if form.get("client_secret") != secret:
                return self._send(
                    401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
                )
            token = {"token_type": "Bearer", "expires_in": 3599, "access_token": "fake-token"}
            return self._send(200, token)

        def _openid(self, tenant: str) -> None:
            base = f"{fake.base}/{tenant}"
            return self._send(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                    "response_types_supported": ["code", "id_token", "token"],
                },
            )

        def _route(self, path: str, query: dict[str, list[str]]) -> None:
            if path == "/subscriptions":
                subs = [{"subscriptionId": s, "state": "Enabled"} for s in fake.subscriptions()]
                return self._send(200, {"value": subs})
            pim = re.fullmatch(
                r"/subscriptions/([^/]+)/providers/Microsoft.Authorization/(\w+)", path
            )
            if pim:
                return self._pim(pim.group(1), pim.group(2))
            return self._graph(path, query)

        def _pim(self, subscription: str, name: str) -> None:
            if subscription in fake.failing_pim:
                error = {"code": "AuthorizationFailed", "message": "cannot read PIM here"}
                return self._send(403, {"error": error})
            kind = f"microsoft.authorization/{name.lower()}"
            items = [r for r in fake.rows if r["type"].lower() == kind]
            return self._send(200, {"value": items})

        def _graph(self, path: str, query: dict[str, list[str]]) -> None:
            graph = fake.graph
            lists = {
                "/v1.0/applications": "applications",
                "/v1.0/servicePrincipals": "servicePrincipals",
                "/v1.0/roleManagement/directory/roleAssignments": "roleAssignments",
                "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances": (
                    "roleEligibilityScheduleInstances"
                ),
                "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances": (
                    "roleAssignmentScheduleInstances"
                ),
                "/v1.0/roleManagement/directory/roleDefinitions": "roleDefinitions",
            }
            if path == "/v1.0/organization":
                return self._send(200, {"value": [{"id": graph["tenantId"]}]})
            if path in lists:
                items = (graph.get(lists[path]) or {"value": []})["value"]
                return self._paged(path, items, int((query.get("page") or ["0"])[0]))
            group = re.fullmatch(r"/v1.0/groups/([^/]+)", path)
            if group:
                return self._group(group.group(1))
            match = re.fullmatch(r"/v1.0/(applications|groups)/([^/]+)/(\w+)", path)
            if match:
                key = {
                    "owners": "owners",
                    "federatedIdentityCredentials": "federatedIdentityCredentials",
                    "transitiveMembers": "groupMembers",
                }[match.group(3)]
                return self._send(200, {"value": graph.get(key, {}).get(match.group(2), [])})
            return self._send(404, {"error": {"code": "Request_ResourceNotFound", "message": path}})

        def _group(self, object_id: str) -> None:
            for group in (fake.graph.get("groups") or {"value": []})["value"]:
                if group["id"] == object_id:
                    return self._send(200, {"id": group["id"], "displayName": group["displayName"]})
            error = {"code": "Request_ResourceNotFound", "message": f"{object_id} does not exist"}
            return self._send(404, {"error": error})

        def _paged(self, path: str, items: list[Any], page: int) -> None:
            """Graph pages of two, linked by `@odata.nextLink` as Graph does."""
            answer: dict[str, Any] = {"value": items[page * 2 : page * 2 + 2]}
            if (page + 1) * 2 < len(items):
                answer["@odata.nextLink"] = f"{fake.base}{path}?page={page + 1}"
            self._send(200, answer)

    return Handler


@contextmanager
def fake_azure(fake: FakeAzure, tmp: Path) -> Iterator[tuple[str, str]]:
    """Serve `fake` over HTTPS on 127.0.0.1; yields (base URL, CA bundle path)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp / "fake-azure-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.base = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake.base, str(ca_file)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Variables azure-identity reads on its own; a test sets what it needs explicitly.
IDENTITY_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_REGIONAL_AUTHORITY_NAME",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "ZTDRIFT_AZURE_CREDENTIAL",
    "ZTDRIFT_AZURE_ARM_ENDPOINT",
    "ZTDRIFT_AZURE_GRAPH_ENDPOINT",
    "ZTDRIFT_AZURE_AUTHORITY",
    "ZTDRIFT_AZURE_CA_BUNDLE",
)


def loopback_only(monkeypatch: Any) -> list[Any]:
    """Clear azure-identity's variables and refuse any connection that is not to 127.0.0.1.

    Returns the addresses connected to, so a test can also prove where its requests went.
    """
    for name in IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    seen: list[Any] = []
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
            "127.0.0.1",
            "::1",
        ):
            raise OSError(f"test refused a connection to {address!r}")
        seen.append(address)
        connect(sock, address)

    resolve = socket.getaddrinfo

    def local_names(host: Any, *args: Any, **kwargs: Any) -> Any:
        # Looking up a public name would already leave the machine (DNS).
        if host not in ("127.0.0.1", "::1", "localhost", None):
            raise OSError(f"test refused to resolve {host!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", local_names)
    return seen

"""A loopback fake of the Cloud Asset API's REST `ListAssets`, in the documented JSON shape.

`GET /v1/{parent}/assets?contentType=...&assetTypes=...&pageSize=...&pageToken=...` answers
`{"assets": [...], "nextPageToken": "...", "readTime": "..."}` with camelCase asset keys.
Faults can be queued per content type: an HTTP status answered (with the API's error body)
before the real answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

STATUS = {403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
# The client library asks for numeric enums (`$alt=json;enum-encoding=int`); names work too.
CONTENT_TYPES = {"1": "RESOURCE", "2": "IAM_POLICY", "4": "ORG_POLICY"}


def camel(raw: dict[str, Any]) -> dict[str, Any]:
    """An export line (proto names at the top) in the API's camelCase form."""
    names = {
        "asset_type": "assetType",
        "iam_policy": "iamPolicy",
        "org_policy": "orgPolicy",
        "update_time": "updateTime",
    }
    out = {names.get(k, k): v for k, v in raw.items()}
    if "resource" in out:
        out["resource"] = {
            {
                "discovery_document_uri": "discoveryDocumentUri",
                "discovery_name": "discoveryName",
            }.get(k, k): v
            for k, v in out["resource"].items()
        }
    if "orgPolicy" in out:
        out["orgPolicy"] = [
            {("booleanPolicy" if k == "boolean_policy" else k): v for k, v in p.items()}
            for p in out["orgPolicy"]
        ]
    return out


@dataclass
class FakeAssets:
    """Assets by content type, a page size, queued faults and a log of requests."""

    assets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 3
    faults: dict[str, list[int]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        raw = query.get("contentType", ["0"])[0]
        content = CONTENT_TYPES.get(raw, raw)
        self.requests.append({"path": path, **query, "contentType": [content]})
        pending = self.faults.get(content) or []
        if pending:
            status = pending.pop(0)
            return status, {
                "error": {"code": status, "message": "fake fault", "status": STATUS[status]}
            }
        types = set(query.get("assetTypes", []))
        parent = path.removeprefix("/v1/").removesuffix("/assets")
        items = [
            a
            for a in self.assets.get(content, [])
            if (not types or a["assetType"] in types) and _under(a, parent)
        ]
        start = int(query.get("pageToken", ["0"])[0] or 0)
        page = items[start : start + self.page_size]
        body: dict[str, Any] = {"assets": page, "readTime": "2026-12-01T00:00:00Z"}
        if start + self.page_size < len(items):
            body["nextPageToken"] = str(start + self.page_size)
        return 200, body


def _under(asset: dict[str, Any], parent: str) -> bool:
    """Whether an asset lies within `parent`, as ListAssets filters by its parent scope.

    Assets without ancestors (older fixtures) are answered for every parent.
    """
    ancestors = asset.get("ancestors")
    return not ancestors or parent in ancestors


@contextmanager
def fake_cloud_asset(fake: FakeAssets) -> Iterator[str]:
    """Serve `fake` on a free port of 127.0.0.1; yields the endpoint URL; stops on exit."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            status, body = fake.answer(url.path, parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""A small in-memory GitHub REST API on 127.0.0.1 for PyGithub, recording every request.

It answers only what the bot calls, in the shapes GitHub documents: the repository, git refs,
blobs, trees and commits, pull requests (open, closed, merged), requested reviewers,
assignees, issue comments, repository labels and a GitHub App's installation token. Tests
can make it answer the next writes with a secondary rate limit (403 with Retry-After), or
fail a route, to prove the bot backs off and reports failures.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Handler = Callable[["FakeRepo", Request, "re.Match[str]"], tuple[int, Any]]


def _sha(kind: str, payload: str) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0{payload}".encode()).hexdigest()


def blob_sha(content: str) -> str:
    """Git's blob id, as GitHub reports it for a file's content."""
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


BOT_LOGIN = "ztdrift-bot"


@dataclass
class FakeRepo:
    """One repository: objects, refs and pull requests, all in memory."""

    owner: str
    name: str
    base_url: str
    default_branch: str = "main"
    blobs: dict[str, str] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    private: bool = True
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))

    @property
    def url(self) -> str:
        return f"{self.base_url}/repos/{self.owner}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def seed(self, files: dict[str, str]) -> str:
        """Create the default branch with one commit holding `files`."""
        tree = self.add_tree({p: self.add_blob(c) for p, c in files.items()})
        sha = self.add_commit("initial", tree, [])
        self.refs[f"refs/heads/{self.default_branch}"] = sha
        return sha

    def push(self, branch: str, files: dict[str, str], message: str = "change") -> str:
        """A person's commit on `branch` changing `files` (as a merge to the base would)."""
        parent = self.refs[f"refs/heads/{branch}"]
        entries = dict(self.trees[self.commits[parent]["tree"]])
        entries.update({p: self.add_blob(c) for p, c in files.items()})
        sha = self.add_commit(message, self.add_tree(entries), [parent])
        self.refs[f"refs/heads/{branch}"] = sha
        return sha

    def pull(self, number: int) -> dict[str, Any]:
        return next(pr for pr in self.pulls if pr["number"] == number)

    def close_by_person(self, number: int, *, merged: bool = False) -> None:
        """A person closes (or merges) a pull request now."""
        pr = self.pull(number)
        pr["state"] = "closed"
        pr["closed_at"] = self.now
        if merged:
            pr["merged_at"] = self.now
            self.push(pr["base"], self.files_at(pr["head"]), "Merge pull request")

    def files_at(self, branch: str) -> dict[str, str]:
        commit = self.commits[self.refs[f"refs/heads/{branch}"]]
        return {p: self.blobs[b] for p, b in self.trees[commit["tree"]].items()}

    def add_blob(self, content: str) -> str:
        sha = blob_sha(content)
        self.blobs[sha] = content
        return sha

    def add_tree(self, entries: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(entries, sort_keys=True))
        self.trees[sha] = dict(entries)
        return sha

    def add_commit(self, message: str, tree: str, parents: list[str]) -> str:
        doc = {"message": message, "tree": tree, "parents": parents}
        sha = _sha("commit", json.dumps(doc, sort_keys=True) + str(len(self.commits)))
        self.commits[sha] = doc
        return sha

    def file_at(self, branch: str, path: str) -> str | None:
        """A file's content at a branch head, for assertions."""
        commit = self.commits[self.refs[f"refs/heads/{branch}"]]
        blob = self.trees[commit["tree"]].get(path)
        return None if blob is None else self.blobs[blob]

    def repo_json(self) -> dict[str, Any]:
        return {
            "id": 1,
            "name": self.name,
            "full_name": self.full_name,
            "owner": {"login": self.owner, "id": 1, "type": "Organization"},
            "private": self.private,
            "default_branch": self.default_branch,
            "url": self.url,
            "html_url": f"https://github.example/{self.full_name}",
        }

    def ref_json(self, ref: str) -> dict[str, Any]:
        sha = self.refs[ref]
        return {
            "ref": ref,
            "node_id": ref,
            "url": f"{self.url}/git/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{self.url}/git/commits/{sha}"},
        }

    def commit_json(self, sha: str) -> dict[str, Any]:
        doc = self.commits[sha]
        return {
            "sha": sha,
            "url": f"{self.url}/git/commits/{sha}",
            "message": doc["message"],
            "tree": {"sha": doc["tree"], "url": f"{self.url}/git/trees/{doc['tree']}"},
            "parents": [{"sha": p, "url": f"{self.url}/git/commits/{p}"} for p in doc["parents"]],
        }

    def pull_json(self, pr: dict[str, Any]) -> dict[str, Any]:
        number = pr["number"]
        head_sha = self.refs.get(f"refs/heads/{pr['head']}", pr.get("head_sha", "0" * 40))
        closed, merged = pr.get("closed_at"), pr.get("merged_at")
        return {
            "id": number,
            "number": number,
            "state": pr["state"],
            "title": pr["title"],
            "body": pr["body"],
            "user": {"login": BOT_LOGIN, "id": 99, "type": "Bot"},
            "created_at": iso(pr["created_at"]),
            "updated_at": iso(pr["created_at"]),
            "closed_at": iso(closed) if closed else None,
            "merged_at": iso(merged) if merged else None,
            "merged": merged is not None,
            "assignees": [{"login": n, "id": 1, "type": "User"} for n in pr["assignees"]],
            "requested_reviewers": [{"login": n, "id": 1, "type": "User"} for n in pr["reviewers"]],
            "requested_teams": [{"slug": t, "name": t, "id": 1} for t in pr["teams"]],
            "url": f"{self.url}/pulls/{number}",
            "html_url": f"https://github.example/{self.full_name}/pull/{number}",
            "issue_url": f"{self.url}/issues/{number}",
            "labels": [{"name": n} for n in pr["labels"]],
            "head": {
                "ref": pr["head"],
                "sha": head_sha,
                "label": f"{self.owner}:{pr['head']}",
                "repo": self.repo_json(),
            },
            "base": {"ref": pr["base"], "sha": self.refs.get(f"refs/heads/{pr['base']}")},
        }


def _get_repo(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    return 200, repo.repo_json()


def _get_ref(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    ref = "refs/" + m.group("ref")
    if ref not in repo.refs:
        return 404, {"message": "Not Found"}
    return 200, repo.ref_json(ref)


def _create_ref(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    data = req.get_json()
    if data["ref"] in repo.refs:
        return 422, {"message": "Reference already exists"}
    if data["sha"] not in repo.commits:
        return 422, {"message": "Object does not exist"}
    repo.refs[data["ref"]] = data["sha"]
    return 201, repo.ref_json(data["ref"])


def _update_ref(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    ref = "refs/" + m.group("ref")
    data = req.get_json()
    if ref not in repo.refs:
        return 422, {"message": "Reference does not exist"}
    repo.refs[ref] = data["sha"]
    return 200, repo.ref_json(ref)


def _delete_ref(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    ref = "refs/" + m.group("ref")
    for pr in repo.pulls:
        if f"refs/heads/{pr['head']}" == ref:
            pr["head_sha"] = repo.refs.get(ref, "0" * 40)
    if repo.refs.pop(ref, None) is None:
        return 422, {"message": "Reference does not exist"}
    return 204, None


def _get_tree(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    sha = m.group("sha")
    if sha not in repo.trees:
        return 404, {"message": "Not Found"}
    listing = [
        {"path": p, "mode": "100644", "type": "blob", "sha": s, "url": f"{repo.url}/git/blobs/{s}"}
        for p, s in sorted(repo.trees[sha].items())
    ]
    return 200, {
        "sha": sha,
        "url": f"{repo.url}/git/trees/{sha}",
        "tree": listing,
        "truncated": False,
    }


def _create_blob(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    sha = repo.add_blob(req.get_json()["content"])
    return 201, {"sha": sha, "url": f"{repo.url}/git/blobs/{sha}"}


def _create_tree(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    data = req.get_json()
    entries = dict(repo.trees.get(data.get("base_tree") or "", {}))
    for item in data["tree"]:
        entries[item["path"]] = item["sha"]
    sha = repo.add_tree(entries)
    listing = [{"path": p, "mode": "100644", "type": "blob", "sha": s} for p, s in entries.items()]
    return 201, {"sha": sha, "url": f"{repo.url}/git/trees/{sha}", "tree": listing}


def _create_commit(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    data = req.get_json()
    sha = repo.add_commit(data["message"], data["tree"], list(data["parents"]))
    return 201, repo.commit_json(sha)


def _get_commit(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    sha = m.group("sha")
    if sha not in repo.commits:
        return 404, {"message": "Not Found"}
    return 200, repo.commit_json(sha)


def _list_pulls(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    state = req.args.get("state", "open")
    head = req.args.get("head")
    found = [
        repo.pull_json(pr)
        for pr in repo.pulls
        if state in ("all", pr["state"]) and (head is None or head == f"{repo.owner}:{pr['head']}")
    ]
    return 200, found


def _create_pull(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    data = req.get_json()
    if f"refs/heads/{data['head']}" not in repo.refs:
        return 422, {"message": "Validation Failed", "errors": [{"field": "head"}]}
    if any(pr["head"] == data["head"] and pr["state"] == "open" for pr in repo.pulls):
        return 422, {"message": f"A pull request already exists for {data['head']}."}
    pr = {
        "number": len(repo.pulls) + 1,
        "state": "open",
        "title": data["title"],
        "body": data.get("body") or "",
        "head": data["head"],
        "base": data["base"],
        "labels": [],
        "assignees": [],
        "reviewers": [],
        "teams": [],
        "created_at": repo.now,
    }
    repo.pulls.append(pr)
    return 201, repo.pull_json(pr)


def _pull(repo: FakeRepo, number: int) -> dict[str, Any] | None:
    return next((pr for pr in repo.pulls if pr["number"] == number), None)


def _get_pull(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    pr = _pull(repo, int(m.group("n")))
    return (404, {"message": "Not Found"}) if pr is None else (200, repo.pull_json(pr))


def _edit_pull(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    pr = _pull(repo, int(m.group("n")))
    if pr is None:
        return 404, {"message": "Not Found"}
    for name in ("title", "body", "state"):
        if name in req.get_json():
            pr[name] = req.get_json()[name]
    if req.get_json().get("state") == "closed":
        pr["closed_at"] = repo.now
    return 200, repo.pull_json(pr)


def _comment(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    number = int(m.group("n"))
    repo.comments.append((number, req.get_json()["body"]))
    cid = len(repo.comments)
    return 201, {
        "id": cid,
        "body": repo.comments[-1][1],
        "url": f"{repo.url}/issues/comments/{cid}",
    }


def _labels(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    pr = _pull(repo, int(m.group("n")))
    if pr is None:
        return 404, {"message": "Not Found"}
    data = req.get_json()
    names = data.get("labels", []) if isinstance(data, dict) else data
    # Like GitHub, adding a label to an issue creates a missing label with a default colour.
    for name in names:
        repo.labels.setdefault(name, {"name": name, "color": "ededed", "description": ""})
    pr["labels"] = sorted(set(pr["labels"]) | set(names))
    return 200, [{"name": n, "url": f"{repo.url}/labels/{n}"} for n in pr["labels"]]


def _list_labels(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    return 200, [dict(label, url=f"{repo.url}/labels/{n}") for n, label in repo.labels.items()]


def _create_label(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    data = req.get_json()
    if data["name"] in repo.labels:
        return 422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]}
    label = {"name": data["name"], "color": data["color"], "description": data.get("description")}
    repo.labels[data["name"]] = label
    return 201, dict(label, url=f"{repo.url}/labels/{data['name']}")


def _request_reviewers(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    pr = _pull(repo, int(m.group("n")))
    if pr is None:
        return 404, {"message": "Not Found"}
    data = req.get_json()
    if BOT_LOGIN in data.get("reviewers", []):
        return 422, {"message": "Review cannot be requested from pull request author."}
    pr["reviewers"] = sorted(set(pr["reviewers"]) | set(data.get("reviewers", [])))
    pr["teams"] = sorted(set(pr["teams"]) | set(data.get("team_reviewers", [])))
    return 201, repo.pull_json(pr)


def _assignees(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    pr = _pull(repo, int(m.group("n")))
    if pr is None:
        return 404, {"message": "Not Found"}
    pr["assignees"] = sorted(set(pr["assignees"]) | set(req.get_json().get("assignees", [])))
    return 201, repo.pull_json(pr)


def _installation(repo: FakeRepo, req: Request, m: re.Match[str]) -> tuple[int, Any]:
    if not req.headers.get("Authorization", "").startswith("Bearer "):
        return 401, {"message": "A JSON web token could not be decoded"}
    return 200, {
        "id": 4242,
        "app_id": 17,
        "account": {"login": repo.owner, "id": 1, "type": "Organization"},
        "access_tokens_url": f"{repo.base_url}/app/installations/4242/access_tokens",
        "repositories_url": f"{repo.base_url}/installation/repositories",
        "target_type": "Organization",
        "permissions": {"contents": "write", "pull_requests": "write"},
    }


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r""), _get_repo),
    ("GET", re.compile(r"/git/ref/(?P<ref>.+)"), _get_ref),
    ("POST", re.compile(r"/git/refs"), _create_ref),
    ("PATCH", re.compile(r"/git/refs/(?P<ref>.+)"), _update_ref),
    ("DELETE", re.compile(r"/git/refs/(?P<ref>.+)"), _delete_ref),
    ("POST", re.compile(r"/git/blobs"), _create_blob),
    ("POST", re.compile(r"/git/trees"), _create_tree),
    ("POST", re.compile(r"/git/commits"), _create_commit),
    ("GET", re.compile(r"/git/commits/(?P<sha>[0-9a-f]+)"), _get_commit),
    ("GET", re.compile(r"/git/trees/(?P<sha>[0-9a-f]+)"), _get_tree),
    ("GET", re.compile(r"/pulls"), _list_pulls),
    ("POST", re.compile(r"/pulls"), _create_pull),
    ("GET", re.compile(r"/pulls/(?P<n>\d+)"), _get_pull),
    ("PATCH", re.compile(r"/pulls/(?P<n>\d+)"), _edit_pull),
    ("POST", re.compile(r"/issues/(?P<n>\d+)/comments"), _comment),
    ("POST", re.compile(r"/issues/(?P<n>\d+)/labels"), _labels),
    ("POST", re.compile(r"/issues/(?P<n>\d+)/assignees"), _assignees),
    ("POST", re.compile(r"/pulls/(?P<n>\d+)/requested_reviewers"), _request_reviewers),
    ("GET", re.compile(r"/labels"), _list_labels),
    ("POST", re.compile(r"/labels"), _create_label),
    ("GET", re.compile(r"/installation"), _installation),
]

_REPO_PATH = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>.*)$")


class FakeGitHub:
    """The server: start it, add repositories, read `requests` to see what a client did."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[tuple[str, str]] = []
        self.auth_headers: list[str] = []
        # Answer this many of the next writes with GitHub's secondary rate limit.
        self.rate_limit_writes = 0
        self.retry_after = "1"
        # Routes (method, path suffix) that answer 500, to simulate a failing GitHub.
        self.failing: set[tuple[str, str]] = set()
        self.installation_tokens: list[str] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join()

    def add_repo(self, full_name: str, files: dict[str, str]) -> FakeRepo:
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, self.url)
        repo.seed(files)
        self.repos[full_name] = repo
        return repo

    def writes(self) -> list[tuple[str, str]]:
        """Every request that could change something."""
        return [r for r in self.requests if r[0] != "GET"]

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        headers: dict[str, str] = {}
        with self._lock:
            self.requests.append((request.method, request.path))
            self.auth_headers.append(request.headers.get("Authorization", ""))
            if request.method != "GET" and self.rate_limit_writes > 0:
                self.rate_limit_writes -= 1
                # GitHub's documented secondary rate limit answer.
                status, payload = (
                    403,
                    {
                        "message": "You have exceeded a secondary rate limit. Please wait a few "
                        "minutes before you try again.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
                    },
                )
                headers["Retry-After"] = self.retry_after
            elif any(request.method == m and request.path.endswith(p) for m, p in self.failing):
                status, payload = 500, {"message": "Server Error"}
            else:
                status, payload = self._dispatch(request)
        body = "" if payload is None else json.dumps(payload)
        response = Response(body, status=status, content_type="application/json", headers=headers)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> tuple[int, Any]:
        token = re.fullmatch(r"/app/installations/(\d+)/access_tokens", request.path)
        if token and request.method == "POST":
            return self._access_token(request)
        match = _REPO_PATH.match(request.path)
        repo = self.repos.get(f"{match['owner']}/{match['name']}") if match else None
        if match is None or repo is None:
            return 404, {"message": "Not Found"}
        for method, pattern, handler in ROUTES:
            route = pattern.fullmatch(match["rest"].rstrip("/"))
            if method == request.method and route is not None:
                return handler(repo, request, route)
        return 404, {"message": f"fake does not serve {request.method} {request.path}"}

    def _access_token(self, request: Request) -> tuple[int, Any]:
        """An installation token, only for a request signed as the App (a JWT)."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.count(".") != 2:
            return 401, {"message": "A JSON web token could not be decoded"}
        token = f"ghs_installation{len(self.installation_tokens):024d}"
        self.installation_tokens.append(token)
        return 201, {
            "token": token,
            "expires_at": "2099-01-01T00:00:00Z",
            "permissions": {"contents": "write", "pull_requests": "write"},
            "repository_selection": "selected",
        }

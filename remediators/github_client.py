"""A PyGithub client for the bot: a token or a GitHub App installation, paced for GitHub.

GitHub asks integrations to pause between writes and to back off when a response says so
(secondary rate limits: a 403 or 429 with Retry-After, or a rate-limit message). PyGithub's
GithubRetry does the backing off and its write pacing does the pausing; here they are set up
once so every call of the bot goes through them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import github
from github import Auth, GithubIntegration, GithubRetry

from scanner.errors import ZtdriftError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.github.com"


@dataclass(frozen=True)
class Pacing:
    """How the bot spaces its calls and how long it waits when GitHub pushes back."""

    seconds_between_writes: float = 1.0
    secondary_rate_wait: float = 60.0
    max_retries: int = 5


@dataclass(frozen=True)
class Credentials:
    """Either a token, or a GitHub App's id and private key (PEM text)."""

    token: str | None = None
    app_id: str | None = None
    private_key: str | None = None

    def __repr__(self) -> str:
        # Never show a secret in a log line or a traceback.
        kind = "token" if self.token else "app" if self.app_id else "none"
        return f"Credentials(kind={kind!r}, app_id={self.app_id!r})"


def credentials_from_env(env: dict[str, str] | None = None) -> Credentials:
    """A GitHub App when ZTDRIFT_APP_ID and a key are set, else GITHUB_TOKEN.

    The key comes from ZTDRIFT_APP_PRIVATE_KEY (PEM text) or ZTDRIFT_APP_PRIVATE_KEY_FILE.
    """
    env = dict(os.environ) if env is None else env
    app_id = env.get("ZTDRIFT_APP_ID")
    if app_id:
        key = env.get("ZTDRIFT_APP_PRIVATE_KEY")
        key_file = env.get("ZTDRIFT_APP_PRIVATE_KEY_FILE")
        if not key and key_file:
            try:
                key = Path(key_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ZtdriftError(f"cannot read the app key: {exc}", where=key_file) from None
        if not key:
            raise ZtdriftError(
                "ZTDRIFT_APP_ID is set but no private key",
                hint="set ZTDRIFT_APP_PRIVATE_KEY or ZTDRIFT_APP_PRIVATE_KEY_FILE",
            )
        return Credentials(app_id=app_id, private_key=key)
    token = env.get("GITHUB_TOKEN")
    if not token:
        raise ZtdriftError(
            "neither GITHUB_TOKEN nor a GitHub App (ZTDRIFT_APP_ID) is configured",
            hint="export a token with contents and pull-requests write permission",
        )
    return Credentials(token=token)


def _retry(pacing: Pacing) -> GithubRetry:
    # Writes are retried too: GitHub's rate-limit answers mean the write was not done. Server
    # errors are not retried, since a create that failed late may have happened; the next
    # run finds such a pull request by its branch.
    return GithubRetry(
        total=pacing.max_retries,
        secondary_rate_wait=pacing.secondary_rate_wait,
        status_forcelist=[429],
        allowed_methods=None,
        backoff_factor=0,
    )


def connect(credentials: Credentials, repo: str, api_url: str, pacing: Pacing) -> github.Github:
    """A client for `repo`; for an App, authenticated as its installation on that repository."""
    options = {
        "base_url": api_url,
        "retry": _retry(pacing),
        "seconds_between_requests": min(0.25, pacing.seconds_between_writes),
        "seconds_between_writes": pacing.seconds_between_writes,
    }
    if credentials.token:
        token = Auth.Token(credentials.token)
        return github.Github(auth=token, **options)  # type: ignore[arg-type]
    if not (credentials.app_id and credentials.private_key):
        raise ZtdriftError("no GitHub credentials")

    app = Auth.AppAuth(credentials.app_id, credentials.private_key)
    integration = GithubIntegration(auth=app, **options)  # type: ignore[arg-type]
    owner, name = repo.split("/", 1)
    installation = integration.get_repo_installation(owner, name)
    log.info("authenticated as GitHub App %s, installation %d", app.app_id, installation.id)
    return integration.get_github_for_installation(installation.id)

"""The client-secret sign-in of CI pipelines: azure-identity against a local Entra authority.

The real ClientSecretCredential (and EnvironmentCredential, which builds one from
AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET) asks the fake authority on
127.0.0.1 for its OpenID configuration and a token over HTTPS; the token then opens the fake
Resource Manager and Graph. Connections anywhere but loopback are refused, so neither instance
discovery nor a managed-identity probe can happen unnoticed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from scanner.collectors.azure_entry import collect_with, make_credential, resolve
from scanner.config import AzureSettings
from tests.fake_azure import FakeAzure, fake_azure, loopback_only

TENANT = "0b8d7d3e-5f7c-4c8a-9a3e-2f1d6c4b7a90"
CLIENT = "5e0c1a7b-9d2f-4e3a-8b6c-7f1e2d3c4b5a"
SECRET = "not-a-real-secret~0123456789"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    loopback_only(monkeypatch)
    fake = FakeAzure.demo()
    fake.clients = {CLIENT: SECRET}
    return fake


def _credential(base: str, ca: str, secret: str = SECRET) -> ClientSecretCredential:
    return ClientSecretCredential(
        TENANT,
        CLIENT,
        secret,
        authority=base,
        disable_instance_discovery=True,
        connection_verify=ca,
    )


def test_client_secret_credential_gets_a_token_from_the_authority(
    fake: FakeAzure, tmp_path: Path
) -> None:
    with fake_azure(fake, tmp_path) as (base, ca):
        token = _credential(base, ca).get_token(base + "/.default")

    assert token.token == "fake-token"
    assert token.expires_on > 0
    assert f"GET /{TENANT}/v2.0/.well-known/openid-configuration" in fake.requests
    [form] = fake.token_requests
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == CLIENT
    assert form["scope"] == base + "/.default"
    assert not [r for r in fake.requests if "discovery/instance" in r]


def test_a_wrong_secret_is_an_authentication_error(fake: FakeAzure, tmp_path: Path) -> None:
    with fake_azure(fake, tmp_path) as (base, ca), pytest.raises(ClientAuthenticationError):
        _credential(base, ca, secret="wrong").get_token(base + "/.default")


def _settings(base: str, ca: str, **extra: Any) -> AzureSettings:
    return AzureSettings(
        credential="environment",
        resource_manager=base,
        graph=base,
        authority=base,
        ca_bundle=Path(ca),
        **extra,
    )


def test_environment_credential_collects_through_the_configured_authority(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)

    with fake_azure(fake, tmp_path) as (base, ca):
        connection = resolve(_settings(base, ca), {})
        snapshot = collect_with(connection, make_credential(connection), None)

    assert not snapshot.gaps
    assert snapshot.network_groups and snapshot.credentials
    # One token per resource (Resource Manager and Graph share the fake's address here).
    assert {f["scope"] for f in fake.token_requests} == {base + "/.default"}
    assert not [r for r in fake.requests if "discovery/instance" in r]


def test_a_rejected_secret_leaves_gaps_not_a_crash(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")

    with fake_azure(fake, tmp_path) as (base, ca):
        connection = resolve(_settings(base, ca), {})
        snapshot = collect_with(connection, make_credential(connection), None)

    assert {g.code for g in snapshot.gaps} == {"Unauthenticated"}
    assert not snapshot.network_groups

"""The `azure:` section of ztdrift.yaml: flags win over it, the environment is the fallback.

Live scans run the real command line, the real azure-identity EnvironmentCredential and the
real collector against the local HTTPS fake; only loopback connections are allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner import config
from scanner.cli import main
from scanner.collectors.azure_entry import credential_options, resolve
from scanner.config import AzureSettings
from scanner.errors import InputError, ZtdriftError
from tests.fake_azure import DEMO, FakeAzure, fake_azure, loopback_only

TENANT = "0b8d7d3e-5f7c-4c8a-9a3e-2f1d6c4b7a90"
CLIENT = "5e0c1a7b-9d2f-4e3a-8b6c-7f1e2d3c4b5a"
SECRET = "not-a-real-secret~0123456789"


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_azure_section_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "ztdrift.yaml",
        "azure:\n  scope: mg-platform\n  credential: workload-identity\n"
        "  resource_manager: https://management.usgovcloudapi.net\n"
        "  graph: https://graph.microsoft.us\n  authority: login.microsoftonline.us\n"
        "  ca_bundle: certs/ca.pem\n  max_secret_age_days: 30\n",
    )
    settings = config.load(file).azure

    assert settings.scope == "mg-platform"
    assert settings.credential == "workload-identity"
    assert settings.ca_bundle == tmp_path / "certs" / "ca.pem"
    assert settings.max_secret_age_days == 30
    assert config.load(None).azure == AzureSettings()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("azure:\n  credential: managed-identity\n", "azure.credential"),
        ("azure:\n  endpoint: https://x\n", "azure.endpoint"),
        ("azure:\n  max_secret_age_days: 0\n", "azure.max_secret_age_days"),
    ],
)
def test_a_bad_azure_setting_names_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    file = _write(tmp_path / "ztdrift.yaml", text)
    with pytest.raises(InputError) as error:
        config.load(file)

    assert key in str(error.value) and str(file) in str(error.value)


def test_the_file_wins_over_the_environment_which_wins_over_defaults() -> None:
    environ = {
        "ZTDRIFT_AZURE_CREDENTIAL": "cli",
        "ZTDRIFT_AZURE_ARM_ENDPOINT": "https://arm.env.example",
        "ZTDRIFT_AZURE_GRAPH_ENDPOINT": "https://graph.env.example",
        "ZTDRIFT_AZURE_AUTHORITY": "https://login.env.example",
        "ZTDRIFT_AZURE_CA_BUNDLE": "/env/ca.pem",
    }
    from_file = resolve(
        AzureSettings(credential="environment", resource_manager="https://arm.file"), environ
    )
    from_env = resolve(AzureSettings(), environ)
    defaults = resolve(AzureSettings(), {})

    assert (from_file.credential, from_file.endpoints.arm) == ("environment", "https://arm.file")
    assert from_file.endpoints.graph == "https://graph.env.example"
    assert (from_env.credential, from_env.authority, from_env.verify) == (
        "cli",
        "https://login.env.example",
        "/env/ca.pem",
    )
    assert defaults.endpoints.arm == "https://management.azure.com"
    assert (defaults.credential, defaults.authority, defaults.verify) == ("default", None, True)


def test_an_unknown_credential_in_the_environment_is_a_clear_error() -> None:
    with pytest.raises(ZtdriftError, match="ZTDRIFT_AZURE_CREDENTIAL 'msi'"):
        resolve(AzureSettings(), {"ZTDRIFT_AZURE_CREDENTIAL": "msi"})


def test_only_an_unknown_authority_skips_instance_discovery() -> None:
    private = credential_options(
        resolve(AzureSettings(authority="https://adfs.stack.local", ca_bundle=Path("/ca")), {})
    )
    sovereign = credential_options(resolve(AzureSettings(authority="login.chinacloudapi.cn"), {}))

    assert private == {
        "authority": "https://adfs.stack.local",
        "disable_instance_discovery": True,
        "connection_verify": "/ca",
    }
    assert sovereign == {"authority": "login.chinacloudapi.cn"}


def _client_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)


def _fake() -> FakeAzure:
    fake = FakeAzure.demo()
    fake.clients = {CLIENT: SECRET}
    return fake


def _azure_section(base: str, ca: str, credential: str, scope: str) -> str:
    return (
        f"azure:\n  scope: {scope}\n  credential: {credential}\n  resource_manager: {base}\n"
        f"  graph: {base}\n  authority: {base}\n  ca_bundle: {ca}\n"
    )


def _scan(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "out"
    code = main(["scan", *args, "--out", str(out), "--no-state"])
    assert code in (0, 1)
    report: dict[str, Any] = json.loads((out / "findings.json").read_text())
    return report


def test_live_scan_reads_the_file_and_flags_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client_secret_env(monkeypatch)
    fake = _fake()
    with fake_azure(fake, tmp_path) as (base, ca):
        # The file names the CLI credential and one management group; the flags override both.
        file = _write(tmp_path / "ztdrift.yaml", _azure_section(base, ca, "cli", "mg-file"))
        flags = ["--azure-credential", "environment", "--azure-scope", "mg-flag"]
        report = _scan(tmp_path, "--provider", "azure", "--config", str(file), *flags)

    assert fake.token_requests  # the environment credential signed in at the fake authority
    assert {tuple(q["managementGroups"]) for q in fake.queries} == {("mg-flag",)}
    assert {f["rule"].split("/")[0] for f in report["findings"]} >= {"standing-admin"}


def test_live_scan_uses_the_file_scope_without_a_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client_secret_env(monkeypatch)
    fake = _fake()
    with fake_azure(fake, tmp_path) as (base, ca):
        file = _write(tmp_path / "ztdrift.yaml", _azure_section(base, ca, "environment", "mg-1"))
        _scan(tmp_path, "--provider", "azure", "--config", str(file))

    assert {tuple(q["managementGroups"]) for q in fake.queries} == {("mg-1",)}


def test_live_scan_falls_back_to_the_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client_secret_env(monkeypatch)
    fake = _fake()
    with fake_azure(fake, tmp_path) as (base, ca):
        for name, value in {
            "ZTDRIFT_AZURE_CREDENTIAL": "environment",
            "ZTDRIFT_AZURE_ARM_ENDPOINT": base,
            "ZTDRIFT_AZURE_GRAPH_ENDPOINT": base,
            "ZTDRIFT_AZURE_AUTHORITY": base,
            "ZTDRIFT_AZURE_CA_BUNDLE": ca,
        }.items():
            monkeypatch.setenv(name, value)
        file = _write(tmp_path / "ztdrift.yaml", "fail_on: critical\n")
        report = _scan(tmp_path, "--provider", "azure", "--config", str(file))

    assert fake.token_requests
    assert all("subscriptions" in q for q in fake.queries)
    assert not report["gaps"]


def _secret_findings(tmp_path: Path, yaml: str, *flags: str) -> list[str]:
    file = _write(tmp_path / "ztdrift.yaml", yaml)
    report = _scan(
        tmp_path,
        "--import",
        f"azure-graph={DEMO / 'microsoft-graph.json'}",
        "--config",
        str(file),
        *flags,
    )
    return [
        f["resource"] for f in report["findings"] if f["rule"] == "long-lived-key/client-secret"
    ]


def test_max_secret_age_days_is_read_by_the_rule_and_the_flag_wins(tmp_path: Path) -> None:
    default = _secret_findings(tmp_path, "fail_on: critical\n")
    lenient = _secret_findings(tmp_path, "azure:\n  max_secret_age_days: 100000\n")
    flag = _secret_findings(
        tmp_path, "azure:\n  max_secret_age_days: 100000\n", "--max-key-age", "1"
    )
    general = _secret_findings(tmp_path, "max_key_age_days: 100000\n")

    assert default and not lenient and not general
    assert set(flag) >= set(default)

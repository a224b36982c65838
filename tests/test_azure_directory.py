"""Entra directory roles by their permissions, and group names, read live from Graph.

The fake serves `roleManagement/directory/roleDefinitions` in Graph's documented shape
(`rolePermissions` of `allowedResourceActions`, optional `condition`), and group objects;
the real collector reads them and the rules judge roles by what they allow, never by name.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rules import RuleSettings
from scanner.analysis import analyze
from scanner.collectors.azure_export import read_azure_graph
from scanner.collectors.azure_live import AzureCollector, AzureEndpoints, make_client
from scanner.findings import Finding
from scanner.markdown import escape_markdown
from scanner.model import Snapshot
from scanner.pipeline import RunOptions, run
from tests.builders import NOW
from tests.fake_azure import FakeAzure, StaticToken, fake_azure, loopback_only

PAA = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"  # Privileged Authentication Administrator
CUSTOM_ADMIN = "c0ffee00-1111-4222-8333-444455556666"
OWNED_ONLY = "c0ffee00-1111-4222-8333-777788889999"
READER = "c0ffee00-1111-4222-8333-aaaabbbbcccc"
USERS = {
    PAA: "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c21",
    CUSTOM_ADMIN: "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c22",
    OWNED_ONLY: "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c23",
    READER: "1a0c6b2e-3d4f-4a5b-8c9d-0e1f2a3b4c24",
}
GROUP = "2b1d7c3f-4e5a-4b6c-9d0e-1f2a3b4c5d01"  # holds User Access Administrator in the demo
GROUP_NAME = "Platform *ops* | <admins>"


def _definition(role: str, name: str, *blocks: dict[str, Any], builtin: bool) -> dict[str, Any]:
    return {
        "id": role,
        "templateId": role,
        "displayName": name,
        "isBuiltIn": builtin,
        "isEnabled": True,
        "rolePermissions": list(blocks),
    }


def _block(*actions: str, condition: str | None = None) -> dict[str, Any]:
    return {"allowedResourceActions": list(actions), "condition": condition}


DEFINITIONS = [
    _definition(
        PAA,
        "Privileged Authentication Administrator",
        _block(
            "microsoft.directory/users/authenticationMethods/create",
            "microsoft.directory/users/authenticationMethods/delete",
            "microsoft.directory/users/authenticationMethods/standard/read",
            "microsoft.directory/users/password/update",
            "microsoft.directory/users/invalidateAllRefreshTokens",
        ),
        builtin=True,
    ),
    _definition(
        CUSTOM_ADMIN,
        "App Secrets Operator",
        _block("microsoft.directory/applications/credentials/update"),
        builtin=False,
    ),
    # Built-in roles grant credential updates only on owned objects through a condition.
    _definition(
        OWNED_ONLY,
        "Owned Apps Operator",
        _block("microsoft.directory/applications/basic/update"),
        _block("microsoft.directory/applications/credentials/update", condition="$SubjectIsOwner"),
        builtin=False,
    ),
    _definition(
        READER,
        "Application Administrator",  # named like a powerful role, allows only reads
        _block("microsoft.directory/applications/standard/read"),
        builtin=False,
    ),
]


def _assignment(role: str) -> dict[str, Any]:
    user = USERS[role]
    return {
        "id": f"assignment-{role}",
        "principalId": user,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "principal": {"@odata.type": "#microsoft.graph.user", "id": user, "displayName": user},
    }


def _estate(with_groups: bool = True) -> FakeAzure:
    fake = FakeAzure.demo()
    graph = copy.deepcopy(fake.graph)
    graph["roleDefinitions"] = {"value": DEFINITIONS}
    graph["roleAssignments"]["value"] += [_assignment(role) for role in USERS]
    if with_groups:
        graph["groups"] = {"value": [{"id": GROUP, "displayName": GROUP_NAME}]}
    fake.graph = graph
    return fake


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback_only(monkeypatch)


def _collect(fake: FakeAzure, tmp_path: Path) -> Snapshot:
    with fake_azure(fake, tmp_path) as (base, ca):
        scope = AzureEndpoints(arm=base, graph=base).scope(base)
        client = make_client(base, StaticToken(), scope, ca)
        return AzureCollector(client, client).collect(NOW)


def _findings(snapshot: Snapshot) -> list[Finding]:
    return analyze(snapshot, now=NOW, settings=RuleSettings())


def _admins(findings: list[Finding]) -> dict[str, Finding]:
    return {f.principal or "": f for f in findings if f.rule == "standing-admin/direct"}


def test_live_directory_roles_are_judged_by_their_permissions(tmp_path: Path) -> None:
    fake = _estate()
    admins = _admins(_findings(_collect(fake, tmp_path)))

    assert any("roleManagement/directory/roleDefinitions" in r for r in fake.requests)
    assert "Privileged Authentication Administrator" in admins[USERS[PAA]].title
    assert "App Secrets Operator" in admins[USERS[CUSTOM_ADMIN]].title
    assert admins[USERS[PAA]].evidence["assignments"][0]["power"] == "admin"
    # Owner-conditioned credential rights and a powerful-sounding name give no power.
    assert USERS[OWNED_ONLY] not in admins
    assert USERS[READER] not in admins


def test_without_role_definitions_unknown_roles_are_not_reported(tmp_path: Path) -> None:
    fake = _estate()
    del fake.graph["roleDefinitions"]
    admins = _admins(_findings(_collect(fake, tmp_path)))

    assert USERS[PAA] not in admins and USERS[CUSTOM_ADMIN] not in admins


def test_an_export_of_the_same_responses_finds_the_same_directory_admins(
    tmp_path: Path,
) -> None:
    fake = _estate()
    live = _admins(_findings(_collect(fake, tmp_path)))
    export = tmp_path / "graph.json"
    export.write_text(json.dumps(fake.graph))
    exported = _admins(_findings(read_azure_graph(export, NOW)))

    directory = {p for p, f in live.items() if f.evidence["assignments"][0]["directory"]}
    assert directory == set(exported)


def test_groups_holding_privileged_roles_are_named_in_findings(tmp_path: Path) -> None:
    fake = _estate()
    findings = _findings(_collect(fake, tmp_path))

    assert f"GET /v1.0/groups/{GROUP}?$select=id,displayName" in fake.requests
    group = _admins(findings)[GROUP]
    assert group.title.startswith(GROUP_NAME + " holds User Access Administrator")
    members = [f for f in findings if f.rule == "standing-admin/group"]
    assert members and all(f"through group {GROUP_NAME}" in f.title for f in members)
    assert all(f.evidence["holder_name"] == GROUP_NAME for f in members)


def test_group_names_are_escaped_in_the_markdown_summary(tmp_path: Path) -> None:
    snapshot = _collect(_estate(), tmp_path)
    out = tmp_path / "out"
    options = RunOptions(out, NOW, waiver_file=tmp_path / "none.yaml", save_state=False)
    run(snapshot, options)
    summary = (out / "summary.md").read_text()

    assert escape_markdown(GROUP_NAME) in summary
    assert GROUP_NAME not in summary


def test_an_unreadable_group_name_keeps_the_object_id_without_a_gap(tmp_path: Path) -> None:
    snapshot = _collect(_estate(with_groups=False), tmp_path)
    group = _admins(_findings(snapshot))[GROUP]

    assert not snapshot.gaps
    assert group.title.startswith(GROUP + " holds")

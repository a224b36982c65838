"""Live Azure collection: Resource Graph, the ARM PIM API and Microsoft Graph, with gaps.

Fetch only: every response goes through the same transforms as exports
(`scanner.azure.arg_records`, `scanner.azure.graph_records`), so a live scan and a scan of
the same data exported give the same snapshot. Endpoints are parameters, for sovereign
clouds, Azure Stack Hub and local fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from scanner.azure.arg_records import ASSIGNMENT, parse_rows
from scanner.azure.graph_records import parse_bundle
from scanner.collectors.azure_export import arg_snapshot, graph_snapshot
from scanner.merge import merge
from scanner.model import Gap, Scope, Snapshot
from scanner.shard import Shard

log = logging.getLogger(__name__)

ARG_API = "2022-10-01"
SUBSCRIPTIONS_API = "2022-12-01"
PIM_API = "2020-10-01"
# Resource Graph accepts at most 1,000 subscriptions per request.
ARG_BATCH = 1000
QUERIES = (
    "resources | where type in~ ('microsoft.network/networksecuritygroups',"
    " 'microsoft.storage/storageaccounts')"
    " | project id, name, type, location, subscriptionId, tenantId, tags, properties",
    "authorizationresources | where type in~ ('microsoft.authorization/roleassignments',"
    " 'microsoft.authorization/roledefinitions')"
    " | project id, name, type, tenantId, properties",
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'"
    " | project id, name, type, subscriptionId, tenantId, properties",
)
GROUP_ASSIGNMENTS = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments'"
    " and properties.principalType =~ 'Group' | project id, name, type, properties"
)
PIM_LISTS = ("roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances")
GRAPH_LISTS = {
    "applications": "/v1.0/applications?$select=id,appId,displayName,createdDateTime,"
    "passwordCredentials,keyCredentials",
    "servicePrincipals": "/v1.0/servicePrincipals?$select=id,appId,displayName,"
    "passwordCredentials,keyCredentials",
    "roleAssignments": "/v1.0/roleManagement/directory/roleAssignments?$expand=principal",
    # Built-in and custom definitions, evaluated by their permissions rather than by name.
    "roleDefinitions": "/v1.0/roleManagement/directory/roleDefinitions?$select=id,templateId,"
    "displayName,isBuiltIn,rolePermissions",
    "roleEligibilityScheduleInstances": "/v1.0/roleManagement/directory/"
    "roleEligibilityScheduleInstances",
    "roleAssignmentScheduleInstances": "/v1.0/roleManagement/directory/"
    "roleAssignmentScheduleInstances",
}


@dataclass(frozen=True)
class AzureEndpoints:
    """Where Azure Resource Manager and Microsoft Graph answer (public cloud by default)."""

    arm: str = "https://management.azure.com"
    graph: str = "https://graph.microsoft.com"

    def scope(self, base: str) -> str:
        return base.rstrip("/") + "/.default"


def make_client(
    base_url: str, credential: TokenCredential, scope: str, verify: str | bool = True
) -> PipelineClient[HttpRequest, Any]:
    """An azure-core pipeline with bearer tokens and retries of throttled calls.

    azure-core refuses to send a bearer token over plain HTTP, so endpoints must be HTTPS;
    `verify` names a CA bundle for private clouds and test fakes.
    """
    policies = [
        HeadersPolicy(),
        UserAgentPolicy(user_agent="ztdrift"),
        RetryPolicy(retry_total=4, retry_backoff_factor=0.5),
        BearerTokenCredentialPolicy(credential, scope),
    ]
    return PipelineClient(
        base_url, policies=policies, transport=RequestsTransport(connection_verify=verify)
    )


def _json(client: PipelineClient[HttpRequest, Any], request: HttpRequest) -> dict[str, Any]:
    response = client.send_request(request)
    response.raise_for_status()
    body = response.json()
    return body if isinstance(body, dict) else {}


def classify(error: AzureError) -> tuple[str, str]:
    """One place that names an Azure failure: a short code and a message for the gap."""
    if isinstance(error, ClientAuthenticationError):
        return "Unauthenticated", str(error.message)
    if isinstance(error, HttpResponseError):
        code = error.error.code if error.error is not None and error.error.code else None
        status = error.status_code or 0
        named = {401: "Unauthorized", 403: "AuthorizationFailed", 404: "NotFound", 429: "Throttled"}
        return code or named.get(status, f"HTTP{status}"), str(error.message).splitlines()[0]
    return type(error).__name__, str(error.message)


class AzureCollector:
    """Reads one tenant's subscriptions (or one management group) through two clients."""

    def __init__(
        self,
        arm: PipelineClient[HttpRequest, Any],
        graph: PipelineClient[HttpRequest, Any],
        management_group: str | None = None,
        shard: Shard | None = None,
    ) -> None:
        self.arm = arm
        self.graph = graph
        self.management_group = management_group
        # A shard collects its share of the subscriptions; the tenant (Graph) only in shard 1,
        # so merged shards hold it once.
        self.shard = shard
        self.gaps: list[Gap] = []

    def collect(self, taken_at: datetime) -> Snapshot:
        """Collect everything; a failing part becomes a collection gap, the rest goes on."""
        visible = self._subscriptions()
        subscriptions = visible
        if self.shard is not None:
            subscriptions = [s for s in visible if self.shard.holds(s)]
        rows = self._resource_graph(subscriptions)
        parts = [arg_snapshot(parse_rows(rows, "resource graph"), taken_at)]
        tenant = self._tenant() if self.shard is None or self.shard.index == 1 else None
        groups = _privileged_groups(rows)
        if self.shard is not None and tenant is not None:
            # The tenant's shard expands the groups assigned roles in every subscription, so
            # members of a group assigned in another shard's subscription are still known.
            groups = sorted({*groups, *self._assigned_groups(visible)})
        bundle = self._graph_bundle(tenant, groups)
        if bundle is not None:
            parts.append(
                graph_snapshot(parse_bundle(bundle, "microsoft graph", taken_at), taken_at)
            )
        scopes = tuple(Scope(provider="azure", account=s) for s in subscriptions)
        if tenant:
            scopes += (Scope(provider="azure", account=tenant),)
        parts.append(Snapshot(taken_at=taken_at, scopes=scopes, gaps=tuple(self.gaps)))
        return merge(parts, taken_at=taken_at)

    def _gap(self, account: str, service: str, error: AzureError) -> None:
        code, message = classify(error)
        log.warning("azure %s %s: %s (%s)", account, service, message, code)
        self.gaps.append(
            Gap(provider="azure", account=account, service=service, error=message, code=code)
        )

    def _pages(
        self, client: PipelineClient[HttpRequest, Any], url: str, params: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        """Items of an ARM (`nextLink`) or Graph (`@odata.nextLink`) list, page by page."""
        request: HttpRequest | None = HttpRequest("GET", client.format_url(url), params=params)
        while request is not None:
            body = _json(client, request)
            yield from (v for v in body.get("value") or [] if isinstance(v, dict))
            link = body.get("nextLink") or body.get("@odata.nextLink")
            request = HttpRequest("GET", str(link)) if link else None

    def _subscriptions(self) -> list[str]:
        try:
            items = self._pages(self.arm, "/subscriptions", {"api-version": SUBSCRIPTIONS_API})
            found = sorted(str(s.get("subscriptionId", "")).lower() for s in items)
        except AzureError as error:
            self._gap("tenant", "*", error)
            return []
        log.info("azure: %d subscriptions visible", len(found))
        return [s for s in found if s]

    def _resource_graph(self, subscriptions: list[str]) -> list[Any]:
        rows: list[Any] = []
        targets: list[dict[str, list[str]]]
        if self.management_group:
            targets = [{"managementGroups": [self.management_group]}]
        else:
            batches = range(0, len(subscriptions), ARG_BATCH)
            targets = [{"subscriptions": subscriptions[i : i + ARG_BATCH]} for i in batches]
        for target in targets:
            for query in QUERIES:
                try:
                    rows.extend(self._query(target, query))
                except AzureError as error:
                    for account in target.get("subscriptions") or target["managementGroups"]:
                        self._gap(account, "*", error)
        for subscription in subscriptions:
            rows.extend(self._pim(subscription))
        return rows

    def _assigned_groups(self, subscriptions: list[str]) -> list[str]:
        """Groups holding a role assignment in any of the subscriptions (one small query)."""
        rows: list[Any] = []
        for start in range(0, len(subscriptions), ARG_BATCH):
            target = {"subscriptions": subscriptions[start : start + ARG_BATCH]}
            try:
                rows.extend(self._query(target, GROUP_ASSIGNMENTS))
            except AzureError as error:
                for account in target["subscriptions"]:
                    self._gap(account, "*", error)
        return _privileged_groups(rows)

    def _query(self, target: dict[str, list[str]], query: str) -> Iterator[Any]:
        """One Resource Graph query, following `$skipToken` until the last page."""
        token: str | None = None
        while True:
            options: dict[str, Any] = {"resultFormat": "objectArray"}
            if token:
                options["$skipToken"] = token
            request = HttpRequest(
                "POST",
                self.arm.format_url("/providers/Microsoft.ResourceGraph/resources"),
                params={"api-version": ARG_API},
                json={**target, "query": query, "options": options},
            )
            body = _json(self.arm, request)
            yield from body.get("data") or []
            token = body.get("$skipToken")
            if not token:
                return

    def _pim(self, subscription: str) -> list[dict[str, Any]]:
        """PIM schedule instances at a subscription and below; unreadable PIM is a gap."""
        rows: list[dict[str, Any]] = []
        for name in PIM_LISTS:
            url = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/{name}"
            params = {"api-version": PIM_API, "$filter": "atScope()"}
            try:
                for item in self._pages(self.arm, url, params):
                    item.setdefault("type", f"Microsoft.Authorization/{name}")
                    rows.append(item)
            except AzureError as error:
                self._gap(subscription, "pim", error)
                break
        return rows

    def _tenant(self) -> str | None:
        try:
            body = _json(
                self.graph, HttpRequest("GET", self.graph.format_url("/v1.0/organization"))
            )
        except AzureError as error:
            self._gap("tenant", "graph", error)
            return None
        orgs = body.get("value") or [{}]
        return str(orgs[0].get("id") or "").lower() or None

    def _graph_bundle(self, tenant: str | None, groups: list[str]) -> dict[str, Any] | None:
        if tenant is None:
            return None
        bundle: dict[str, Any] = {
            "tenantId": tenant,
            "owners": {},
            "federatedIdentityCredentials": {},
        }
        try:
            for key, path in GRAPH_LISTS.items():
                bundle[key] = list(self._pages(self.graph, path, {}))
            for app in bundle["applications"]:
                base = f"/v1.0/applications/{app['id']}"
                bundle["owners"][app["id"]] = list(self._pages(self.graph, base + "/owners", {}))
                fics = list(self._pages(self.graph, base + "/federatedIdentityCredentials", {}))
                bundle["federatedIdentityCredentials"][app["id"]] = fics
            groups = sorted({*groups, *_directory_groups(bundle["roleAssignments"])})
            bundle["groupMembers"] = {
                g: list(self._pages(self.graph, f"/v1.0/groups/{g}/transitiveMembers", {}))
                for g in groups
            }
        except AzureError as error:
            self._gap(tenant, "graph", error)
            return None
        named = (self._group(group) for group in groups)
        bundle["groups"] = [g for g in named if g and g.get("id")]
        return bundle

    def _group(self, group: str) -> dict[str, Any] | None:
        """A privileged group's id and display name, so findings name it.

        A group whose name cannot be read (deleted since it was assigned, or hidden from this
        identity) keeps its object id as its name; that is logged, not a collection gap,
        because its members were read and nothing is missing from the analysis.
        """
        url = self.graph.format_url(f"/v1.0/groups/{group}")
        request = HttpRequest("GET", url, params={"$select": "id,displayName"})
        try:
            return _json(self.graph, request)
        except AzureError as error:
            log.warning("azure: name of group %s unreadable: %s", group, classify(error)[1])
            return None


def _privileged_groups(rows: list[Any]) -> list[str]:
    """Groups that hold Azure role assignments: their members are expanded through Graph.

    Every group with an assignment is expanded, privileged or not, because the role
    definition may arrive in another page; the cost is one Graph call per such group.
    """
    groups = set()
    for row in rows:
        props = row.get("properties") or {} if isinstance(row, dict) else {}
        if str(row.get("type", "")).lower() == ASSIGNMENT and props.get("principalType") == "Group":
            groups.add(str(props.get("principalId", "")).lower())
    return sorted(g for g in groups if g)


def _directory_groups(assignments: list[dict[str, Any]]) -> list[str]:
    return [
        str(a["principal"]["id"]).lower()
        for a in assignments
        if isinstance(a.get("principal"), dict)
        and a["principal"].get("@odata.type") == "#microsoft.graph.group"
    ]

"""The provider-neutral snapshot: what one collection saw, and what it could not see.

Collectors fill a :class:`Snapshot`; the graph engine and the rules read only this model, so a
saved snapshot can be analysed again without any cloud call. Every id is the provider's canonical
id (an ARN on AWS), which is also the node id in the graph.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SNAPSHOT_SCHEMA = "ztdrift.snapshot/v1"

PrincipalKind = Literal[
    "user",
    "group",
    "role",
    "root",
    "federated-provider",
    "service-account",
    "service-principal",
    "application",
]
CredentialKind = Literal[
    "access-key",
    "root-access-key",
    "password",
    "client-secret",
    "certificate",
    "service-account-key",
]
GrantKind = Literal["inline", "attached", "boundary", "binding", "assignment", "eligible", "scp"]
TrusteeKind = Literal["aws", "account", "service", "federated", "any"]


class Record(BaseModel):
    """Base of every snapshot record: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(Record):
    """One unit of collection: an AWS account, Azure subscription or GCP project.

    `parents` lists the containers above it, nearest first (GCP folders and organization,
    Azure management groups, the AWS organization), so grants on a parent reach it.
    """

    provider: str
    account: str
    regions: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    # What was collected for this scope ("iam", "iam-credentials", "ec2", "s3", ...). Empty
    # means everything the provider's rules read: a live scan. An import of one export lists
    # only what that export holds, so drift never resolves a finding it could not have seen.
    services: tuple[str, ...] = ()
    # Other names of the same scope (a GCP project's "projects/NUMBER"), so records that name
    # it either way are joined to it.
    aliases: tuple[str, ...] = ()


class Principal(Record):
    """A user, group, role or other identity that can hold grants."""

    id: str
    provider: str
    account: str
    kind: PrincipalKind
    name: str
    groups: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    created: datetime | None = None


class Credential(Record):
    """A secret a principal can authenticate with. Only metadata, never the secret itself."""

    id: str
    provider: str
    account: str
    owner: str
    kind: CredentialKind
    active: bool
    created: datetime | None = None
    last_rotated: datetime | None = None
    last_used: datetime | None = None
    expires: datetime | None = None


class Policy(Record):
    """A policy document: managed (AWS or customer) or inline."""

    id: str
    provider: str
    account: str
    name: str
    managed_by: Literal["provider", "customer", "inline", "organization"]
    document: dict[str, Any]
    # Non-default versions of a customer-managed policy: iam:SetDefaultPolicyVersion can make
    # any of them the one in force.
    other_versions: tuple[dict[str, Any], ...] = ()


class Grant(Record):
    """A policy (or role definition) granted to a principal.

    On AWS: inline, attached, or as a permission boundary. On Azure and GCP, a role
    assignment or binding at `scope` (a resource id), possibly under a `condition`, possibly
    only until `active_until`, or only eligible (PIM) rather than active.
    """

    principal: str
    policy: str
    kind: GrantKind
    scope: str | None = None
    condition: dict[str, Any] | None = None
    active_until: datetime | None = None


class Trust(Record):
    """One trustee allowed by a role's trust policy to assume it."""

    role: str
    trustee: str
    trustee_kind: TrusteeKind
    actions: tuple[str, ...] = ("sts:AssumeRole",)
    conditions: dict[str, Any] = Field(default_factory=dict)


class NetworkGroup(Record):
    """A security group (or NSG, firewall) that network rules belong to."""

    id: str
    provider: str
    account: str
    region: str
    name: str
    network: str | None = None
    attachments: int | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class NetworkRule(Record):
    """One rule of a network group, in one direction, to one peer.

    `priority` orders rules where the provider evaluates them in order (Azure NSGs, GCP
    firewalls: lower numbers first); AWS security groups only allow, so it is None there.
    """

    group: str
    direction: Literal["ingress", "egress"]
    action: Literal["allow", "deny"] = "allow"
    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    peer: str
    peer_kind: Literal["cidr4", "cidr6", "prefix-list", "group", "tag", "service-tag", "any"]
    description: str | None = None
    priority: int | None = None
    name: str | None = None


class DataStore(Record):
    """A bucket or storage account, with what decides who can reach its data."""

    id: str
    provider: str
    account: str
    region: str | None
    kind: str
    name: str
    policy: dict[str, Any] | None = None
    acl_grants: tuple[dict[str, Any], ...] = ()
    policy_is_public: bool | None = None
    public_access_block: dict[str, bool] | None = None
    account_public_access_block: dict[str, bool] | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)


class Gap(Record):
    """Something the collection could not see: a scope, region or service that failed."""

    provider: str
    account: str
    service: str
    region: str | None = None
    error: str
    code: str | None = None


class Snapshot(Record):
    """Everything one scan collected, in a stable, deterministic form."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(default=SNAPSHOT_SCHEMA, alias="schema")
    taken_at: datetime
    scopes: tuple[Scope, ...] = ()
    principals: tuple[Principal, ...] = ()
    credentials: tuple[Credential, ...] = ()
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    trusts: tuple[Trust, ...] = ()
    network_groups: tuple[NetworkGroup, ...] = ()
    network_rules: tuple[NetworkRule, ...] = ()
    data_stores: tuple[DataStore, ...] = ()
    gaps: tuple[Gap, ...] = ()

    def scope_keys(self) -> set[tuple[str, str]]:
        """The (provider, account) pairs this snapshot covers."""
        return {(s.provider, s.account) for s in self.scopes}

"""Collect one AWS account into a snapshot, live, with a bounded number of API calls.

IAM is read with account-wide calls only (authorization details and the credential report),
EC2 with two paginated calls per region, S3 with a fixed number of calls per bucket. Regions
and buckets run concurrently on a bounded pool. A region, service or bucket that cannot be
read becomes a collection gap in the snapshot and the rest of the account is still collected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

import boto3

from scanner.collectors import aws_iam, aws_network, aws_s3, aws_scp
from scanner.collectors.aws_clients import AwsClients
from scanner.collectors.aws_errors import COLLECTION_FAILURES, gap_for
from scanner.errors import ZtdriftError
from scanner.model import (
    Credential,
    DataStore,
    Gap,
    Grant,
    NetworkGroup,
    NetworkRule,
    Policy,
    Principal,
    Scope,
    Snapshot,
    Trust,
)
from scanner.timeutil import utcnow

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class Harvest:
    """What one unit of work (IAM, a region, a bucket) collected, before sorting."""

    principals: list[Principal] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)
    network_groups: list[NetworkGroup] = field(default_factory=list)
    network_rules: list[NetworkRule] = field(default_factory=list)
    data_stores: list[DataStore] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def absorb(self, other: Harvest) -> None:
        """Add everything another harvest collected to this one."""
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))


def collect_aws(
    session: boto3.Session,
    *,
    regions: Sequence[str] | None = None,
    max_workers: int = 8,
    progress: Progress | None = None,
    max_attempts: int = 10,
) -> Snapshot:
    """Collect the account the session's credentials belong to.

    `regions` defaults to the regions enabled for the account. `progress` receives short
    messages ('ec2 us-east-1 done') from the calling thread. `max_attempts` bounds botocore's
    adaptive retries per request. Raises ZtdriftError when the caller's identity cannot be read,
    since nothing else can be attributed to an account then.
    """
    taken_at = utcnow()
    clients = AwsClients(session, pool_size=max_workers, max_attempts=max_attempts)
    account = _account_of(clients)
    harvest = Harvest()

    chosen = _regions(clients, account, regions, harvest)
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ztdrift-aws") as pool:
        futures: dict[Future[Harvest], str] = {pool.submit(_iam, clients, account): "iam"}
        futures[pool.submit(_organization, clients, account)] = "organizations"
        for region in chosen:
            futures[pool.submit(_region, clients, account, region)] = f"ec2 {region}"
        futures.update(_submit_buckets(pool, clients, account, harvest))
        _gather(futures, harvest, progress)

    return _snapshot(harvest, taken_at, account, chosen)


def _account_of(clients: AwsClients) -> str:
    try:
        return clients.sts().get_caller_identity()["Account"]
    except COLLECTION_FAILURES as exc:
        raise ZtdriftError(
            f"cannot read the caller identity: {exc}",
            where="aws sts GetCallerIdentity",
            hint="check the AWS credentials (AWS_PROFILE, environment, or instance role)",
        ) from exc


def _regions(
    clients: AwsClients, account: str, regions: Sequence[str] | None, harvest: Harvest
) -> tuple[str, ...]:
    if regions:
        return tuple(sorted(set(regions)))

    try:
        answer = clients.ec2().describe_regions(AllRegions=False)
        return tuple(sorted(r["RegionName"] for r in answer.get("Regions", [])))
    except COLLECTION_FAILURES as exc:
        # Without the region list, scan the session's region and say the rest is unseen.
        harvest.gaps.append(
            gap_for(exc, account=account, service="ec2", subject="region list (DescribeRegions)")
        )
        return (clients.home_region,)


def _gather(
    futures: dict[Future[Harvest], str], harvest: Harvest, progress: Progress | None
) -> None:
    for future in as_completed(futures):
        label = futures[future]
        harvest.absorb(future.result())
        log.debug("%s done", label)
        if progress is not None:
            progress(f"{label} done")


def _iam(clients: AwsClients, account: str) -> Harvest:
    """Authorization details and the credential report; each may fail on its own."""
    harvest = Harvest()
    iam = clients.iam()

    # If paging fails part way, nothing of the authorization details is kept: a partial
    # principal list would read as deletions, and the gap already says IAM was not seen.
    try:
        records = aws_iam.fetch_authz(iam, account)
        harvest.principals.extend(records.principals)
        harvest.policies.extend(records.policies)
        harvest.grants.extend(records.grants)
        harvest.trusts.extend(records.trusts)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(gap_for(exc, account=account, service="iam"))

    try:
        report = aws_iam.fetch_credential_report(iam)
        credentials, principals = aws_iam.credentials_from_report(report, account)
        harvest.credentials.extend(credentials)
        harvest.principals.extend(principals)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(
            gap_for(exc, account=account, service="iam-credentials", subject="credential report")
        )
    return harvest


def _organization(clients: AwsClients, account: str) -> Harvest:
    """Service control policies above the account, when the organization can be read."""
    harvest = Harvest()
    try:
        policies, grants = aws_scp.fetch_scps(clients, account)
        harvest.policies.extend(policies)
        harvest.grants.extend(grants)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(gap_for(exc, account=account, service="organizations"))
    return harvest


def _region(clients: AwsClients, account: str, region: str) -> Harvest:
    """Security groups of one region, with attachment counts when interfaces can be read."""
    harvest = Harvest()
    ec2 = clients.ec2(region)

    try:
        groups = aws_network.fetch_security_groups(ec2)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(gap_for(exc, account=account, service="ec2", region=region))
        return harvest

    attachments = None
    try:
        attachments = aws_network.fetch_attachment_counts(ec2)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(
            gap_for(exc, account=account, service="ec2", region=region, subject="interfaces")
        )

    network_groups, rules = aws_network.groups_from(
        groups, region=region, account=account, attachments=attachments
    )
    harvest.network_groups.extend(network_groups)
    harvest.network_rules.extend(rules)
    return harvest


def _submit_buckets(
    pool: ThreadPoolExecutor, clients: AwsClients, account: str, harvest: Harvest
) -> dict[Future[Harvest], str]:
    """List buckets and the account's Block Public Access here, then read buckets on the pool."""
    try:
        names = aws_s3.list_buckets(clients.s3())
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(gap_for(exc, account=account, service="s3", subject="ListBuckets"))
        return {}

    account_block = None
    try:
        account_block = aws_s3.fetch_account_access_block(clients.s3control(), account)
    except COLLECTION_FAILURES as exc:
        harvest.gaps.append(
            gap_for(exc, account=account, service="s3", subject="account public access block")
        )

    return {
        pool.submit(_bucket, clients, account, name, account_block): f"s3 {name}" for name in names
    }


def _bucket(
    clients: AwsClients, account: str, name: str, account_block: dict[str, bool] | None
) -> Harvest:
    result = aws_s3.collect_bucket(
        name,
        account=account,
        locate=clients.s3(),
        client_for=clients.s3,
        account_access_block=account_block,
    )
    if isinstance(result, Gap):
        return Harvest(gaps=[result])
    return Harvest(data_stores=[result])


def _snapshot(
    harvest: Harvest, taken_at: datetime, account: str, regions: tuple[str, ...]
) -> Snapshot:
    """Sort every record by a stable key so two scans of the same estate compare equal."""
    return Snapshot(
        taken_at=taken_at,
        scopes=(Scope(provider="aws", account=account, regions=regions),),
        principals=tuple(sorted(harvest.principals, key=lambda p: p.id)),
        credentials=tuple(sorted(harvest.credentials, key=lambda c: c.id)),
        policies=tuple(sorted(harvest.policies, key=lambda p: p.id)),
        grants=tuple(sorted(harvest.grants, key=lambda g: (g.principal, g.policy, g.kind))),
        trusts=tuple(sorted(harvest.trusts, key=lambda t: (t.role, t.trustee, t.actions))),
        network_groups=tuple(sorted(harvest.network_groups, key=lambda g: g.id)),
        network_rules=tuple(sorted(harvest.network_rules, key=_rule_key)),
        data_stores=tuple(sorted(harvest.data_stores, key=lambda d: d.id)),
        gaps=tuple(sorted(harvest.gaps, key=lambda g: (g.service, g.region or "", g.error))),
    )


def _rule_key(rule: NetworkRule) -> tuple[str, str, str, int, int, str, str]:
    ports = (
        (-1 if rule.from_port is None else rule.from_port),
        (-1 if rule.to_port is None else rule.to_port),
    )
    return (rule.group, rule.direction, rule.protocol, *ports, rule.peer_kind, rule.peer)

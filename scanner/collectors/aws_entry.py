"""The AWS entry of the provider registry: a live scan with progress on the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from scanner.errors import ZtdriftError
from scanner.model import Snapshot
from scanner.providers import LiveOptions


def collect_live(options: LiveOptions) -> Snapshot:
    """Collect from AWS with the standard credential chain, showing progress on stderr."""
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    from scanner.collectors.aws_live import collect_aws

    try:
        session = boto3.Session(profile_name=options.profile)
    except ProfileNotFound as exc:
        raise ZtdriftError(str(exc), hint="check --profile or AWS_PROFILE") from exc
    status = Console(stderr=True)
    if options.org_role:
        return _collect_organization(session, options, status)
    with status.status("collecting AWS") as spinner:
        try:
            return collect_aws(
                session, regions=options.regions, progress=lambda text: spinner.update(text)
            )
        except BotoCoreError as exc:
            raise ZtdriftError(f"cannot reach AWS: {exc}") from exc


def _collect_organization(session: Any, options: LiveOptions, status: Console) -> Snapshot:
    """Every selected member account, with accounts, regions, requests and errors shown."""
    from botocore.exceptions import BotoCoreError

    from scanner.collectors.aws_org import OrgProgress, OrgSelection, collect_organization
    from scanner.shard import parse_shard

    selection = OrgSelection(
        role=str(options.org_role),
        include=options.include,
        exclude=options.exclude,
        external_id=options.external_id,
        max_accounts_in_parallel=options.max_accounts_in_parallel,
        shard=parse_shard(options.shard) if options.shard else None,
    )
    with status.status("collecting the AWS organization") as spinner:
        try:
            return collect_organization(
                session,
                selection,
                regions=options.regions,
                progress=OrgProgress(),
                on_progress=lambda tracker: spinner.update(tracker.line()),
            )
        except BotoCoreError as exc:
            raise ZtdriftError(f"cannot reach AWS: {exc}") from exc

"""The AWS entry of the provider registry: a live scan with progress on the terminal."""

from __future__ import annotations

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
    with status.status("collecting AWS") as spinner:
        try:
            return collect_aws(
                session, regions=options.regions, progress=lambda text: spinner.update(text)
            )
        except BotoCoreError as exc:
            raise ZtdriftError(f"cannot reach AWS: {exc}") from exc

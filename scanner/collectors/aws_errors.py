"""Sort AWS failures into the short codes a collection gap carries, in one place.

Every AWS collector step catches only :data:`COLLECTION_FAILURES` and turns them into a
:class:`~scanner.model.Gap` with :func:`gap_for`; anything else is a bug and is left to surface.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from scanner.errors import ZtdriftError
from scanner.model import Gap

# What a failed cloud read can raise: the API said no, the transport failed, or the answer
# could not be read into the model.
COLLECTION_FAILURES: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ZtdriftError)

ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "AllAccessDisabled",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
# EC2 answers AuthFailure for a region the account has not opted into; DescribeRegions only
# lists enabled regions, so it mostly shows up when the user names a region explicitly.
NOT_ENABLED = frozenset({"OptInRequired", "SubscriptionRequiredException", "AuthFailure"})


class CollectionError(ZtdriftError):
    """The cloud answered, but not with what the collector needs (a report never finished)."""


def classify(exc: BaseException) -> str:
    """Map a failure to access-denied, throttled, unreachable, not-enabled or error."""
    if isinstance(exc, ClientError):
        return _classify_client_error(exc)
    if isinstance(exc, BotoConnectionError):
        return "unreachable"
    return "error"


def _classify_client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")

    if code in ACCESS_DENIED or (not code and status == 403):
        return "access-denied"
    if code in THROTTLED or status == 429:
        return "throttled"
    if code in NOT_ENABLED:
        return "not-enabled"
    return "error"


def gap_for(
    exc: BaseException,
    *,
    account: str,
    service: str,
    region: str | None = None,
    subject: str | None = None,
) -> Gap:
    """Record a failure as a collection gap; `subject` names what was being read."""
    message = str(exc).strip() or type(exc).__name__
    if subject:
        message = f"{subject}: {message}"
    return Gap(
        provider="aws",
        account=account,
        service=service,
        region=region,
        error=message,
        code=classify(exc),
    )

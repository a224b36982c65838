"""Sort Cloud Asset failures into the short codes a collection gap carries, in one place."""

from __future__ import annotations

from google.api_core import exceptions as core
from google.api_core import retry as retries
from google.auth import exceptions as auth_errors

from scanner.errors import InputError
from scanner.model import Gap

# What a failed sweep can raise: the API said no, the transport failed, or an asset could
# not be read into the model.
COLLECTION_FAILURES: tuple[type[Exception], ...] = (
    core.GoogleAPIError,
    auth_errors.TransportError,
    InputError,
)
TRANSIENT = (
    core.ServiceUnavailable,
    core.TooManyRequests,
    core.InternalServerError,
    core.DeadlineExceeded,
    core.BadGateway,
)


def retry_policy(initial: float = 1.0, deadline: float = 120.0) -> retries.Retry:
    """Exponential backoff for the errors the API documents as worth retrying (429, 5xx)."""
    return retries.Retry(
        initial=initial,
        maximum=max(initial, 30.0),
        multiplier=2.0,
        predicate=retries.if_exception_type(*TRANSIENT),
        timeout=deadline,
    )


def classify(exc: BaseException) -> str:
    """Map a failure to access-denied, not-found, throttled, unreachable or error."""
    cause = exc.cause if isinstance(exc, core.RetryError) and exc.cause is not None else exc
    if isinstance(cause, core.PermissionDenied | core.Unauthenticated | core.Forbidden):
        return "access-denied"
    if isinstance(cause, core.NotFound | core.InvalidArgument):
        return "not-found"
    if isinstance(cause, core.TooManyRequests | core.ResourceExhausted):
        return "throttled"
    if isinstance(cause, core.ServiceUnavailable | auth_errors.TransportError):
        return "unreachable"
    return "error"


def gap_for(account: str, service: str, exc: BaseException) -> Gap:
    """A collection gap for one scope and content type, with the classified cause."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return Gap(
        provider="gcp",
        account=account,
        service=service,
        error=f"{type(exc).__name__}: {message}"[:500],
        code=classify(exc),
    )

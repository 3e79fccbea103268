"""The registry's own errors; ``registry.api.errors`` turns each into an HTTP answer.

::

    EduLedgerError
    └── RegistryError                  400 bad_request
        ├── AuthenticationError        401: no, bad or expired session; bad sign-in
        ├── PermissionDeniedError      403: signed in, but the role does not allow it
        ├── ResourceNotFoundError      404
        ├── ConflictError              409
        │   ├── InvalidTransitionError     the workflow does not allow the action now (lists what it allows)
        │   └── DuplicateResourceError     identical content is already registered (names it and its owner)
        ├── PayloadTooLargeError       413
        ├── UnsupportedMediaTypeError  415: a part's content is not what its declared type allows
        ├── InvalidRequestError        422: malformed or inconsistent input
        └── TooManyRequestsError       429: a limit per client was reached (``retry_after`` seconds)
"""

from __future__ import annotations

from typing import Any

from ledger_service import EduLedgerError

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "DuplicateResourceError",
    "InvalidRequestError",
    "InvalidTransitionError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RegistryError",
    "ResourceNotFoundError",
    "TooManyRequestsError",
    "UnsupportedMediaTypeError",
]


class RegistryError(EduLedgerError):
    """A request the registry refuses. ``code`` is the machine-readable error; ``extra`` joins the body."""

    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.extra = extra


class AuthenticationError(RegistryError):
    code = "unauthenticated"


class PermissionDeniedError(RegistryError):
    code = "forbidden"


class ResourceNotFoundError(RegistryError):
    code = "not_found"


class ConflictError(RegistryError):
    code = "conflict"


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"


class DuplicateResourceError(ConflictError):
    code = "duplicate_content"


class PayloadTooLargeError(RegistryError):
    code = "payload_too_large"


class UnsupportedMediaTypeError(RegistryError):
    code = "unsupported_media_type"


class InvalidRequestError(RegistryError):
    code = "invalid_request"


class TooManyRequestsError(RegistryError):
    """A client asked too often; ``retry_after`` (seconds) goes into the body and the Retry-After header."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after

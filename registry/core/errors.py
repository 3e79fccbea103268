"""The registry's own errors; ``registry.api.errors.ERROR_STATUS`` turns each into an HTTP answer
(its status and its default code are defined there, once; a raise may name a more specific code)::

    EduLedgerError
    └── RegistryError
        ├── AuthenticationError        no, bad or expired session; bad sign-in
        ├── PermissionDeniedError      signed in, but the role does not allow it
        ├── ResourceNotFoundError
        ├── ConflictError
        │   ├── InvalidTransitionError     the workflow does not allow the action now (lists what it allows)
        │   └── DuplicateResourceError     identical content is already registered (names it and its owner)
        ├── PayloadTooLargeError
        ├── UnsupportedMediaTypeError  a part's content is not what its declared type allows
        ├── InvalidRequestError        malformed or inconsistent input
        └── TooManyRequestsError       a limit per client was reached (``retry_after`` seconds)
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
    """A request the registry refuses. ``code``, when given, is a more specific machine-readable error
    than the class's (``registry.api.errors``); ``extra`` joins the body."""

    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.extra = extra


class AuthenticationError(RegistryError):
    """No, a bad or an expired session; a failed sign-in."""


class PermissionDeniedError(RegistryError):
    """Signed in, but no role of the account allows it."""


class ResourceNotFoundError(RegistryError):
    """Nothing by that id (or nothing the caller may see)."""


class ConflictError(RegistryError):
    """The request contradicts the state of a record."""


class InvalidTransitionError(ConflictError):
    """The workflow does not allow the action now (the message lists what it allows)."""


class DuplicateResourceError(ConflictError):
    """Identical content is already registered (the message names it and its owner)."""


class PayloadTooLargeError(RegistryError):
    """The body or upload is over its limit."""


class UnsupportedMediaTypeError(RegistryError):
    """A part's content is not what its declared type allows."""


class InvalidRequestError(RegistryError):
    """Malformed or inconsistent input."""


class TooManyRequestsError(RegistryError):
    """A client asked too often; ``retry_after`` (seconds) goes into the body and the Retry-After header."""

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after

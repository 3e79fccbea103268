"""One table from EduLedger errors to HTTP answers; every error body is ``{"error", "message"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger_service import (
    AlreadyExistsError,
    ChainMismatchError,
    ChainUnavailableError,
    ConfigurationError,
    ConsentRequiredError,
    ContentBackendError,
    ContentCorruptedError,
    ContentNotFoundError,
    ContentTooLargeError,
    ContractRevertError,
    CredentialError,
    DuplicateContentError,
    EduLedgerError,
    ExpiredSignatureError,
    InvalidArgumentError,
    InvalidCarError,
    InvalidCIDError,
    InvalidJsonError,
    InvalidKeyError,
    InvalidProofError,
    InvalidSharesError,
    InvalidSignatureError,
    InvalidStateError,
    NonceReplayError,
    NotFoundError,
    SubjectErasedError,
    SubjectNotFoundError,
    TransactionTimeoutError,
    TruncatedContentError,
    UnauthorizedError,
    VaultKeyError,
)

from ..core.errors import (
    AuthenticationError,
    ConflictError,
    DuplicateResourceError,
    InvalidRequestError,
    InvalidTransitionError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RegistryError,
    ResourceNotFoundError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
)

# Most specific first: the first class an error is an instance of decides. This is where every
# error's status and code are defined; a RegistryError raised with ``code=`` names a more specific one.
ERROR_STATUS: tuple[tuple[type[EduLedgerError], int, str], ...] = (
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (ResourceNotFoundError, 404, "not_found"),
    (InvalidTransitionError, 409, "invalid_transition"),
    (DuplicateResourceError, 409, "duplicate_content"),
    (ConflictError, 409, "conflict"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (UnsupportedMediaTypeError, 415, "unsupported_media_type"),
    (InvalidRequestError, 422, "invalid_request"),
    (TooManyRequestsError, 429, "rate_limited"),
    (RegistryError, 400, "bad_request"),
    (InvalidCIDError, 400, "invalid_cid"),
    (ContentNotFoundError, 404, "content_not_found"),
    (ContentTooLargeError, 413, "payload_too_large"),  # one limit, one code, whichever layer finds it
    (TruncatedContentError, 400, "truncated_upload"),
    (InvalidCarError, 400, "invalid_car"),
    (ContentCorruptedError, 500, "content_corrupted"),
    (ContentBackendError, 502, "ipfs_unavailable"),
    (InvalidKeyError, 400, "invalid_key"),
    (InvalidJsonError, 400, "invalid_json"),
    (CredentialError, 422, "invalid_credential"),
    (ConsentRequiredError, 422, "guardian_consent_required"),
    (SubjectErasedError, 410, "subject_erased"),
    (SubjectNotFoundError, 404, "subject_not_found"),
    (VaultKeyError, 500, "vault_key_error"),
    (DuplicateContentError, 409, "duplicate_content"),
    (AlreadyExistsError, 409, "already_exists"),
    (InvalidStateError, 409, "invalid_state"),
    (NotFoundError, 404, "not_found"),
    (UnauthorizedError, 403, "forbidden"),
    (InvalidSignatureError, 400, "invalid_signature"),
    (ExpiredSignatureError, 400, "expired_signature"),
    (NonceReplayError, 409, "nonce_replayed"),
    (InvalidSharesError, 422, "invalid_shares"),
    (InvalidArgumentError, 422, "invalid_argument"),
    (ContractRevertError, 422, "contract_reverted"),
    (InvalidProofError, 422, "invalid_proof"),
    (TransactionTimeoutError, 504, "chain_timeout"),
    (ChainUnavailableError, 503, "chain_unavailable"),
    (ChainMismatchError, 502, "chain_mismatch"),
    (ConfigurationError, 500, "misconfigured"),
    (EduLedgerError, 500, "internal_error"),
)


def status_for(error: EduLedgerError) -> tuple[int, str]:
    for cls, status, code in ERROR_STATUS:
        if isinstance(error, cls):
            return status, (error.code if isinstance(error, RegistryError) else None) or code
    return 500, "internal_error"  # pragma: no cover - EduLedgerError closes the table


def error_body(error: EduLedgerError) -> tuple[int, dict[str, object]]:
    status, code = status_for(error)
    body: dict[str, object] = {"error": code, "message": str(error)}
    if isinstance(error, RegistryError):
        body.update(error.extra)
    return status, body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EduLedgerError)
    async def _eduledger_error(_request: Request, exc: EduLedgerError) -> JSONResponse:
        status, body = error_body(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, TooManyRequestsError):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(status_code=status, content=body, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(exc.status_code, "http_error")
        return JSONResponse(status_code=exc.status_code, content={"error": code, "message": str(exc.detail)})

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "error": "concurrent_update",
                "message": "someone changed this record at the same moment; nothing was applied: reload it and try again",
            },
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "error": "conflict",
                "message": "this conflicts with a record made at the same moment; nothing was applied",
            },
        )

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "1"},
            content={
                "error": "database_unavailable",
                "message": f"the database could not serve the request ({type(exc.orig).__name__}); retry",
            },
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(status_code=422, content={"error": "invalid_request", "message": problems})

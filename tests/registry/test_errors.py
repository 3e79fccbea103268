"""Every EduLedger error maps to one HTTP status and code (the table in registry/api/errors.py)."""

from __future__ import annotations

import pytest

import ledger_service
from ledger_service import EduLedgerError
from registry.api.errors import ERROR_STATUS, status_for

ALL_ERRORS = [
    error
    for name in ledger_service.__all__
    if isinstance(error := getattr(ledger_service, name), type) and issubclass(error, EduLedgerError)
]


@pytest.mark.parametrize("error_class", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_class_has_a_status(error_class: type[EduLedgerError]) -> None:
    status, code = status_for(error_class("boom"))
    assert 400 <= status < 600 and code
    if issubclass(error_class, ledger_service.ContractRevertError):
        assert status < 500, "a contract refusing a request is the client's problem, a 4xx"


def test_specific_classes_come_before_their_bases() -> None:
    classes = [cls for cls, _, _ in ERROR_STATUS]
    for index, cls in enumerate(classes):
        for later in classes[index + 1 :]:
            assert not issubclass(later, cls), f"{later.__name__} is shadowed by {cls.__name__}"


def test_key_mappings() -> None:
    assert status_for(ledger_service.DuplicateContentError("x")) == (409, "duplicate_content")
    assert status_for(ledger_service.UnauthorizedError("x")) == (403, "forbidden")
    assert status_for(ledger_service.ChainUnavailableError("x")) == (503, "chain_unavailable")


def test_codes_are_defined_once_in_the_table() -> None:
    from registry.core import errors as registry_errors

    registry_classes = [getattr(registry_errors, name) for name in registry_errors.__all__]
    for cls in registry_classes:
        assert "code" not in vars(cls) or cls is registry_errors.RegistryError, f"{cls.__name__} defines its code beside the table"
        assert cls in [c for c, _, _ in ERROR_STATUS], f"{cls.__name__} has no row in the table"
    assert status_for(registry_errors.InvalidTransitionError("x")) == (409, "invalid_transition")
    assert status_for(registry_errors.ConflictError("x", code="batch_key_reused")) == (409, "batch_key_reused")


def test_one_limit_one_code() -> None:
    from registry.core.errors import PayloadTooLargeError

    assert status_for(ledger_service.ContentTooLargeError("x")) == status_for(PayloadTooLargeError("x")) == (413, "payload_too_large")
    by_status: dict[int, set[str]] = {}
    for _, status, code in ERROR_STATUS:
        by_status.setdefault(status, set()).add(code)
    assert by_status[413] == {"payload_too_large"}

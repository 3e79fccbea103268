"""CertificateRegistry: issuance by accredited issuer keys only, revocation with reasons."""

from __future__ import annotations

import pytest

from ledger_service import (
    AlreadyExistsError,
    InvalidStateError,
    IssuerNotAuthorizedError,
    NotFoundError,
    UnauthorizedError,
)
from tests.utils.institutions import INCLUSION, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, STRANGER, build_tree
from tests.utils.pyevm import PyEvmSuite, make_registration, sign

INCLUSION_KIND, COLLECTION_KIND = 0, 1
CITY_LEVEL = 2
PROGRAMME = b"\x07" * 32


@pytest.fixture
def resource(suite: PyEvmSuite) -> int:
    teacher = suite.signer(6)
    registration = make_registration(suite, teacher, content="certified lesson")
    suite.transact("ResourceRegistry", "register", registration.as_abi_tuple(), sign(suite, teacher, registration))
    return 1


def test_an_accredited_key_issues_an_inclusion_certificate(suite: PyEvmSuite, resource: int) -> None:
    build_tree(suite, INCLUSION)
    assert suite.call("CertificateRegistry", "credentialTypeOf", INCLUSION_KIND) == INCLUSION
    receipt = suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    (event,) = suite.contracts["CertificateRegistry"].decode_logs(receipt.logs)
    assert event.name == "CertificateIssued"
    assert event.args["certificateId"] == 1 and event.args["institutionId"] == SCHOOL
    record = suite.call("CertificateRegistry", "certificate", 1)
    assert record["resourceId"] == resource
    assert record["contentHash"] == suite.call("ResourceRegistry", "resource", resource)["contentHash"]
    assert record["issuer"] == suite.signer(ISSUER_KEY).address
    assert record["level"] == CITY_LEVEL and record["programmeId"] == PROGRAMME and record["revokedAt"] == 0
    assert suite.call("CertificateRegistry", "certificateCount") == 1


def test_a_key_without_accreditation_for_the_kind_cannot_issue(suite: PyEvmSuite, resource: int) -> None:
    build_tree(suite, INCLUSION)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CertificateRegistry", "issue", COLLECTION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=STRANGER)


def test_a_revoked_issuer_key_cannot_issue(suite: PyEvmSuite, resource: int) -> None:
    build_tree(suite, INCLUSION)
    suite.transact("InstitutionRegistry", "revokeIssuerKey", suite.signer(ISSUER_KEY).address, suite.now(), by=SCHOOL_ADMIN)
    with pytest.raises(IssuerNotAuthorizedError) as caught:
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    assert caught.value.arguments["account"] == suite.signer(ISSUER_KEY).address


def test_a_key_used_outside_its_window_cannot_issue(suite: PyEvmSuite, resource: int) -> None:
    start = suite.now() + 1000
    build_tree(suite, INCLUSION, issuer_from=start, issuer_until=start + 100)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    suite.travel_to(start + 10)
    suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    suite.travel_to(start + 200)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)


def test_missing_or_withdrawn_resources_are_not_certifiable(suite: PyEvmSuite, resource: int) -> None:
    build_tree(suite, INCLUSION)
    with pytest.raises(InvalidStateError):
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, 42, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    suite.transact("ResourceRegistry", "setStatus", resource, 3, 1)
    with pytest.raises(InvalidStateError) as caught:
        suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    assert caught.value.arguments == {"resourceId": resource}


def test_revocation_records_the_reason_once(suite: PyEvmSuite, resource: int) -> None:
    build_tree(suite, INCLUSION)
    suite.transact("CertificateRegistry", "issue", INCLUSION_KIND, resource, CITY_LEVEL, PROGRAMME, by=ISSUER_KEY)
    with pytest.raises(UnauthorizedError):
        suite.transact("CertificateRegistry", "revoke", 1, 3, by=STRANGER)
    receipt = suite.transact("CertificateRegistry", "revoke", 1, 3, by=SCHOOL_ADMIN)
    (event,) = suite.contracts["CertificateRegistry"].decode_logs(receipt.logs)
    assert event.args == {"certificateId": 1, "reasonCode": 3}
    record = suite.call("CertificateRegistry", "certificate", 1)
    assert record["revokedAt"] > 0 and record["revocationReason"] == 3
    with pytest.raises(AlreadyExistsError):
        suite.transact("CertificateRegistry", "revoke", 1, 3, by=ISSUER_KEY)
    with pytest.raises(NotFoundError):
        suite.transact("CertificateRegistry", "revoke", 9, 3)

"""did:web issuers: the institution's DID document lists its Multikey signing keys; the chain stays
the authority, and a DID document that disagrees with it makes the credential invalid."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ledger_service import CredentialError
from ledger_service.credentials import (
    CANNOT_TELL,
    INVALID,
    VALID,
    BatchIssuer,
    Ed25519KeyPair,
    did_document,
    did_web,
    did_web_institution,
    did_web_url,
    growth_record_credential,
    identity_object,
    signing_method,
    verify,
    verify_credential,
)
from tests.credentials.test_issuance import CREATED
from tests.credentials.test_verification import NOW, view
from tests.utils.institutions import (
    CITY,
    FAR_FUTURE,
    GROWTH_RECORD,
    ISSUER_KEY,
    SCHOOL,
    SCHOOL_ADMIN,
    SCHOOL_SIGNING_KEY,
    build_tree,
)
from tests.utils.pyevm import PyEvmSuite

HOST = "registry.example:8443"
DID = did_web(HOST, SCHOOL)


def records(issuer: str, count: int = 2) -> list[dict[str, Any]]:
    return [
        growth_record_credential(
            credential_id=f"urn:uuid:33333333-0000-4000-8000-{i:012d}",
            issuer_id=issuer,
            issuer_name="滨海新区第一中学",
            identifier=identity_object(f"S{i}", bytes([i]) * 16),
            dimension="社会实践",
            record_kind="志愿服务",
            term="2026-2027学年第一学期",
            narrative="社区服务 20 小时。",
            valid_from="2026-11-22T00:00:00Z",
        )
        for i in range(count)
    ]


def issued(suite: PyEvmSuite, tmp_path: Path) -> list[dict[str, Any]]:
    build_tree(suite)
    issuer = BatchIssuer(
        tmp_path / "did.sqlite3",
        sender=suite.sender(ISSUER_KEY),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts["InstitutionRegistry"],
        signing_key=SCHOOL_SIGNING_KEY,
        issuer_id=DID,
    )
    try:
        return issuer.issue("did", records(DID), credential_type=GROWTH_RECORD, created=CREATED).credentials
    finally:
        issuer.close()


def check(suite: PyEvmSuite, credential: Any, document: Any = None, resolver: Any = None) -> tuple[str, str | None, str]:
    def resolve(did: str) -> Any:
        assert did == DID
        return copy.deepcopy(document)

    report = verify_credential(credential, chain=view(suite), now=NOW, did_resolver=resolver or (resolve if document else None))
    detail = next((c.detail for c in report.checks if c.name == "did_document"), "")
    return report.outcome, report.failed.name if report.failed else None, detail


def genuine() -> dict[str, Any]:
    return did_document(DID, [(SCHOOL_SIGNING_KEY.public, True)])


def test_the_did_and_its_url() -> None:
    assert DID == f"did:web:registry.example%3A8443:institutions:0x{SCHOOL.hex()}"
    assert did_web_institution(DID) == SCHOOL
    assert did_web_url(DID) == f"https://registry.example:8443/institutions/0x{SCHOOL.hex()}/did.json"
    local = did_web("127.0.0.1:8000", SCHOOL)
    assert did_web_url(local) == f"http://127.0.0.1:8000/institutions/0x{SCHOOL.hex()}/did.json"
    assert did_web_url(local, insecure_loopback=False).startswith("https://")
    assert did_web_url("did:web:example.com") == "https://example.com/.well-known/did.json"
    for bad in ("did:key:z6Mk", "did:web:", "did:web:example.com:..:x", "did:web:example.com#k"):
        with pytest.raises(CredentialError):
            did_web_url(bad)
    for other in ("did:web:example.com", f"did:web:h:institutions:0x{SCHOOL.hex()}:x", f"urn:eduledger:institution:0x{SCHOOL.hex()}", 7):
        assert did_web_institution(other) is None


def test_a_did_web_credential_names_its_key_in_the_did_document_and_verifies(suite: PyEvmSuite, tmp_path: Path) -> None:
    credential = issued(suite, tmp_path)[0]
    assert credential["issuer"]["id"] == DID
    assert credential["proof"][0]["verificationMethod"] == signing_method(DID, SCHOOL_SIGNING_KEY.public)
    assert verify(credential)
    document = genuine()
    assert document["verificationMethod"][0] == {
        "id": f"{DID}#{SCHOOL_SIGNING_KEY.public.multibase}",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": SCHOOL_SIGNING_KEY.public.multibase,
    }
    assert document["assertionMethod"] == [document["verificationMethod"][0]["id"]]
    report = verify_credential(credential, chain=view(suite), now=NOW, did_resolver=lambda did: document)
    assert report.outcome == VALID, report.as_dict()
    assert [c.name for c in report.checks][-4:] == ["signing_key", "did_document", "status", "validity_dates"]


def test_a_did_document_that_cannot_be_had_is_cannot_tell(suite: PyEvmSuite, tmp_path: Path) -> None:
    credential = issued(suite, tmp_path)[0]

    def unreachable(did: str) -> Any:
        raise OSError("connection refused")

    outcome, failed, detail = check(suite, credential, resolver=unreachable)
    assert (outcome, failed) == (CANNOT_TELL, None) and "could not be fetched: connection refused" in detail
    outcome, failed, detail = check(suite, credential)
    assert (outcome, failed) == (CANNOT_TELL, None) and "no DID resolver" in detail


def test_a_did_document_that_disagrees_with_the_chain_is_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    credential = issued(suite, tmp_path)[0]
    revoked, stranger = Ed25519KeyPair.from_seed(b"\x07" * 32), Ed25519KeyPair.from_seed(b"\x08" * 32)
    suite.transact("InstitutionRegistry", "addSigningKey", SCHOOL, revoked.public.raw, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    suite.transact("InstitutionRegistry", "revokeSigningKey", revoked.public.raw, 1, by=SCHOOL_ADMIN)
    method = signing_method(DID, SCHOOL_SIGNING_KEY.public)

    lists_revoked = did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (revoked.public, True)])
    assert check(suite, credential, lists_revoked)[:2] == (INVALID, "did_document")
    assert "revoked" in check(suite, credential, lists_revoked)[2]
    # The revoked key listed, but not for assertionMethod: the document agrees.
    assert check(suite, credential, did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (revoked.public, False)]))[0] == VALID
    lists_stranger = did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (stranger.public, True)])
    assert check(suite, credential, lists_stranger)[:2] == (INVALID, "did_document")
    leaves_out = did_document(DID, [(SCHOOL_SIGNING_KEY.public, False)])
    assert check(suite, credential, leaves_out)[:2] == (INVALID, "did_document")
    assert "leaves out" in check(suite, credential, leaves_out)[2]
    swapped = genuine()
    swapped["verificationMethod"][0]["publicKeyMultibase"] = stranger.public.multibase  # the id names one key, the doc gives another
    assert check(suite, credential, swapped)[:2] == (INVALID, "did_document")
    missing = did_document(DID, [])
    assert check(suite, credential, missing)[:2] == (INVALID, "did_document")
    another = genuine()
    another["id"] = did_web(HOST, CITY)
    assert check(suite, credential, another)[:2] == (INVALID, "did_document")
    for malformed in (
        [],
        {"id": DID, "verificationMethod": "x"},
        {"id": DID, "verificationMethod": [{"id": method}]},
        {"id": DID, "verificationMethod": [], "assertionMethod": [1]},
        {"id": DID, "verificationMethod": [{}] * 40},
    ):
        outcome, failed, detail = check(suite, credential, resolver=lambda did, m=malformed: m)
        assert (outcome, failed) == (INVALID, "did_document") and "malformed" in detail, malformed


def test_the_chain_stays_the_authority(suite: PyEvmSuite, tmp_path: Path) -> None:
    """A DID document cannot make a credential valid: a key the chain never registered to the
    school, listed in a document that agrees with itself, still fails on chain."""
    credential = issued(suite, tmp_path)[0]
    forger = Ed25519KeyPair.from_seed(b"\x09" * 32)
    forged = copy.deepcopy(credential)
    forged["proof"] = [copy.deepcopy(credential["proof"][0]), credential["proof"][1]]
    from ledger_service.credentials import sign

    resigned = sign(
        {k: v for k, v in credential.items() if k != "proof"},
        forger,
        cryptosuite="eddsa-jcs-2022",
        created=CREATED,
        verification_method=signing_method(DID, forger.public),
    )
    forged["proof"][0] = resigned["proof"]
    document = did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (forger.public, True)])
    report = verify_credential(forged, chain=view(suite), now=NOW, did_resolver=lambda did: document)
    assert report.outcome == INVALID
    results = {c.name: c.result for c in report.checks}
    assert results["issuer_signature"] == "pass" and results["signing_key"] == "fail" and results["did_document"] == "fail"
    # A proof by a method of another DID than the issuer's.
    elsewhere = copy.deepcopy(credential)
    elsewhere["proof"][0]["verificationMethod"] = SCHOOL_SIGNING_KEY.public.verification_method
    assert check(suite, elsewhere, genuine())[:2] == (INVALID, "issuer_signature")
    assert "not one of the issuer's" in check(suite, elsewhere, genuine())[2]


def test_issuing_under_another_institutions_did_is_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    with pytest.raises(CredentialError, match="not the did:web of institution"):
        BatchIssuer(
            tmp_path / "x.sqlite3",
            sender=suite.sender(ISSUER_KEY),
            anchor=suite.contracts["CredentialAnchor"],
            directory=suite.contracts["InstitutionRegistry"],
            signing_key=SCHOOL_SIGNING_KEY,
            issuer_id=did_web(HOST, CITY),
        )

"""The credit bank: a presentation verified, converted by rules, granted once — never twice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from ledger_service import CredentialError
from ledger_service.credentials import (
    VALID,
    BatchIssuer,
    ConversionRule,
    CreditBank,
    Ed25519KeyPair,
    credential_hash,
    institution_uri,
    verify_credential,
)
from tests.credentials.test_issuance import class_records
from tests.credentials.test_verification import NOW, issue, view
from tests.utils.institutions import CITY, CITY_ADMIN, GROWTH_RECORD, build_tree
from tests.utils.pyevm import PyEvmSuite

CREDIT_GRANT = keccak(b"EduLedger.CreditGrant")
CITY_ISSUER = 6
CITY_SIGNING_KEY = Ed25519KeyPair.from_seed(b"city-signing-key".ljust(32, b"\0"))


def one_students_records(suite: PyEvmSuite, tmp_path: Path, count: int = 3) -> list[dict[str, Any]]:
    documents = class_records(count)
    for document in documents[1:]:
        document["credentialSubject"]["identifier"] = copy.deepcopy(documents[0]["credentialSubject"]["identifier"])
    return issue(suite, tmp_path, documents)


def presentation(credentials: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
            "verifiableCredential": credentials}


def credit_bank(suite: PyEvmSuite, tmp_path: Path) -> CreditBank:
    registry = "InstitutionRegistry"
    if suite.call(registry, "issuerKey", suite.signer(CITY_ISSUER).address)["institutionId"] != CITY:
        suite.transact(registry, "addIssuerKey", CITY, suite.signer(CITY_ISSUER).address, 0, 2**63, by=CITY_ADMIN)
        suite.transact(registry, "addSigningKey", CITY, CITY_SIGNING_KEY.public.raw, 0, 2**63, by=CITY_ADMIN)
    issuer = BatchIssuer(tmp_path / "city-issuance.sqlite3", sender=suite.sender(CITY_ISSUER),
                         anchor=suite.contracts["CredentialAnchor"], directory=suite.contracts[registry],
                         signing_key=CITY_SIGNING_KEY)
    return CreditBank(tmp_path / "credit-bank.sqlite3", issuer=issuer, chain=view(suite), credit_type=CREDIT_GRANT,
                      issuer_name="天津市学分银行", rules=[ConversionRule("ext:GrowthRecord", 0.5)])


def test_a_presentation_is_verified_converted_and_granted_once(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    bank = credit_bank(suite, tmp_path)
    grant = bank.import_presentation(presentation(credentials), now=NOW)
    assert grant.credits == 1.5 and grant.converted == [c["id"] for c in credentials] and grant.refused == []
    granted = grant.credential
    assert granted["issuer"]["id"] == institution_uri(CITY)
    assert granted["credentialSubject"]["creditsEarned"] == 1.5
    assert granted["credentialSubject"]["identifier"] == credentials[0]["credentialSubject"]["identifier"]
    assert [e["id"] for e in granted["evidence"]] == [c["id"] for c in credentials]
    assert verify_credential(granted, chain=view(suite), now=NOW).outcome == VALID
    with pytest.raises(CredentialError, match="already converted"):
        bank.import_presentation(presentation(credentials), now=NOW)
    with pytest.raises(CredentialError, match="already converted"):
        bank.import_presentation(presentation(credentials[1:2]), now=NOW)


def test_invalid_or_unruled_credentials_are_refused_with_reasons(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    forged = copy.deepcopy(credentials[0])
    forged["credentialSubject"]["achievement"]["description"] = "满分"
    bank = credit_bank(suite, tmp_path)
    bank.rules = [ConversionRule("ext:GrowthRecord", 1.0, accepted_results=("优秀",))]
    with pytest.raises(CredentialError, match="no conversion rule applies"):
        bank.import_presentation(presentation(credentials[1:]), now=NOW)
    bank.rules = [ConversionRule("ext:GrowthRecord", 1.0)]
    grant = bank.import_presentation(presentation([forged, credentials[1]]), now=NOW)
    assert grant.credits == 1.0 and grant.converted == [credentials[1]["id"]]
    (refusal,) = grant.refused
    assert refusal.credential_id == forged["id"] and refusal.reason.startswith("invalid: canonical_hash")


def test_the_same_credential_twice_is_refused_once_not_an_error(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 10 item 5: the same credential twice in one presentation was an integrity error."""
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    grant = credit_bank(suite, tmp_path).import_presentation(presentation([credentials[0], credentials[0], credentials[1]]), now=NOW)
    assert grant.converted == [credentials[0]["id"], credentials[1]["id"]]
    assert [(r.credential_id, r.reason) for r in grant.refused] == [
        (credentials[0]["id"], "the same credential appears twice in the presentation")]


def test_a_presentation_with_a_duplicate_key_is_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    text = json.dumps(presentation(credentials[:1]), ensure_ascii=False)
    forged = text.replace('"name": ', '"name": "伪造", "name": ', 1)
    with pytest.raises(CredentialError, match='duplicate key "name"'):
        credit_bank(suite, tmp_path).import_presentation(forged, now=NOW)


def test_bad_presentations_are_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    bank = credit_bank(suite, tmp_path)
    for bad, message in [
        ("text", "not JSON"), ([1], "JSON object"), ({"type": ["VerifiableCredential"]}, "not a VerifiablePresentation"),
        (presentation([]), "no verifiableCredential"), (presentation(["x"]), "credential object"),
    ]:
        with pytest.raises(CredentialError, match=message):
            bank.import_presentation(bad, now=NOW)
    two_students = issue(suite, tmp_path, class_records(2))
    with pytest.raises(CredentialError, match="more than one subject"):
        bank.import_presentation(presentation(two_students), now=NOW)


def test_an_interrupted_import_is_finished_not_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path, 2)
    bank = credit_bank(suite, tmp_path)
    accepted = [(c, credential_hash(c), 0.5) for c in credentials]
    grant_id, _, _ = bank._reserve(accepted, [], NOW)  # then "crash" before anything is signed
    bank.close()
    grant = credit_bank(suite, tmp_path).import_presentation(presentation(credentials), now=NOW)
    assert grant.grant_id == grant_id and grant.credits == 1.0

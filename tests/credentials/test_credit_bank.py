"""The credit bank: a presentation verified, converted by rules, granted once — never twice."""

from __future__ import annotations

import copy
import json
import uuid
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
    holder_did,
    institution_uri,
    sign_presentation,
    verify_credential,
)
from tests.credentials.test_issuance import class_records
from tests.credentials.test_verification import NOW, issue, view
from tests.utils.institutions import CITY, CITY_ADMIN, GROWTH_RECORD, build_tree
from tests.utils.pyevm import PyEvmSuite

CREDIT_GRANT = keccak(b"EduLedger.CreditGrant")
CITY_ISSUER = 6
CITY_SIGNING_KEY = Ed25519KeyPair.from_seed(b"city-signing-key".ljust(32, b"\0"))


STUDENT_KEY = Ed25519KeyPair.from_seed(b"student-holder-key".ljust(32, b"\0"))
DOMAIN = "credit-bank.tianjin.example"


def one_students_records(suite: PyEvmSuite, tmp_path: Path, count: int = 3) -> list[dict[str, Any]]:
    """One student's credentials, bound to the student's key (credentialSubject.id beside the salted identifier)."""
    documents = class_records(count)
    for document in documents:
        document["credentialSubject"]["identifier"] = copy.deepcopy(documents[0]["credentialSubject"]["identifier"])
        document["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **document["credentialSubject"]}
    return issue(suite, tmp_path, documents)


class Presented(dict[str, Any]):
    """A signed presentation and the challenge it answers."""

    challenge: str


def presentation(credentials: list[dict[str, Any]], key: Ed25519KeyPair = STUDENT_KEY, domain: str = DOMAIN) -> Presented:
    challenge = uuid.uuid4().hex
    signed = Presented(sign_presentation(credentials, key, challenge=challenge, domain=domain, created="2026-11-30T00:00:00Z"))
    signed.challenge = challenge
    return signed


def present(bank: CreditBank, presented: Any, **kwargs: Any) -> Any:
    challenge = getattr(presented, "challenge", "no-challenge")
    return bank.import_presentation(presented, challenge=challenge, domain=DOMAIN, now=NOW, **kwargs)


def credit_bank(suite: PyEvmSuite, tmp_path: Path) -> CreditBank:
    registry = "InstitutionRegistry"
    if suite.call(registry, "issuerKey", suite.signer(CITY_ISSUER).address)["institutionId"] != CITY:
        suite.transact(registry, "addIssuerKey", CITY, suite.signer(CITY_ISSUER).address, 0, 2**63, by=CITY_ADMIN)
        suite.transact(registry, "addSigningKey", CITY, CITY_SIGNING_KEY.public.raw, 0, 2**63, by=CITY_ADMIN)
    issuer = BatchIssuer(
        tmp_path / "city-issuance.sqlite3",
        sender=suite.sender(CITY_ISSUER),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts[registry],
        signing_key=CITY_SIGNING_KEY,
    )
    return CreditBank(
        tmp_path / "credit-bank.sqlite3",
        issuer=issuer,
        chain=view(suite),
        credit_type=CREDIT_GRANT,
        issuer_name="天津市学分银行",
        rules=[ConversionRule("ext:GrowthRecord", 0.5)],
    )


def test_a_presentation_is_verified_converted_and_granted_once(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    bank = credit_bank(suite, tmp_path)
    grant = present(bank, presentation(credentials))
    assert grant.credits == 1.5 and grant.converted == [c["id"] for c in credentials] and grant.refused == []
    granted = grant.credential
    assert granted["issuer"]["id"] == institution_uri(CITY)
    assert granted["credentialSubject"]["creditsEarned"] == 1.5
    assert granted["credentialSubject"]["identifier"] == credentials[0]["credentialSubject"]["identifier"]
    assert [e["id"] for e in granted["evidence"]] == [c["id"] for c in credentials]
    assert verify_credential(granted, chain=view(suite), now=NOW).outcome == VALID
    with pytest.raises(CredentialError, match="already converted"):
        present(bank, presentation(credentials))
    with pytest.raises(CredentialError, match="already converted"):
        present(bank, presentation(credentials[1:2]))


def test_invalid_or_unruled_credentials_are_refused_with_reasons(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    forged = copy.deepcopy(credentials[0])
    forged["credentialSubject"]["achievement"]["description"] = "满分"
    bank = credit_bank(suite, tmp_path)
    bank.rules = [ConversionRule("ext:GrowthRecord", 1.0, accepted_results=("优秀",))]
    with pytest.raises(CredentialError, match="no conversion rule applies"):
        present(bank, presentation(credentials[1:]))
    bank.rules = [ConversionRule("ext:GrowthRecord", 1.0)]
    grant = present(bank, presentation([forged, credentials[1]]))
    assert grant.credits == 1.0 and grant.converted == [credentials[1]["id"]]
    (refusal,) = grant.refused
    assert refusal.credential_id == forged["id"] and refusal.reason.startswith("invalid: canonical_hash")


def test_the_same_credential_twice_is_refused_once_not_an_error(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 10 item 5: the same credential twice in one presentation was an integrity error."""
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    grant = present(credit_bank(suite, tmp_path), presentation([credentials[0], credentials[0], credentials[1]]))
    assert grant.converted == [credentials[0]["id"], credentials[1]["id"]]
    assert [(r.credential_id, r.reason) for r in grant.refused] == [
        (credentials[0]["id"], "the same credential appears twice in the presentation")
    ]


def test_a_presentation_with_a_duplicate_key_is_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path)
    text = json.dumps(presentation(credentials[:1]), ensure_ascii=False)
    forged = text.replace('"name": ', '"name": "伪造", "name": ', 1)
    with pytest.raises(CredentialError, match='duplicate key "name"'):
        present(credit_bank(suite, tmp_path), forged)


def test_bad_presentations_are_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    bank = credit_bank(suite, tmp_path)
    for bad, message in [
        ("text", "not JSON"),
        ([1], "JSON object"),
        ({"type": ["VerifiableCredential"]}, "not a VerifiablePresentation"),
        (presentation([]), "no verifiableCredential"),
        (presentation(["x"]), "credential object"),
    ]:
        with pytest.raises(CredentialError, match=message):
            present(bank, bad)
    two_students = class_records(2)  # both bound to the one key, but two salted identities
    for document in two_students:
        document["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **document["credentialSubject"]}
    two_students = issue(suite, tmp_path, two_students)
    with pytest.raises(CredentialError, match="more than one subject"):
        present(bank, presentation(two_students))


def test_an_interrupted_import_is_finished_not_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path, 2)
    bank = credit_bank(suite, tmp_path)
    accepted = [(c, credential_hash(c), 0.5) for c in credentials]
    presented = presentation(credentials)
    grant_id, _, _ = bank._reserve(accepted, [], NOW, presented.challenge, holder_did(STUDENT_KEY.public))  # then "crash"
    bank.close()
    grant = present(credit_bank(suite, tmp_path), presented)
    assert grant.grant_id == grant_id and grant.credits == 1.0


def test_only_the_holder_presents_once_for_this_bank(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 12 item 5: a copy of a student's credentials is worth nothing to anyone else; a presentation
    answers one challenge of this bank's domain, once."""
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    credentials = one_students_records(suite, tmp_path, 2)
    bank = credit_bank(suite, tmp_path)
    thief = Ed25519KeyPair.from_seed(b"\x66" * 32)

    def refused(presented: Any, message: str, **kwargs: Any) -> None:
        with pytest.raises(CredentialError, match=message):
            bank.import_presentation(presented, now=NOW, **{"challenge": getattr(presented, "challenge", "x"), "domain": DOMAIN, **kwargs})

    # The thief presents the copies as themselves: every credential is someone else's.
    with pytest.raises(CredentialError, match="nothing to convert") as caught:
        present(bank, presentation(credentials, key=thief))
    assert str(caught.value).count("holder_binding: the credential's subject is another holder") == 2
    # ... or claims to be the student, signing with their own key.
    claimed = presentation(credentials, key=thief)
    claimed["holder"] = holder_did(STUDENT_KEY.public)
    refused(claimed, "holder_proof: the proof is by another key")
    claimed["proof"]["verificationMethod"] = STUDENT_KEY.public.verification_method
    refused(claimed, "holder_proof: the holder proof does not verify")
    unsigned = {k: v for k, v in presentation(credentials).items() if k != "proof"}
    refused(unsigned, "holder_proof: the presentation carries no holder proof")
    asserted = presentation(credentials)
    asserted["proof"]["proofPurpose"] = "assertionMethod"
    refused(asserted, "holder_proof: the holder proof's purpose")
    changed = presentation(credentials)
    changed["verifiableCredential"] = changed["verifiableCredential"][:1]
    refused(changed, "holder_proof: the holder proof does not verify")
    refused(presentation(credentials), "challenge: the presentation answers another challenge", challenge="another")
    refused(presentation(credentials, domain="evil.example"), "domain: the presentation is for domain 'evil.example'")

    genuine = presentation(credentials)
    grant = present(bank, genuine)
    assert grant.credits == 1.0 and grant.credential["credentialSubject"]["id"] == holder_did(STUDENT_KEY.public)
    refused(genuine, "challenge: this challenge was used already")


def test_credentials_bound_to_no_holder_are_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    unbound = issue(suite, tmp_path, class_records(1))
    with pytest.raises(CredentialError, match="holder_binding: the credential is bound to no holder"):
        present(credit_bank(suite, tmp_path), presentation(unbound))

"""Selective disclosure of issued credentials (issue 12 item 6): the school's ecdsa-sd-2023 base proof
at batch issuance beside the eddsa signature and the anchor, the holder's derived copy, the verifier's
judgement of it against the chain (P-256 key window, accreditation, anchor, DID document, status)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from ledger_service import CredentialError
from ledger_service.credentials import (
    ANCHOR_PROOF_TYPE,
    CANNOT_TELL,
    INVALID,
    RDFC_SUITE,
    SD_SUITE,
    VALID,
    BatchIssuer,
    P256KeyPair,
    StatusList,
    credential_hash,
    derive_credential,
    did_document,
    did_web,
    disclosable_pointers,
    is_derived,
    mandatory_pointers,
    sign,
    signing_method,
    status_list_hash,
    verify,
    verify_credential,
    verify_sd_derived,
)
from ledger_service.credentials._issuance import _sign_range
from tests.credentials.test_did_web import records
from tests.credentials.test_issuance import CREATED
from tests.credentials.test_verification import NOW, STATUS_TYPE, STATUS_URL, view
from tests.utils.institutions import FAR_FUTURE, GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

SD_KEY = P256KeyPair.from_secret(bytes(range(1, 33)))
DID = did_web("registry.example", SCHOOL)
REVEAL = ["/credentialSubject/achievement/fieldOfStudy"]


class Issued:
    def __init__(self, suite: PyEvmSuite, tmp_path: Path, count: int = 3, *, register: bool = True) -> None:
        build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
        if register:
            suite.transact("InstitutionRegistry", "addSigningKey", SCHOOL, SD_KEY.public.chain_key, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
        self.suite = suite
        self.status = StatusList(STATUS_URL, "revocation")
        documents = records(DID, count)
        for document in documents:
            document["credentialStatus"] = self.status.entry(self.status.allocate())
        issuer = BatchIssuer(
            tmp_path / "sd.sqlite3",
            sender=suite.sender(ISSUER_KEY),
            anchor=suite.contracts["CredentialAnchor"],
            directory=suite.contracts["InstitutionRegistry"],
            signing_key=SCHOOL_SIGNING_KEY,
            issuer_id=DID,
            sd_key=SD_KEY,
        )
        try:
            self.credentials = issuer.issue("sd", documents, credential_type=GROWTH_RECORD, created=CREATED).credentials
        finally:
            issuer.close()
        self.status_list = self.publish()

    def publish(self) -> dict[str, Any]:
        listed = sign(self.status.credential(issuer=DID, valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=RDFC_SUITE, created=CREATED)
        self.suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
        return listed

    def did_document(self) -> dict[str, Any]:
        return did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (SD_KEY.public, True)])

    def report(self, credential: Any, *, document: Any = None, resolver: Any = None) -> dict[str, Any]:
        listed = self.status_list
        document = document or self.did_document()
        return verify_credential(
            credential,
            chain=view(self.suite),
            now=NOW,
            status_resolver=lambda url: listed,
            did_resolver=resolver or (lambda did: copy.deepcopy(document)),
        ).as_dict()


def test_issued_credentials_carry_a_base_proof_beside_the_signature_and_the_anchor(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    credential = issued.credentials[0]
    assert [p.get("cryptosuite", p["type"]) for p in credential["proof"]] == ["eddsa-jcs-2022", SD_SUITE, ANCHOR_PROOF_TYPE]
    base = credential["proof"][1]
    assert base["verificationMethod"] == signing_method(DID, SD_KEY.public)
    assert base["nonce"] == "0x" + credential_hash(credential).hex() == credential["proof"][2]["credentialHash"]
    assert verify(credential), "the eddsa signature is judged on its own beside the base proof"
    assert issued.report(credential)["outcome"] == VALID, "the whole credential still verifies"
    pointers = mandatory_pointers(credential)
    assert {"/issuer", "/validFrom", "/type", "/credentialStatus", "/credentialSubject/identifier"} <= set(pointers)
    assert "/credentialSubject/achievement/description" in disclosable_pointers(credential), "the narrative is the holder's to show"


def test_a_derived_copy_reveals_only_what_was_chosen_and_verifies_against_the_chain(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)
    assert is_derived(derived) and not is_derived(issued.credentials[0])
    achievement = derived["credentialSubject"]["achievement"]
    assert achievement["fieldOfStudy"] == "社会实践" and "description" not in achievement and "name" not in derived
    assert derived["credentialSubject"]["identifier"] == issued.credentials[0]["credentialSubject"]["identifier"]
    assert derived["credentialStatus"] == issued.credentials[0]["credentialStatus"]
    assert [p["type"] for p in derived["proof"]] == ["DataIntegrityProof", ANCHOR_PROOF_TYPE], "the anchor proof travels along"
    assert verify_sd_derived(derived, SD_KEY.public) == (True, "")
    report = issued.report(derived)
    assert report["outcome"] == VALID, report
    assert {c["name"] for c in report["checks"]} >= {"canonical_hash", "merkle_path", "anchored", "signing_key", "did_document", "status"}
    # Revealing the narrative too is the holder's choice, and verifies as well.
    assert (
        issued.report(derive_credential(issued.credentials[1], ["/credentialSubject/achievement/description", "/name"]))["outcome"] == VALID
    )


def test_any_one_field_change_of_a_derived_copy_is_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)

    def changed(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(derived)
        change(copied)
        return issued.report(copied)

    cases = {
        "revealed field": lambda d: d["credentialSubject"]["achievement"].__setitem__("fieldOfStudy", "学业水平"),
        "mandatory validFrom": lambda d: d.__setitem__("validFrom", "2026-11-23T00:00:00Z"),
        "issuer name": lambda d: d["issuer"].__setitem__("name", "另一所学校"),
        "subject binding": lambda d: d["credentialSubject"]["identifier"][0].__setitem__("salt", "00" * 16),
        "status index": lambda d: d["credentialStatus"].__setitem__("statusListIndex", "7"),
        "proof created": lambda d: d["proof"][0].__setitem__("created", "2026-11-21T08:00:00Z"),
        "added field": lambda d: d.__setitem__("name", "成长档案：思想品德"),
    }
    for name, change in cases.items():
        report = changed(change)
        assert report["outcome"] == INVALID and report["failed_check"] == "issuer_signature", (name, report)
    nonce = changed(lambda d: d["proof"][0].__setitem__("nonce", "0x" + "11" * 32))
    assert (nonce["outcome"], nonce["failed_check"]) == (INVALID, "canonical_hash"), "another anchored hash than the issuer signed"
    other = derive_credential(issued.credentials[1], REVEAL)["proof"][1]
    swapped = changed(lambda d: d["proof"].__setitem__(1, other))
    assert (swapped["outcome"], swapped["failed_check"]) == (INVALID, "canonical_hash"), "a classmate's anchor proof"


def test_a_derived_copy_hiding_a_mandatory_field_is_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)
    for pointer in ("credentialStatus", "validFrom"):
        hidden = copy.deepcopy(derived)
        del hidden[pointer]
        report = issued.report(hidden)
        assert (report["outcome"], report["failed_check"]) == (INVALID, "issuer_signature"), report
        detail = next(c["detail"] for c in report["checks"] if c["name"] == "issuer_signature")
        assert "mandatory statement" in detail, detail
    hidden = copy.deepcopy(derived)
    del hidden["credentialSubject"]["identifier"]
    assert issued.report(hidden)["failed_check"] == "issuer_signature"
    with pytest.raises(CredentialError, match="does not match"):
        derive_credential(issued.credentials[0], ["/credentialSubject/nothing"])


def test_a_p256_key_revoked_on_chain_makes_derived_copies_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)
    suite.transact("InstitutionRegistry", "revokeSigningKey", SD_KEY.public.chain_key, 1, by=SCHOOL_ADMIN)  # revoked from the start
    document = did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (SD_KEY.public, False)])
    report = issued.report(derived, document=document)
    assert (report["outcome"], report["failed_check"]) == (INVALID, "signing_key"), report
    # A DID document still listing the key the chain revoked disagrees with the chain.
    listed = issued.report(derived)
    assert listed["outcome"] == INVALID and {c["name"] for c in listed["checks"] if c["result"] == "fail"} >= {"did_document"}


def test_an_unregistered_p256_key_signs_nothing(suite: PyEvmSuite, tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="P-256 key .* is not registered"):
        Issued(suite, tmp_path, register=False)


def test_a_derived_copy_whose_did_document_cannot_be_had_is_cannot_tell(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)

    def unreachable(did: str) -> Any:
        raise OSError("connection refused")

    report = issued.report(derived, resolver=unreachable)
    assert (report["outcome"], report["failed_check"]) == (CANNOT_TELL, None), report
    omitted = issued.report(derived, document=did_document(DID, [(SCHOOL_SIGNING_KEY.public, True)]))
    assert (omitted["outcome"], omitted["failed_check"]) == (INVALID, "did_document"), "a document without the P-256 key disagrees"


def test_a_revoked_credential_stays_revoked_when_derived(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    issued.status.set(int(issued.credentials[0]["credentialStatus"]["statusListIndex"]))
    issued.status_list = issued.publish()
    report = issued.report(derive_credential(issued.credentials[0], REVEAL))
    assert (report["outcome"], report["failed_check"]) == (INVALID, "status"), report


def test_base_proofs_are_signed_in_the_workers_pass_over_the_same_hash() -> None:
    documents = records(DID, 3)
    results = _sign_range(documents, SCHOOL_SIGNING_KEY.seed, "eddsa-jcs-2022", CREATED, "m", (SD_KEY.secret, "did:x#k"), 0, 3)
    for document, (value, _, text, base) in zip(documents, results, strict=True):
        assert value == credential_hash(document) and base is not None and base["nonce"] == "0x" + value.hex()
        assert base["proofValue"] in text, "the journal keeps the base proof"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


def test_every_one_field_change_of_a_derived_copy_is_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Each leaf of a derived copy changed on its own: never valid. (The anchor proof's block number is left
    out: online the transaction decides, as for whole credentials — see test_fuzz_verification.)"""
    issued = Issued(suite, tmp_path, count=1)
    derived = derive_credential(issued.credentials[0], REVEAL)
    assert issued.report(derived)["outcome"] == VALID
    leaves = [path for path in _leaves(derived) if path != ("proof", 1, "blockNumber")]
    assert len(leaves) > 30
    for path in leaves:
        changed = copy.deepcopy(derived)
        parent = changed
        for step in path[:-1]:
            parent = parent[step]
        value = parent[path[-1]]
        if isinstance(value, bool):
            parent[path[-1]] = not value
        elif isinstance(value, int):
            parent[path[-1]] = value + 1
        elif isinstance(value, str) and value.startswith("0x") and len(value) > 3:
            parent[path[-1]] = value[:-1] + ("0" if value[-1] != "0" else "1")
        else:
            parent[path[-1]] = f"{value}x"
        report = issued.report(changed)
        assert report["outcome"] != VALID, (path, report)


def test_hostile_derived_copies_are_reported_never_raised(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path, count=1)
    derived = derive_credential(issued.credentials[0], REVEAL)
    header = "u2V0B"  # base64url of the derived proof's CBOR tag, then garbage

    def proof_set(**changes: Any) -> dict[str, Any]:
        changed = copy.deepcopy(derived)
        changed["proof"][0].update(changes)
        return changed

    hostile = {
        "garbage CBOR": proof_set(proofValue=header + "____"),
        "a base proof's value": proof_set(proofValue=issued.credentials[0]["proof"][1]["proofValue"]),
        "nonce not a string": proof_set(nonce=7),
        "an Ed25519 key as the method": proof_set(verificationMethod=f"{DID}#{SCHOOL_SIGNING_KEY.public.multibase}"),
        "a did:key method": proof_set(verificationMethod=SD_KEY.public.verification_method),
        "another issuer's method": proof_set(verificationMethod=f"{did_web('elsewhere.example', SCHOOL)}#{SD_KEY.public.multibase}"),
        "two sd proofs": {**derived, "proof": [derived["proof"][0], derived["proof"][0], derived["proof"][1]]},
        "no anchor proof": {**derived, "proof": derived["proof"][0]},
    }
    for name, document in hostile.items():
        report = issued.report(document)
        assert report["outcome"] == INVALID, (name, report)

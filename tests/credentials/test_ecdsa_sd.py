"""ecdsa-sd-2023 (W3C vc-di-ecdsa) against the W3C vectors in shared/conformance, byte for byte at every
step — canonical and HMAC-relabelled statements, mandatory grouping, hashes, signatures (deterministic
ECDSA reproduces them), base and derived proof values, the revealed document — and any one change refused."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from ledger_service.credentials import canonicalize_rdfc
from ledger_service.credentials._ecdsa_sd import (
    P256KeyPair,
    P256PublicKey,
    canonicalize_and_group,
    derive_sd,
    disclosure_data,
    hmac_label_map,
    parse_base_proof,
    sign_sd_base,
    verify_sd_derived,
)
from tests.utils.conformance import conformance_file, load_json

EXAMPLES = {
    "employ": ("employmentAuth.json", "employMandatory.json", "employSelective.json"),
    "prc": ("prCredUnsigned.json", "prCredMandatory.json", "prCredSelective.json"),
}


class Vector:
    def __init__(self, name: str) -> None:
        unsigned, mandatory, selective = EXAMPLES[name]
        self.folder = f"vc-di-ecdsa/ecdsa-sd-2023/{name}/"
        # The document the vectors were made from: the signed one without its proof. (The repository's
        # prCredUnsigned.json words its description differently from the prc vectors; employ's is the same.)
        self.unsigned: dict[str, Any] = {k: v for k, v in self("addSignedSDBase.json").items() if k != "proof"}
        if name == "employ":
            assert self.unsigned == load_json(f"vc-di-ecdsa/{unsigned}")
        self.mandatory: list[str] = load_json(f"vc-di-ecdsa/{mandatory}")
        self.selective: list[str] = load_json(f"vc-di-ecdsa/{selective}")
        keys = load_json("vc-di-ecdsa/ecdsa-sd-2023/SDKeyMaterial.json")
        self.base_key = P256KeyPair.from_multibase(keys["baseKeyPair"]["secretKeyMultibase"])
        self.proof_key = P256KeyPair.from_multibase(keys["proofKeyPair"]["secretKeyMultibase"])
        self.hmac_key = bytes.fromhex(keys["hmacKeyString"])
        assert self.base_key.public.multibase == keys["baseKeyPair"]["publicKeyMultibase"]

    def __call__(self, file: str) -> Any:
        return load_json(self.folder + file)


@pytest.fixture(params=sorted(EXAMPLES))
def vector(request: pytest.FixtureRequest) -> Vector:
    return Vector(request.param)


def test_the_base_transformation_reproduces_every_step(vector: Vector) -> None:
    groups, quads, _ = canonicalize_and_group(vector.unsigned, hmac_label_map(vector.hmac_key), {"mandatory": vector.mandatory})
    assert quads == vector("addBaseDocHMACCanon.json")
    transform = vector("addBaseTransform.json")
    assert [[i, q] for i, q in groups["mandatory"].matching.items()] == transform["mandatory"]["value"]
    assert [[i, q] for i, q in groups["mandatory"].non_matching.items()] == transform["nonMandatory"]["value"]
    config = vector("addProofConfig.json")
    assert canonicalize_rdfc(config).decode() == conformance_file(vector.folder + "addProofConfigCanon.txt").read_text()
    hashes = vector("addHashData.json")
    assert hashlib.sha256(canonicalize_rdfc(config)).hexdigest() == hashes["proofHash"]
    assert hashlib.sha256("".join(groups["mandatory"].matching.values()).encode()).hexdigest() == hashes["mandatoryHash"]


def test_the_base_proof_is_reproduced_byte_for_byte(vector: Vector) -> None:
    expected = vector("addSignedSDBase.json")
    config = vector("addProofConfig.json")
    signed = sign_sd_base(
        vector.unsigned,
        vector.base_key,
        created=config["created"],
        mandatory_pointers=vector.mandatory,
        hmac_key=vector.hmac_key,
        proof_key=vector.proof_key,
    )
    assert signed == expected
    raw = vector("addRawBaseSignatureInfo.json")
    base_signature, public_key, hmac_key, signatures, pointers = parse_base_proof(signed["proof"])
    assert base_signature.hex() == raw["baseSignature"] and [s.hex() for s in signatures] == raw["signatures"]
    assert P256PublicKey.from_multikey(public_key).multibase == raw["publicKey"] and pointers == raw["mandatoryPointers"]
    assert hmac_key == vector.hmac_key


def test_the_derived_proof_is_reproduced_byte_for_byte_and_verifies(vector: Vector) -> None:
    signed = vector("addSignedSDBase.json")
    data = disclosure_data(signed, vector.selective)
    expected = vector("derivedDisclosureData.json")
    assert data.base_signature.hex() == expected["baseSignature"]
    assert [s.hex() for s in data.signatures] == expected["signatures"]
    assert data.label_map == dict(expected["labelMap"]["value"])
    assert data.mandatory_indexes == expected["mandatoryIndexes"] == vector("derivedAdjMandatoryIndexes.json")["adjMandatoryIndexes"]
    revealed = vector("derivedRevealDocument.json")
    derived = derive_sd(signed, vector.selective)
    assert derived == revealed
    assert verify_sd_derived(revealed) == (True, "")


def test_the_verifier_rebuilds_the_statements_of_the_vector(vector: Vector) -> None:
    from ledger_service.credentials._ecdsa_sd import _label_replacement_canonicalize, _to_deskolemized_nquads, parse_derived_proof

    revealed = vector("derivedRevealDocument.json")
    _, _, _, labels, _ = parse_derived_proof(revealed["proof"])
    unsecured = {k: v for k, v in revealed.items() if k != "proof"}
    quads, _ = _label_replacement_canonicalize(_to_deskolemized_nquads(unsecured), lambda issued: {c: labels[c] for c in issued.values()})
    assert quads == vector("verifyNQuads.json")


def _leaves(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(document, dict):
        return [p for key, value in document.items() for p in _leaves(value, (*path, key))]
    if isinstance(document, list):
        return [p for index, value in enumerate(document) for p in _leaves(value, (*path, index))]
    return [path]


def test_any_one_field_change_of_a_derived_credential_is_refused(vector: Vector) -> None:
    revealed = vector("derivedRevealDocument.json")
    for path in _leaves({k: v for k, v in revealed.items() if k not in ("@context", "proof")}):
        changed = copy.deepcopy(revealed)
        target = changed
        for step in path[:-1]:
            target = target[step]
        value = target[path[-1]]
        target[path[-1]] = value + "x" if isinstance(value, str) else "changed"
        assert verify_sd_derived(changed)[0] is False, path
    for field in ("created", "verificationMethod", "proofPurpose"):
        changed = copy.deepcopy(revealed)
        changed["proof"][field] = "x" + str(changed["proof"][field])
        assert verify_sd_derived(changed)[0] is False, field


def test_a_derived_credential_must_reveal_what_the_base_proof_made_mandatory(vector: Vector) -> None:
    revealed = vector("derivedRevealDocument.json")
    omitted = copy.deepcopy(revealed)
    del omitted["issuer"]  # the mandatory pointer /issuer
    ok, why = verify_sd_derived(omitted)
    assert not ok and ("mandatory" in why or "label map" in why or "signatures" in why or "indexes" in why), why
    extra = copy.deepcopy(revealed)
    extra["credentialSubject"]["givenName"] = "Mallory"  # a field never revealed (its signature is not in the proof)
    assert verify_sd_derived(extra)[0] is False
    assert verify_sd_derived(vector("addSignedSDBase.json")) == (False, "the ecdsa-sd-2023 proofValue is not a derived proof")


def test_a_fresh_base_proof_derives_and_verifies(vector: Vector) -> None:
    """With a random HMAC key and ephemeral key: any selection of fields verifies; the hidden ones stay hidden."""
    key = P256KeyPair.generate()
    signed = sign_sd_base(vector.unsigned, key, created="2026-11-30T00:00:00Z", mandatory_pointers=vector.mandatory)
    for selection in ([], vector.selective, vector.selective[:1]):
        derived = derive_sd(signed, selection)
        assert verify_sd_derived(derived) == (True, "")
        assert verify_sd_derived(derived, P256KeyPair.generate().public)[0] is False, "another issuer key"
    hidden = derive_sd(signed, [])
    assert "validFrom" not in hidden and hidden["issuer"] == vector.unsigned["issuer"]


def test_hostile_proof_values_and_pointers_are_refused_naming_why(vector: Vector) -> None:
    import base64

    from ledger_service import CredentialError

    revealed = vector("derivedRevealDocument.json")

    def with_value(raw: bytes | None) -> dict[str, Any]:
        changed = copy.deepcopy(revealed)
        changed["proof"]["proofValue"] = "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=") if raw is not None else "u***"
        return changed

    header = b"\xd9\x5d\x01"
    for raw, words in (
        (header + b"\x81" * 100_000 + b"\x00", "nesting depth"),
        (header + b"\x85\x5b" + b"\xff" * 8, "premature end"),
        (header + b"\xd8\x1c\x00", "array of 5"),
        (header + b"\xff\xff", "not CBOR"),
        (None, "not a derived proof"),
    ):
        ok, why = verify_sd_derived(with_value(raw))
        assert not ok and words in why, (words, why)
    assert verify_sd_derived("not a document") == (False, "not a JSON object")
    with pytest.raises(CredentialError, match="does not match"):
        derive_sd(vector("addSignedSDBase.json"), ["/credentialSubject/noSuchField"])
    with pytest.raises(CredentialError, match="must start with"):
        derive_sd(vector("addSignedSDBase.json"), ["credentialSubject"])

"""Selective disclosure: Data Integrity ``ecdsa-sd-2023`` (W3C vc-di-ecdsa §3.4, di-sd-primitives).

The issuer's base proof signs, with its P-256 key, the hash of the proof configuration, an
ephemeral P-256 public key and the hash of the *mandatory* statements (the N-Quads selected by the
mandatory JSON pointers); every other statement is signed on its own by the ephemeral key. Blank
nodes are relabelled by an HMAC whose key travels in the base proof to the holder only, so a
derived credential reveals no more about the hidden statements than their count.

The holder derives a credential revealing the mandatory statements and the ones chosen by
JSON pointers, with the signatures of the revealed statements and the label map of the revealed
blank nodes; a verifier rebuilds the statements from the revealed document and checks each.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld  # type: ignore[import-untyped]
from pyld.canon import URDNA2015  # type: ignore[import-untyped]

from .._exceptions import CredentialError, InvalidKeyError
from ._jsonld import canonicalize_rdfc, document_loader, expand_safe
from ._keys import base58btc_decode, base58btc_encode

__all__ = [
    "SD_SUITE",
    "P256KeyPair",
    "P256PublicKey",
    "derive_sd",
    "is_derived",
    "sd_proof_of",
    "sign_sd_base",
    "verify_sd_derived",
]

SD_SUITE = "ecdsa-sd-2023"
_P256_PUBLIC, _P256_SECRET = b"\x80\x24", b"\x86\x26"
_BASE_HEADER, _DERIVED_HEADER = b"\xd9\x5d\x00", b"\xd9\x5d\x01"
_SKOLEM = "urn:bnid:"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
MAX_SD_STATEMENTS = 10_000  # a credential is tens of statements


# Keys...


@dataclass(frozen=True)
class P256PublicKey:
    key: ec.EllipticCurvePublicKey

    @classmethod
    def from_multibase(cls, text: str) -> P256PublicKey:
        return cls.from_multikey(base58btc_decode(text))

    @classmethod
    def from_multikey(cls, raw: bytes) -> P256PublicKey:
        if not raw.startswith(_P256_PUBLIC) or len(raw) != 35:
            raise InvalidKeyError("not a P-256 public key (multicodec 0x1200, 33 bytes compressed)")
        try:
            return cls(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:]))
        except ValueError as exc:
            raise InvalidKeyError(f"not a P-256 point: {exc}") from None

    @property
    def multikey(self) -> bytes:
        return _P256_PUBLIC + self.key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)

    @property
    def multibase(self) -> str:
        return base58btc_encode(self.multikey)

    @property
    def verification_method(self) -> str:
        return f"did:key:{self.multibase}#{self.multibase}"

    @property
    def chain_key(self) -> bytes:
        """The 32 bytes the key is registered under on chain (``InstitutionRegistry.addSigningKey``
        takes a bytes32; a P-256 multikey is 35 bytes): sha256 of the multikey."""
        return hashlib.sha256(self.multikey).digest()

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self.key.verify(der, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class P256KeyPair:
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> P256KeyPair:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_multibase(cls, secret: str) -> P256KeyPair:
        raw = base58btc_decode(secret)
        if not raw.startswith(_P256_SECRET) or len(raw) != 34:
            raise InvalidKeyError("not a P-256 secret key (multicodec 0x1306, 32 bytes)")
        return cls(ec.derive_private_key(int.from_bytes(raw[2:], "big"), ec.SECP256R1()))

    @property
    def public(self) -> P256PublicKey:
        return P256PublicKey(self.private.public_key())

    @property
    def secret(self) -> bytes:
        return self.private.private_numbers().private_value.to_bytes(32, "big")

    @classmethod
    def from_secret(cls, secret: bytes) -> P256KeyPair:
        if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < _P256_ORDER:
            raise InvalidKeyError("a P-256 secret is 32 bytes, a scalar below the group order")
        return cls(ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1()))

    @property
    def secret_multibase(self) -> str:
        return base58btc_encode(_P256_SECRET + self.secret)

    def __repr__(self) -> str:
        return f"P256KeyPair(public={self.public.multibase})"

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 / SHA-256, deterministic (RFC 6979, as the W3C vectors are), IEEE P1363 (r ‖ s, 64 bytes)."""
        r, s = decode_dss_signature(self.private.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# di-sd-primitives...


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise CredentialError(f"not base64url: {exc}") from None


def hmac_label_map(key: bytes) -> Callable[[dict[str, str]], dict[str, str]]:
    """createHmacIdLabelMapFunction: canonical label ``c14nN`` → ``u`` + base64url(HMAC-SHA256(key, c14nN))."""

    def labels(canonical: dict[str, str]) -> dict[str, str]:
        return {c14n: "u" + _b64url(hmac.new(key, c14n.encode(), hashlib.sha256).digest()) for c14n in canonical.values()}

    return labels


def _canonical_map(nquads: str) -> tuple[dict[str, str], list[str]]:
    """(input blank node label → canonical label, without ``_:``), and the canonical N-Quads, one per line."""
    dataset = jsonld.JsonLdProcessor.parse_nquads(nquads)
    algorithm = URDNA2015()
    text = algorithm.main(dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    issued = {old[2:]: new[2:] for old, new in algorithm.canonical_issuer.existing.items()}
    return issued, [line + "\n" for line in str(text).splitlines()]


_BLANK = re.compile(r"_:([A-Za-z0-9_\-]+)")


def _relabel(quads: Sequence[str], labels: dict[str, str]) -> list[str]:
    def swap(match: re.Match[str]) -> str:
        label = labels.get(match.group(1))
        if label is None:
            raise CredentialError(f"no label for blank node _:{match.group(1)}")
        return "_:" + label

    return [_BLANK.sub(swap, quad) for quad in quads]


def _label_replacement_canonicalize(nquads: str, factory: Callable[[dict[str, str]], dict[str, str]]) -> tuple[list[str], dict[str, str]]:
    """labelReplacementCanonicalizeNQuads: the canonical quads relabelled by ``factory`` and sorted, and
    the map input label → new label."""
    issued, canonical = _canonical_map(nquads)
    replacement = factory(issued)
    relabelled = sorted(_relabel(canonical, replacement))
    return relabelled, {old: replacement[c14n] for old, c14n in issued.items()}


def _skolemize(expanded: Any, counter: list[int]) -> Any:
    """skolemizeExpandedJsonLd: every node object without an id (or with a blank one) gets ``urn:bnid:<label>``."""
    if isinstance(expanded, list):
        return [_skolemize(item, counter) for item in expanded]
    if not isinstance(expanded, dict) or "@value" in expanded:
        return expanded
    node = {key: _skolemize(value, counter) for key, value in expanded.items()}
    if "@list" in node or "@set" in node:
        return node
    node_id = node.get("@id")
    if node_id is None:
        node["@id"] = f"{_SKOLEM}b{counter[0]}"
        counter[0] += 1
    elif isinstance(node_id, str) and node_id.startswith("_:"):
        node["@id"] = _SKOLEM + node_id[2:]
    return node


def _to_deskolemized_nquads(document: Any, *, checked: bool = False) -> str:
    """toDeskolemizedNQuads of a (skolemized) JSON-LD document; expanded in safe mode first unless
    ``checked`` (a part of a document that was: nothing in it can be undefined)."""
    if not checked:
        expand_safe(document if isinstance(document, dict) else {"@graph": document})
    quads = jsonld.to_rdf(copy.deepcopy(document), {"format": "application/n-quads", "documentLoader": document_loader})
    return re.sub(r"<urn:bnid:([^>]+)>", r"_:\1", str(quads))


def _parse_pointer(pointer: str) -> list[str | int]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise CredentialError(f"JSON pointer {str(pointer)[:80]!r} must start with '/'")
    parts: list[str | int] = []
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def _initial_selection(source: Any) -> dict[str, Any]:
    selection: dict[str, Any] = {}
    if isinstance(source, dict):
        if isinstance(source.get("id"), str) and not source["id"].startswith("_:"):
            selection["id"] = source["id"]
        if "type" in source:
            selection["type"] = source["type"]
    return selection


class _Sparse(dict[int, Any]):
    """A JSON array selected in part (kept in order, holes dropped)."""


def select_json_ld(pointers: Sequence[str], document: dict[str, Any]) -> dict[str, Any] | None:
    """selectJsonLd: the part of ``document`` the JSON pointers select, with the ids and types of the
    objects along each path and the document's @context."""
    if not pointers:
        return None
    selection = _initial_selection(document)
    selection["@context"] = copy.deepcopy(document.get("@context"))
    for pointer in pointers:
        path = _parse_pointer(pointer)
        value: Any = document
        selected_parent: Any = None
        selected: Any = selection
        covered = False
        for step in path:
            if not isinstance(selected, dict):  # inside a value an earlier pointer selected whole: already there
                covered = True
                break
            selected_parent = selected
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                raise CredentialError(f"JSON pointer {pointer} does not match the document") from None
            child = selected_parent.get(step) if isinstance(selected_parent, dict) else None
            if child is None:
                child = _Sparse() if isinstance(value, list) else _initial_selection(value)
                selected_parent[step] = child
            selected = child
        if covered:
            continue
        if not isinstance(value, (dict, list)):
            final: Any = value
        elif isinstance(value, list):
            final = copy.deepcopy(value)
        else:
            final = {**selected, **copy.deepcopy(value)} if isinstance(selected, dict) else copy.deepcopy(value)
        selected_parent[path[-1]] = final
    return _dense(selection)  # type: ignore[no-any-return]


def _dense(value: Any) -> Any:
    if isinstance(value, _Sparse):
        return [_dense(value[index]) for index in sorted(value)]
    if isinstance(value, dict):
        return {key: _dense(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dense(item) for item in value]
    return value


@dataclass
class _Group:
    matching: dict[int, str]
    non_matching: dict[int, str]
    deskolemized_nquads: str


def canonicalize_and_group(
    document: dict[str, Any], factory: Callable[[dict[str, str]], dict[str, str]], groups: dict[str, Sequence[str]]
) -> tuple[dict[str, _Group], list[str], dict[str, str]]:
    """canonicalizeAndGroup: the document's relabelled, sorted statements, each group's statements
    (by index) selected by its JSON pointers or not, and the label map (input label → new label)."""
    # Expanded once, in safe mode (an undefined term raises): the skolemized form and every selection
    # are parts of it, so they are not checked again. The whole document's N-Quads come from the
    # skolemized expansion itself (compacting it first, as the spec's steps do, changes no statement).
    expanded = expand_safe(copy.deepcopy(document))
    skolemized_expanded = _skolemize(expanded, [0])
    skolemized = jsonld.compact(
        copy.deepcopy(skolemized_expanded), {"@context": document.get("@context")}, {"documentLoader": document_loader}
    )
    nquads = _to_deskolemized_nquads(skolemized_expanded, checked=True)
    quads, label_map = _label_replacement_canonicalize(nquads, factory)
    if len(quads) > MAX_SD_STATEMENTS:
        raise CredentialError(f"more than {MAX_SD_STATEMENTS} statements")
    result = {}
    for name, pointers in groups.items():
        selection = select_json_ld(pointers, skolemized)
        selected_nquads = _to_deskolemized_nquads(selection, checked=True) if selection is not None else ""
        selected = set(_relabel([line + "\n" for line in selected_nquads.splitlines()], label_map))
        matching = {i: q for i, q in enumerate(quads) if q in selected}
        non_matching = {i: q for i, q in enumerate(quads) if q not in selected}
        result[name] = _Group(matching, non_matching, selected_nquads)
    return result, quads, label_map


# ecdsa-sd-2023...


def _proof_config(
    document: dict[str, Any], created: str, verification_method: str, proof_purpose: str, nonce: str | None = None
) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": SD_SUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        **({"nonce": nonce} if nonce is not None else {}),
        "@context": document.get("@context"),
    }


def _proof_hash(config: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonicalize_rdfc(config)).digest()


def _mandatory_hash(quads: Sequence[str]) -> bytes:
    return hashlib.sha256("".join(quads).encode()).digest()


def sign_sd_base(
    document: dict[str, Any],
    key: P256KeyPair,
    *,
    created: str,
    mandatory_pointers: Sequence[str],
    verification_method: str | None = None,
    hmac_key: bytes | None = None,
    proof_key: P256KeyPair | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` with the issuer's ecdsa-sd-2023 base proof (added beside any other proof).

    ``nonce`` (Data Integrity's ``nonce``, signed with the proof configuration and carried into every
    derived proof) lets the issuer sign a value about the whole credential that a derived copy keeps:
    EduLedger signs there the credential's anchored hash (see :func:`anchored_hash_of`)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    hmac_key = hmac_key if hmac_key is not None else secrets.token_bytes(32)
    proof_key = proof_key or P256KeyPair.generate()
    method = verification_method or key.public.verification_method
    config = _proof_config(unsecured, created, method, "assertionMethod", nonce)
    groups, _, _ = canonicalize_and_group(unsecured, hmac_label_map(hmac_key), {"mandatory": list(mandatory_pointers)})
    mandatory = groups["mandatory"]
    to_sign = _proof_hash(config) + proof_key.public.multikey + _mandatory_hash(list(mandatory.matching.values()))
    base_signature = key.sign(to_sign)
    signatures = [proof_key.sign(quad.encode()) for quad in mandatory.non_matching.values()]
    value = _BASE_HEADER + cbor2.dumps([base_signature, proof_key.public.multikey, hmac_key, signatures, list(mandatory_pointers)])
    proof = {k: v for k, v in config.items() if k != "@context"} | {"proofValue": "u" + _b64url(value)}
    existing = document.get("proof")
    proofs = [] if existing is None else existing if isinstance(existing, list) else [existing]
    return {**copy.deepcopy(unsecured), "proof": [*proofs, proof] if proofs else proof}


def is_derived(document: Any) -> bool:
    """Whether ``document`` carries an ecdsa-sd-2023 *derived* proof (a selectively disclosed copy)."""
    if not isinstance(document, dict):
        return False
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and proof.get("cryptosuite") == SD_SUITE:
            value = proof.get("proofValue")
            if isinstance(value, str) and value.startswith("u"):
                try:
                    return base64.urlsafe_b64decode(value[1:5] + "=" * (-len(value[1:5]) % 4)).startswith(_DERIVED_HEADER)
                except ValueError:
                    return False
    return False


def sd_proof_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one ecdsa-sd-2023 proof (raises :class:`CredentialError` when there is none, or several)."""
    return _sd_proof(document)


def _sd_proof(document: dict[str, Any]) -> dict[str, Any]:
    proof = document.get("proof")
    found = [p for p in (proof if isinstance(proof, list) else [proof]) if isinstance(p, dict) and p.get("cryptosuite") == SD_SUITE]
    if len(found) != 1:
        raise CredentialError("the document carries no single ecdsa-sd-2023 proof")
    return found[0]


def _decode(proof: dict[str, Any], header: bytes) -> list[Any]:
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("u"):
        raise CredentialError("the ecdsa-sd-2023 proofValue must be multibase base64url ('u…')")
    raw = _unb64url(value[1:])
    if not raw.startswith(header):
        kind = "base" if header == _BASE_HEADER else "derived"
        raise CredentialError(f"the ecdsa-sd-2023 proofValue is not a {kind} proof")
    try:
        decoded = cbor2.loads(raw[3:])
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise CredentialError(f"the ecdsa-sd-2023 proofValue is not CBOR: {exc}") from None
    if not isinstance(decoded, list) or len(decoded) != 5:
        raise CredentialError("the ecdsa-sd-2023 proofValue must be a CBOR array of 5 components")
    return decoded


def parse_base_proof(proof: dict[str, Any]) -> tuple[bytes, bytes, bytes, list[bytes], list[str]]:
    """(base signature, ephemeral public key (multikey), HMAC key, signatures, mandatory pointers)."""
    base_signature, public_key, hmac_key, signatures, pointers = _decode(proof, _BASE_HEADER)
    if not (
        isinstance(base_signature, bytes)
        and isinstance(public_key, bytes)
        and isinstance(hmac_key, bytes)
        and isinstance(signatures, list)
        and all(isinstance(s, bytes) for s in signatures)
        and isinstance(pointers, list)
        and all(isinstance(p, str) for p in pointers)
    ):
        raise CredentialError("the ecdsa-sd-2023 base proofValue is malformed")
    return base_signature, public_key, hmac_key, signatures, pointers


def parse_derived_proof(proof: dict[str, Any]) -> tuple[bytes, bytes, list[bytes], dict[str, str], list[int]]:
    """(base signature, ephemeral public key, signatures, label map c14nN → uXXX, mandatory indexes)."""
    base_signature, public_key, signatures, compressed, indexes = _decode(proof, _DERIVED_HEADER)
    if not (
        isinstance(base_signature, bytes)
        and isinstance(public_key, bytes)
        and isinstance(signatures, list)
        and all(isinstance(s, bytes) for s in signatures)
        and isinstance(compressed, dict)
        and all(isinstance(k, int) and isinstance(v, bytes) for k, v in compressed.items())
        and isinstance(indexes, list)
        and all(type(i) is int for i in indexes)
    ):
        raise CredentialError("the ecdsa-sd-2023 derived proofValue is malformed")
    labels = {f"c14n{k}": "u" + _b64url(v) for k, v in compressed.items()}
    return base_signature, public_key, signatures, labels, indexes


@dataclass(frozen=True)
class DisclosureData:
    base_signature: bytes
    public_key: bytes
    signatures: list[bytes]
    label_map: dict[str, str]
    mandatory_indexes: list[int]
    reveal_document: dict[str, Any]


def disclosure_data(document: dict[str, Any], selective_pointers: Sequence[str]) -> DisclosureData:
    """createDisclosureData: what a derived proof carries, and the revealed document."""
    proof = _sd_proof(document)
    base_signature, public_key, hmac_key, signatures, mandatory_pointers = parse_base_proof(proof)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    combined_pointers = [*mandatory_pointers, *selective_pointers]
    groups, _, label_map = canonicalize_and_group(
        unsecured,
        hmac_label_map(hmac_key),
        {"mandatory": mandatory_pointers, "selective": list(selective_pointers), "combined": combined_pointers},
    )
    mandatory, selective, combined = groups["mandatory"], groups["selective"], groups["combined"]
    mandatory_indexes = [relative for relative, absolute in enumerate(combined.matching) if absolute in mandatory.matching]
    filtered, index = [], 0
    for signature in signatures:
        while index in mandatory.matching:
            index += 1
        if index in selective.matching:
            filtered.append(signature)
        index += 1
    reveal = select_json_ld(combined_pointers, unsecured)
    if reveal is None:
        raise CredentialError("nothing is revealed")
    issued, _ = _canonical_map(combined.deskolemized_nquads)
    verifier_labels = {c14n: label_map[old] for old, c14n in issued.items()}
    return DisclosureData(base_signature, public_key, filtered, verifier_labels, mandatory_indexes, reveal)


def derive_sd(document: dict[str, Any], selective_pointers: Sequence[str]) -> dict[str, Any]:
    """The holder's derived credential: the mandatory statements and those ``selective_pointers``
    select, with an ecdsa-sd-2023 derived proof (other proofs, such as the anchor, are not carried)."""
    data = disclosure_data(document, selective_pointers)
    compressed = {int(k[4:]): _unb64url(v[1:]) for k, v in data.label_map.items()}
    value = _DERIVED_HEADER + cbor2.dumps([data.base_signature, data.public_key, data.signatures, compressed, data.mandatory_indexes])
    proof = {**_sd_proof(document), "proofValue": "u" + _b64url(value)}
    return {**data.reveal_document, "proof": proof}


def verify_sd_derived(document: Any, public_key: P256PublicKey | None = None) -> tuple[bool, str]:
    """(verified, why not) for a derived ecdsa-sd-2023 credential: the issuer's base signature over the
    proof configuration, the ephemeral key and the mandatory statements, and each revealed statement's
    signature. The issuer key is ``public_key`` or the proof's did:key."""
    try:
        if not isinstance(document, dict):
            raise CredentialError("not a JSON object")
        proof = _sd_proof(document)
        base_signature, ephemeral, signatures, labels, mandatory_indexes = parse_derived_proof(proof)
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = unsecured.get("@context")
        nquads = _to_deskolemized_nquads(unsecured)
        quads, _ = _label_replacement_canonicalize(nquads, lambda issued: {c14n: labels[c14n] for c14n in issued.values()})
        proof_hash = _proof_hash(config)
    except KeyError:
        return False, "the derived proof's label map does not cover the revealed blank nodes"
    except (CredentialError, InvalidKeyError) as exc:
        return False, str(exc)
    if any(not 0 <= i < len(quads) for i in mandatory_indexes) or len(set(mandatory_indexes)) != len(mandatory_indexes):
        return False, "the derived proof's mandatory indexes do not fit the revealed statements (a mandatory statement was hidden)"
    mandatory = [q for i, q in enumerate(quads) if i in set(mandatory_indexes)]
    non_mandatory = [q for i, q in enumerate(quads) if i not in set(mandatory_indexes)]
    if len(signatures) != len(non_mandatory):
        return False, f"{len(signatures)} signatures for {len(non_mandatory)} revealed statements"
    try:
        issuer = public_key or P256PublicKey.from_multibase(
            str(proof.get("verificationMethod", "")).split("#", 1)[0].removeprefix("did:key:")
        )
        ephemeral_key = P256PublicKey.from_multikey(ephemeral)
    except InvalidKeyError as exc:
        return False, str(exc)
    if not issuer.verify(base_signature, proof_hash + ephemeral + _mandatory_hash(mandatory)):
        return False, "the issuer's base signature does not verify (a mandatory statement or the proof was changed)"
    for position, (signature, quad) in enumerate(zip(signatures, non_mandatory, strict=True)):
        if not ephemeral_key.verify(signature, quad.encode()):
            return False, f"revealed statement {position} does not match its signature (it was changed)"
    return True, ""

"""Holder-bound presentations (VC 2.0 VerifiablePresentation, Data Integrity ``authentication`` proof).

A student holds an Ed25519 key; its ``did:key`` is the ``credentialSubject.id`` of the credentials
issued to them, beside the salted IdentityObject. To present, the holder signs a
VerifiablePresentation (eddsa-jcs-2022, ``proofPurpose: authentication``) over the verifier's
``challenge`` and ``domain``. A verifier accepts a credential only from its holder: the proof
verifies with the key of the ``holder`` DID, the challenge is the one it handed out (once: the
verifier records its use) and the domain is its own, and each credential's subject is that DID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._exceptions import CredentialError, InvalidKeyError
from ._chain_view import ChainFacts
from ._data_integrity import JCS_SUITE, sign, signature_proof
from ._data_integrity import verify as verify_signature
from ._did_web import DidResolver
from ._documents import CONTEXTS
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef
from ._verification import FAIL, PASS, StatusResolver, VerificationReport, verify_credential

__all__ = [
    "MAX_PRESENTED",
    "PRESENTATION_CONTEXTS",
    "PresentationReport",
    "holder_binding_problem",
    "holder_did",
    "holder_proof_problem",
    "sign_presentation",
    "verify_presentation",
]

PRESENTATION_CONTEXTS = [CONTEXTS[0], CONTEXTS[-1]]  # VC 2.0 and EduLedger's (credentials bring their own)
MAX_PRESENTED = 200  # credentials in one presentation


def holder_did(key: Ed25519PublicKeyRef) -> str:
    """The holder's DID: ``did:key`` of their Ed25519 key."""
    return f"did:key:{key.multibase}"


def sign_presentation(
    credentials: Sequence[dict[str, Any]],
    key: Ed25519KeyPair,
    *,
    challenge: str,
    domain: str,
    created: str,
) -> dict[str, Any]:
    """The holder's VerifiablePresentation of ``credentials`` for one verifier's challenge and domain."""
    presentation = {
        "@context": list(PRESENTATION_CONTEXTS),
        "type": ["VerifiablePresentation"],
        "holder": holder_did(key.public),
        "verifiableCredential": list(credentials),
    }
    return sign(
        presentation,
        key,
        cryptosuite=JCS_SUITE,
        created=created,
        proof_purpose="authentication",
        options={"challenge": challenge, "domain": domain},
    )


def holder_proof_problem(presentation: dict[str, Any], *, challenge: str, domain: str) -> tuple[str, str]:
    """(the failed check, what is wrong) of the presentation's holder proof, or ("", "") when it holds:
    ``holder_proof`` (an authentication proof by the holder's own key that verifies), ``challenge``
    (the verifier's, not another), ``domain`` (the verifier's)."""
    holder = presentation.get("holder")
    if not isinstance(holder, str) or not holder.startswith("did:key:"):
        return "holder_proof", "the presentation names no holder did:key (holder)"
    proof = signature_proof(presentation)
    if proof is None:
        return "holder_proof", "the presentation carries no holder proof (one DataIntegrityProof)"
    if proof.get("proofPurpose") != "authentication":
        return "holder_proof", f"the holder proof's purpose is {str(proof.get('proofPurpose'))[:40]!r}, not authentication"
    method = str(proof.get("verificationMethod", ""))
    if method.split("#", 1)[0] != holder:
        return "holder_proof", "the proof is by another key than the holder's"
    try:
        key = Ed25519PublicKeyRef.from_verification_method(method)
        valid = verify_signature(presentation, key)
    except (InvalidKeyError, CredentialError) as exc:
        return "holder_proof", f"the holder proof cannot be checked: {exc}"
    if not valid:
        return "holder_proof", "the holder proof does not verify (the presentation was changed, or signed by another key)"
    if proof.get("challenge") != challenge:
        return "challenge", "the presentation answers another challenge than the one handed out"
    if proof.get("domain") != domain:
        return "domain", f"the presentation is for domain {str(proof.get('domain'))[:100]!r}, not {domain[:100]!r}"
    return "", ""


def holder_binding_problem(presentation: dict[str, Any], credential: dict[str, Any]) -> str:
    """What keeps ``credential`` from being the holder's ("" if it is): its subject id must be the holder's DID."""
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if subject_id is None:
        return "the credential is bound to no holder (credentialSubject.id): anyone with a copy could present it"
    if subject_id != presentation.get("holder"):
        return "the credential's subject is another holder than the one who presents it"
    return ""


@dataclass
class PresentationReport:
    """The presentation's own checks (holder_proof, challenge, domain) and each credential's report,
    which ends with its ``holder_binding``. Valid only when every one of them is."""

    checks: VerificationReport
    credentials: list[VerificationReport] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        outcomes = [self.checks.outcome, *(r.outcome for r in self.credentials)]
        for outcome in ("invalid", "cannot_tell"):
            if outcome in outcomes:
                return outcome
        return "valid" if self.credentials else "invalid"


def verify_presentation(
    presentation: Any,
    *,
    challenge: str,
    domain: str,
    chain: ChainFacts | None,
    now: datetime | None = None,
    confirmations: int = 1,
    status_resolver: StatusResolver | None = None,
    did_resolver: DidResolver | None = None,
) -> PresentationReport:
    """Verify a holder-bound presentation for a verifier whose ``challenge`` (handed out once: the caller
    records its use) and ``domain`` it must answer; never raises for bad input, only reports."""
    report = PresentationReport(VerificationReport())
    types = presentation.get("type") if isinstance(presentation, dict) else None
    if not isinstance(presentation, dict) or "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        report.checks.add("holder_proof", FAIL, "not a VerifiablePresentation")
        return report
    credentials = presentation.get("verifiableCredential")
    credentials = credentials if isinstance(credentials, list) else [credentials] if credentials else []
    if not credentials or len(credentials) > MAX_PRESENTED:
        report.checks.add("holder_proof", FAIL, f"a presentation holds 1 to {MAX_PRESENTED} credentials")
        return report
    failed, problem = holder_proof_problem(presentation, challenge=challenge, domain=domain)
    for name in ("holder_proof", "challenge", "domain"):
        report.checks.add(name, FAIL if failed == name else PASS, problem if failed == name else "")
        if failed == name:
            return report
    for credential in credentials:
        inner = verify_credential(
            credential, chain=chain, now=now, confirmations=confirmations, status_resolver=status_resolver, did_resolver=did_resolver
        )
        unbound = holder_binding_problem(presentation, credential) if isinstance(credential, dict) else "not a credential"
        inner.add("holder_binding", FAIL if unbound else PASS, unbound)
        report.credentials.append(inner)
    return report

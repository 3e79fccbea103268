"""The credit bank (学分银行): convert a student's verified credentials into credits.

A receiving institution imports a VC 2.0 VerifiablePresentation of one student's credentials,
signed by the student as holder over the bank's challenge and domain (see ``_presentation``),
verifies every credential (and that it is bound to that holder) (all checks, against the chain), applies its conversion rules
(achievement type, optionally with an accepted result, → credits) and issues one credit-grant
credential (an OB 3.0 AchievementCredential with ``creditsEarned``, the same salted subject, and the
converted credentials as evidence), anchored like any other batch.

The same credential is never converted twice by the same institution: every conversion is
recorded (by the credential's canonical hash) in the same transaction that reserves the grant,
before anything is signed. A crash between reserving and anchoring is finished by importing the
same presentation again, which resumes the reserved grant instead of refusing it (or by
:meth:`CreditBank.finish`, given the grant's id).

A grant can carry a status entry (``status_entry``: the receiving institution's status list), so
it can be revoked like any credential; :meth:`CreditBank.release` then frees the credentials it
converted, so the student may present the ones still valid again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._exceptions import CredentialError, InvalidJsonError
from .._json import strict_loads
from .._sqlite import open_durable
from ._chain_view import ChainFacts
from ._did_web import DidResolver
from ._disclosure import anchored_hash_of
from ._documents import achievement_credential
from ._issuance import BatchIssuer
from ._presentation import MAX_PRESENTED, holder_binding_problem, holder_proof_problem
from ._verification import VALID, StatusResolver, verify_credential

__all__ = ["CreditBank", "CreditGrant", "ConversionRule", "RefusedCredential"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversions (
    credential_hash BLOB PRIMARY KEY, credential_id TEXT NOT NULL, grant_id TEXT NOT NULL,
    credits REAL NOT NULL, converted_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    grant_id TEXT PRIMARY KEY, document TEXT NOT NULL, completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS used_challenges (
    challenge TEXT PRIMARY KEY, grant_id TEXT NOT NULL, used_at REAL NOT NULL
);
"""
StatusEntry = Callable[[str], dict[str, Any]]  # grant id -> the grant's credentialStatus


@dataclass(frozen=True)
class ConversionRule:
    """``achievement_type`` (OB ``achievementType``) earns ``credits``; with ``accepted_results``,
    only if one of the subject's results has one of those values."""

    achievement_type: str
    credits: float
    accepted_results: tuple[str, ...] = ()

    def credits_for(self, credential: dict[str, Any]) -> float | None:
        subject = credential.get("credentialSubject") or {}
        achievement = subject.get("achievement") or {}
        if achievement.get("achievementType") != self.achievement_type:
            return None
        if self.accepted_results:
            values = {str(r.get("value")) for r in subject.get("result", []) if isinstance(r, dict)}
            if not values & set(self.accepted_results):
                return None
        return self.credits


@dataclass(frozen=True)
class RefusedCredential:
    credential_id: str
    reason: str


@dataclass
class CreditGrant:
    grant_id: str
    credits: float
    credential: dict[str, Any]
    converted: list[str] = field(default_factory=list)
    refused: list[RefusedCredential] = field(default_factory=list)


class CreditBank:
    """One receiving institution's credit bank: its rules, its conversion journal, its issuer."""

    def __init__(
        self,
        journal: Path | str,
        *,
        issuer: BatchIssuer,
        rules: Sequence[ConversionRule],
        chain: ChainFacts,
        credit_type: bytes,
        issuer_name: str,
        confirmations: int = 1,
    ) -> None:
        self.issuer = issuer
        self.rules = list(rules)
        self.chain = chain
        self.credit_type = credit_type
        self.issuer_name = issuer_name
        self.confirmations = confirmations
        self._db = open_durable(journal, _SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def import_presentation(
        self,
        presentation: Any,
        *,
        challenge: str,
        domain: str,
        status_resolver: StatusResolver | None = None,
        did_resolver: DidResolver | None = None,
        now: datetime | None = None,
        status_entry: StatusEntry | None = None,
    ) -> CreditGrant:
        """Verify, convert and grant ``presentation`` (parsed, or its JSON text: then read strictly, a duplicate
        key refused): the holder's proof over this bank's ``challenge`` (used once) and ``domain``, and
        each credential bound to that holder. ``status_entry`` gives a new grant its ``credentialStatus`` (called
        once, before the grant is recorded). Raises :class:`CredentialError` naming why nothing was granted."""
        presentation, credentials = _presented(presentation)
        failed, problem = holder_proof_problem(presentation, challenge=challenge, domain=domain)
        if failed:
            raise CredentialError(f"{failed}: {problem}")
        with self._lock:
            row = self._db.execute(
                "SELECT g.completed FROM used_challenges u JOIN grants g ON g.grant_id = u.grant_id WHERE u.challenge = ?",
                (challenge,),
            ).fetchone()
        if row is not None and row[0]:
            raise CredentialError("challenge: this challenge was used already; ask for a new one")
        moment = now or datetime.now(timezone.utc)
        refused: list[RefusedCredential] = []
        accepted: list[tuple[dict[str, Any], bytes, float]] = []
        identities: set[str] = set()  # the salted identities the accepted credentials name
        seen: set[bytes] = set()
        for credential in credentials:
            credential_id = str(credential.get("id", "(no id)"))[:200]
            report = verify_credential(
                credential,
                chain=self.chain,
                now=moment,
                confirmations=self.confirmations,
                status_resolver=status_resolver,
                did_resolver=did_resolver,
            )
            if report.outcome != VALID:
                failed_check = report.failed
                reason = f"{report.outcome}: {failed_check.name} {failed_check.detail}" if failed_check else report.outcome
                refused.append(RefusedCredential(credential_id, reason.strip()))
                continue
            unbound = holder_binding_problem(presentation, credential)
            if unbound:
                refused.append(RefusedCredential(credential_id, f"holder_binding: {unbound}"))
                continue
            credits = next((c for rule in self.rules if (c := rule.credits_for(credential)) is not None), None)
            if credits is None:
                refused.append(RefusedCredential(credential_id, "no conversion rule applies"))
                continue
            value = anchored_hash_of(credential)  # a derived copy counts as the credential it came from
            if value in seen:
                refused.append(RefusedCredential(credential_id, "the same credential appears twice in the presentation"))
                continue
            seen.add(value)
            identity = _salted_identity(credential)
            if identity is not None:  # one bound by the holder's DID alone is the holder's: binding checked it
                identities.add(json.dumps(identity, sort_keys=True))
            accepted.append((credential, value, credits))
        if len(identities) > 1:
            raise CredentialError("the presentation holds credentials of more than one subject; present one student's")
        grant_id, document, fresh = self._reserve(accepted, refused, moment, challenge, str(presentation["holder"]), status_entry)
        credential = self._issue(grant_id, document, moment)
        credits = float(credential["credentialSubject"]["creditsEarned"])
        return CreditGrant(grant_id, credits, credential, fresh, refused)

    def _issue(self, grant_id: str, document: dict[str, Any], moment: datetime) -> dict[str, Any]:
        batch = self.issuer.issue(grant_id, [document], credential_type=self.credit_type, created=_iso(moment))
        with self._lock:
            self._db.execute("UPDATE grants SET completed = 1 WHERE grant_id = ?", (grant_id,))
        return batch.credentials[0]

    def finish(self, grant_id: str, *, now: datetime | None = None) -> CreditGrant | None:
        """Grant ``grant_id`` as issued (anchoring it first if a crash interrupted it), or None if it
        was never recorded here."""
        with self._lock:
            row = self._db.execute("SELECT document FROM grants WHERE grant_id = ?", (grant_id,)).fetchone()
            converted = [r[0] for r in self._db.execute("SELECT credential_id FROM conversions WHERE grant_id = ?", (grant_id,))]
        if row is None:
            return None
        credential = self._issue(grant_id, json.loads(row[0]), now or datetime.now(timezone.utc))
        return CreditGrant(grant_id, float(credential["credentialSubject"]["creditsEarned"]), credential, converted)

    def recorded(self, grant_id: str) -> dict[str, Any] | None:
        """The grant document this bank recorded as ``grant_id`` (before anchoring it), or None if it never did."""
        with self._lock:
            row = self._db.execute("SELECT document FROM grants WHERE grant_id = ?", (grant_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def release(self, grant_id: str) -> int:
        """The grant was revoked: the credentials it converted may be converted again. Returns how many."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM conversions WHERE grant_id = ?", (grant_id,))
        return cursor.rowcount

    def _reserve(
        self,
        accepted: list[tuple[dict[str, Any], bytes, float]],
        refused: list[RefusedCredential],
        moment: datetime,
        challenge: str,
        holder: str,
        status_entry: StatusEntry | None = None,
    ) -> tuple[str, dict[str, Any], list[str]]:
        """Record the conversions, the grant document and the challenge's use in one transaction (or find
        the pending grant of an interrupted import of this presentation, under the same challenge)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                earlier = {
                    bytes(row[0]): (row[1], row[2])
                    for value in [v for _, v, _ in accepted]
                    for row in self._db.execute(
                        "SELECT c.credential_hash, c.grant_id, g.completed FROM conversions c"
                        " JOIN grants g ON g.grant_id = c.grant_id WHERE c.credential_hash = ?",
                        (value,),
                    )
                }
                pending = {grant for grant, completed in earlier.values() if not completed}
                used = self._db.execute("SELECT grant_id FROM used_challenges WHERE challenge = ?", (challenge,)).fetchone()
                if pending and len(pending) == 1 and len(earlier) == len(accepted):
                    (grant_id,) = pending  # an interrupted import of these credentials, by their holder: finish it
                    self._db.execute(
                        "INSERT OR IGNORE INTO used_challenges (challenge, grant_id, used_at) VALUES (?, ?, ?)",
                        (challenge, grant_id, time.time()),
                    )
                    text = self._db.execute("SELECT document FROM grants WHERE grant_id = ?", (grant_id,)).fetchone()[0]
                    self._db.execute("COMMIT")
                    return grant_id, json.loads(text), [str(c.get("id")) for c, _, _ in accepted]
                for credential, value, _ in accepted:
                    if value in earlier:
                        refused.append(
                            RefusedCredential(
                                str(credential.get("id")), f"already converted by this institution (grant {earlier[value][0]})"
                            )
                        )
                fresh = [(c, v, credits) for c, v, credits in accepted if v not in earlier]
                if not fresh:
                    reasons = "; ".join(f"{r.credential_id}: {r.reason}" for r in refused) or "the presentation is empty"
                    raise CredentialError(f"nothing to convert: {reasons}")
                if used is not None:
                    raise CredentialError("challenge: this challenge was used already; ask for a new one")
                grant_id = f"credit-grant:{fresh[0][1].hex()[:16]}:{int(time.time() * 1000)}"
                self._db.execute(
                    "INSERT INTO used_challenges (challenge, grant_id, used_at) VALUES (?, ?, ?)", (challenge, grant_id, time.time())
                )
                document = self._grant_document(grant_id, fresh, moment, holder)
                if status_entry is not None:
                    document["credentialStatus"] = status_entry(grant_id)
                self._db.execute(
                    "INSERT INTO grants (grant_id, document) VALUES (?, ?)", (grant_id, json.dumps(document, ensure_ascii=False))
                )
                self._db.executemany(
                    "INSERT INTO conversions (credential_hash, credential_id, grant_id, credits, converted_at) VALUES (?, ?, ?, ?, ?)",
                    [(v, str(c.get("id")), grant_id, credits, time.time()) for c, v, credits in fresh],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return grant_id, document, [str(c.get("id")) for c, _, _ in fresh]

    def _grant_document(
        self, grant_id: str, fresh: list[tuple[dict[str, Any], bytes, float]], moment: datetime, holder: str
    ) -> dict[str, Any]:
        total = round(sum(credits for _, _, credits in fresh), 2)
        # the one salted identity the credentials name; none when every one is bound by the holder's DID alone
        identifier = next((identity for c, _, _ in fresh if (identity := _salted_identity(c)) is not None), None)
        return achievement_credential(
            credential_id=f"urn:eduledger:{grant_id}",
            issuer_id=self.issuer.issuer_id,
            issuer_name=self.issuer_name,
            identifier=identifier,
            subject_id=holder,  # the grant is the holder's too: they present it onwards
            achievement={
                "id": f"urn:eduledger:{grant_id}#achievement",
                "type": ["Achievement"],
                "achievementType": "ext:CreditGrant",
                "name": "学分认定",
                "description": f"{self.issuer_name} 依据转换规则认定 {total:g} 学分。",
                "criteria": {"narrative": "经验证的学习成果按本机构学分转换规则认定。"},
            },
            valid_from=_iso(moment),
            name="学分银行：学分认定",
            evidence=[
                {
                    "id": str(c.get("id")),
                    "type": ["Evidence"],
                    "name": "转换的凭证",
                    "narrative": f"credentialHash 0x{v.hex()}; {credits:g} credits",
                }
                for c, v, credits in fresh
            ],
            subject_extra={"creditsEarned": total},
        )


def _salted_identity(credential: dict[str, Any]) -> Any:
    """The salted identity a credential's subject names (its first ``identifier``), or None: a credential bound
    by its holder's DID alone (a certificate, a contribution statement) names none."""
    identifiers = credential["credentialSubject"].get("identifier")
    return identifiers[0] if isinstance(identifiers, list) and identifiers else None


def _presented(presentation: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if isinstance(presentation, (str, bytes)):
        try:
            presentation = strict_loads(presentation)
        except InvalidJsonError as exc:
            raise CredentialError(f"the presentation is refused: {exc}") from None
    if not isinstance(presentation, dict):
        raise CredentialError("a presentation is a JSON object")
    types = presentation.get("type")
    if "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        raise CredentialError("not a VerifiablePresentation (type)")
    credentials = presentation.get("verifiableCredential")
    credentials = credentials if isinstance(credentials, list) else [credentials] if credentials else []
    if not credentials:
        raise CredentialError("the presentation holds no verifiableCredential")
    if len(credentials) > MAX_PRESENTED:
        raise CredentialError(f"at most {MAX_PRESENTED} credentials per presentation")
    if not all(isinstance(c, dict) for c in credentials):
        raise CredentialError("every verifiableCredential must be a credential object")
    return presentation, list(credentials)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

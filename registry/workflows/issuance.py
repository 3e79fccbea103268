"""Credential issuing for institutions (R7, R10): custodial keys, batches, lifecycle status lists.

An institution set up for issuing gets two keys, sealed at rest with the vault's master key: a
secp256k1 issuer key, which anchors batches and status lists, and an Ed25519 key, which signs the
credentials. The relayer (governance) accredits the institution's branch of the tree for growth
records, professional-development records and status lists, and registers both keys on chain.

A batch is a class or a grade: the subjects' personal data go into the vault (under-14s need a
guardian-consent reference), each credential names a salted identifier only, carries one
lifecycle status entry (valid / suspended / revoked), is signed, and the batch's Merkle root is
anchored in one transaction. The batch's documents are fixed and committed before anything is
signed, so a retry with the same batch key finishes the same credentials, and the issuer's
journal and outbox make sure a batch is never anchored twice.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_hash.auto import keccak
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service import ConsentRequiredError, InvalidKeyError
from ledger_service.chain import Ledger, Outbox, Signer, TransactionSender
from ledger_service.credentials import (
    DEVELOPMENT_CATEGORIES,
    GROWTH_DIMENSIONS,
    JCS_SUITE,
    MIN_STATUS_LIST_SIZE,
    REVOKED,
    SUSPENDED,
    BatchIssuer,
    ChainView,
    ConversionRule,
    CreditBank,
    DidResolver,
    Ed25519KeyPair,
    Ed25519PublicKeyRef,
    StatusList,
    did_document,
    did_web,
    did_web_institution,
    growth_record_credential,
    identity_object,
    professional_development_credential,
    sign,
    status_list_hash,
    status_list_id,
)
from ledger_service.vault import MasterKey, NewSubject, Vault

from ..chain.jobs import enqueue
from ..core.config import Settings
from ..core.errors import ConflictError, InvalidRequestError, ResourceNotFoundError
from ..models import CredentialBatch, Institution, IssuedCredential, IssuerAccount, StatusListRecord, utcnow

__all__ = [
    "CREDENTIAL_TYPES",
    "CREDIT_GRANT_TYPE",
    "STATUS_LIST_TYPE",
    "IssuerRuntime",
    "Issuing",
    "load_master_key",
]

CREDENTIAL_TYPES = {
    "growth_record": keccak(b"EduLedger.GrowthRecord"),
    "professional_development": keccak(b"EduLedger.ProfessionalDevelopment"),
}
STATUS_LIST_TYPE = keccak(b"EduLedger.StatusList")
CREDIT_GRANT_TYPE = keccak(b"EduLedger.CreditGrant")
_FUNDING_WEI = 10**18  # the issuer key pays for its anchors where gas is not free (the embedded chain)
_LIST_ENTRIES = MIN_STATUS_LIST_SIZE


def load_master_key(settings: Settings) -> MasterKey:
    """The configured master key, or in development one created once under the data directory."""
    if settings.VAULT_MASTER_KEY is not None:
        return MasterKey.parse(settings.VAULT_MASTER_KEY.get_secret_value())
    path = settings.VAULT_MASTER_KEY_FILE or settings.DATA_DIR / "vault-master.key"
    if not path.exists() and settings.VAULT_MASTER_KEY_FILE is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(MasterKey.generate().secret.hex())
    return MasterKey.from_file(path)


# What a request may say about a subject and a record.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StudentSubject(_Strict):
    name: str = Field(min_length=1, max_length=100)
    student_number: str = Field(min_length=4, max_length=40, description="学籍号")
    birth_date: date
    guardian: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=100)
    guardian_consent: str | None = Field(default=None, max_length=200, description="reference of the guardian's consent (under 14)")


_EVIDENCE = r"^[0-9a-f]{64}$"  # sha256 of an evidence file, hex


def _one_of(allowed: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return AfterValidator(check)


class GrowthRecord(_Strict):
    dimension: Annotated[str, _one_of(GROWTH_DIMENSIONS)] = Field(description=" / ".join(GROWTH_DIMENSIONS))
    record_kind: str = Field(min_length=1, max_length=60)
    term: str = Field(min_length=1, max_length=60)
    narrative: str = Field(min_length=1, max_length=2000)
    evidence_hashes: list[Annotated[str, Field(pattern=_EVIDENCE)]] = Field(default_factory=list, max_length=20)


class TeacherSubject(_Strict):
    name: str = Field(min_length=1, max_length=100)
    staff_number: str = Field(min_length=2, max_length=40)
    birth_date: date
    contact: str | None = Field(default=None, max_length=100)


class DevelopmentRecord(_Strict):
    training: str = Field(min_length=1, max_length=200)
    category: Annotated[str, _one_of(DEVELOPMENT_CATEGORIES)] = Field(description=" / ".join(DEVELOPMENT_CATEGORIES))
    hours: float = Field(gt=0, le=10_000)
    credits: float = Field(ge=0, le=1_000)
    period: str = Field(min_length=1, max_length=60)
    provider: str | None = Field(default=None, max_length=200)
    evidence_hashes: list[Annotated[str, Field(pattern=_EVIDENCE)]] = Field(default_factory=list, max_length=20)


# The holder's did:key (Ed25519): the credential is bound to it (credentialSubject.id), so only the
# holder can present it. A public key, not personal data.
_HOLDER = r"^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{40,50}$"


def _holder_key(value: str | None) -> str | None:
    if value is not None:
        try:
            Ed25519PublicKeyRef.from_multibase(value.removeprefix("did:key:"))
        except InvalidKeyError as exc:
            raise ValueError(f"holder is not an Ed25519 did:key: {exc}") from None
    return value


Holder = Annotated[str | None, AfterValidator(_holder_key)]


class GrowthEntry(_Strict):
    subject: StudentSubject
    record: GrowthRecord
    holder: Holder = Field(default=None, pattern=_HOLDER, description="the student's did:key: only they can present it")


class DevelopmentEntry(_Strict):
    subject: TeacherSubject
    record: DevelopmentRecord
    holder: Holder = Field(default=None, pattern=_HOLDER, description="the teacher's did:key: only they can present it")


_ENTRIES: dict[str, type[GrowthEntry] | type[DevelopmentEntry]] = {
    "growth_record": GrowthEntry,
    "professional_development": DevelopmentEntry,
}
Kind = Literal["growth_record", "professional_development"]


def _parse(kind: str, records: list[dict[str, Any]]) -> list[GrowthEntry | DevelopmentEntry]:
    model = _ENTRIES.get(kind)
    if model is None:
        raise InvalidRequestError(f"kind must be one of {', '.join(_ENTRIES)}")
    parsed: list[GrowthEntry | DevelopmentEntry] = []
    for position, record in enumerate(records):
        try:
            parsed.append(model.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidRequestError(
                f"record {position}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", record=position
            ) from None
    return parsed


# Sealing an institution's keys at rest.


def _seal_keys(master: MasterKey, institution_id: str, ethereum: bytes, ed25519_seed: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(master.secret).encrypt(nonce, ethereum + ed25519_seed, b"issuer-keys:" + institution_id.encode())


def _open_keys(master: MasterKey, institution_id: str, sealed: bytes) -> tuple[Signer, Ed25519KeyPair]:
    keys = AESGCM(master.secret).decrypt(sealed[:12], sealed[12:], b"issuer-keys:" + institution_id.encode())
    return Signer(keys[:32]), Ed25519KeyPair.from_seed(keys[32:])


class IssuerRuntime:
    """An institution's sender (its own outbox) and batch issuer, opened once per process."""

    def __init__(self, sender: TransactionSender, issuer: BatchIssuer, signing_key: Ed25519KeyPair, *, owns_sender: bool = True) -> None:
        self.sender = sender
        self.issuer = issuer
        self.signing_key = signing_key
        self.owns_sender = owns_sender
        self.lock = threading.Lock()  # one batch or list update at a time per institution key (nonces)


class Issuing:
    """Credential issuing for every institution this registry holds keys for."""

    def __init__(self, *, ledger: Ledger, vault: Vault, master: MasterKey, data_dir: Path, base_url: str) -> None:
        self.ledger = ledger
        self.vault = vault
        self.master = master
        self.data_dir = data_dir
        self.base_url = base_url
        self._runtimes: dict[str, IssuerRuntime] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        for runtime in self._runtimes.values():
            runtime.issuer.close()
            if runtime.owns_sender:
                runtime.sender.close()
        self.vault.close()

    # Issuers as DIDs...

    def did_of(self, institution_id: str) -> str:
        """The institution's did:web, on this registry's public host (its document: GET /institutions/{id}/did.json)."""
        return did_web(urlsplit(self.base_url).netloc, bytes.fromhex(institution_id[2:]))

    def did_document(self, session: Session, institution_id: str, bureau_key: Ed25519KeyPair | None = None) -> dict[str, Any]:
        """The institution's DID document: the signing keys this registry holds for it, each listed for
        assertionMethod while the chain holds it valid (the chain is read now: never a cached opinion)."""
        keys: list[Ed25519PublicKeyRef] = []
        account = session.get(IssuerAccount, institution_id)
        if account is not None:
            keys.append(Ed25519PublicKeyRef.from_multibase(account.signing_key))
        if bureau_key is not None and bureau_key.public.multibase not in {k.multibase for k in keys}:
            keys.append(bureau_key.public)
        if not keys:
            raise ResourceNotFoundError(f"institution {institution_id} has no signing keys here: it issues no credentials")
        directory = self.ledger.contracts["InstitutionRegistry"]
        now = int(self.ledger.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        institution = bytes.fromhex(institution_id[2:])
        return did_document(self.did_of(institution_id),
                            [(key, bool(directory.call("isValidSigningKey", key.raw, institution, now))) for key in keys])

    def did_resolver(self, session: Session, bureau_id: str, bureau_key: Ed25519KeyPair | None) -> DidResolver:
        """Resolves the DIDs of this registry's institutions (the bureau's signing key is ``bureau_key``)
        from its own records and the chain, without a request to itself; any other DID is not at hand
        here — nothing is fetched from elsewhere — so its credentials are "cannot tell"."""
        def resolve(did: str) -> dict[str, Any]:
            institution = did_web_institution(did)
            if institution is None or did != self.did_of("0x" + institution.hex()):
                raise LookupError(f"{did[:120]} is not a DID of this registry; it is not fetched")
            institution_id = "0x" + institution.hex()
            try:
                return self.did_document(session, institution_id, bureau_key if institution_id == bureau_id else None)
            except ResourceNotFoundError as exc:
                raise LookupError(str(exc)) from None
        return resolve

    def bureau_runtime(self, bureau_id: str, signing_key: Ed25519KeyPair) -> IssuerRuntime:
        """The bureau issues with the relayer key (its issuer key on chain) and its derived signing key."""
        with self._lock:
            runtime = self._runtimes.get(bureau_id)
            if runtime is None:
                (self.data_dir / "issuers").mkdir(parents=True, exist_ok=True)
                issuer = BatchIssuer(
                    self.data_dir / "issuers" / "journal-bureau.sqlite3", sender=self.ledger.sender,
                    anchor=self.ledger.contracts["CredentialAnchor"], directory=self.ledger.contracts["InstitutionRegistry"],
                    signing_key=signing_key, cryptosuite=JCS_SUITE, issuer_id=self.did_of(bureau_id),
                )
                runtime = self._runtimes[bureau_id] = IssuerRuntime(self.ledger.sender, issuer, signing_key, owns_sender=False)
            return runtime

    # Setting institutions up...

    def set_up(self, session: Session, institution: Institution, chain_path: list[Institution]) -> IssuerAccount:
        """Keys for ``institution`` and the chain jobs that accredit ``chain_path`` (root first, ending
        with the institution) and register the keys. The caller commits."""
        existing = session.get(IssuerAccount, institution.id)
        if existing is not None:
            return existing
        ethereum, seed = secrets.token_bytes(32), secrets.token_bytes(32)
        signer, signing = Signer(ethereum), Ed25519KeyPair.from_seed(seed)
        account = IssuerAccount(
            institution_id=institution.id, address=signer.address, signing_key=signing.public.multibase,
            sealed_keys=_seal_keys(self.master, institution.id, ethereum, seed), master_key_id=self.master.key_id,
        )
        session.add(account)
        subject = f"issuer:{institution.id}"
        if self.ledger.node is not None:  # the embedded chain charges gas; a production chain may not
            enqueue(session, "fund_account", {"address": signer.address, "wei": str(_FUNDING_WEI)}, subject=subject)
        for link in chain_path:
            for credential_type in (*CREDENTIAL_TYPES.values(), STATUS_LIST_TYPE, CREDIT_GRANT_TYPE):
                enqueue(session, "accredit", {"institution_id": link.id, "credential_type": "0x" + credential_type.hex()}, subject=subject)
        enqueue(session, "add_issuer_key", {"institution_id": institution.id, "address": signer.address}, subject=subject)
        last = enqueue(session, "add_signing_key", {"institution_id": institution.id, "public_key": signing.public.raw.hex()}, subject=subject)
        account.setup_job_id = last.id
        return account

    def ready(self, account: IssuerAccount) -> bool:
        """Whether the chain knows the institution's keys (its set-up jobs have landed)."""
        directory = self.ledger.contracts["InstitutionRegistry"]
        institution = bytes.fromhex(account.institution_id[2:])
        if bytes(directory.call("issuerKey", account.address)["institutionId"]) != institution:
            return False
        public = Ed25519PublicKeyRef.from_multibase(account.signing_key)
        now = int(self.ledger.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        return bool(directory.call("isValidSigningKey", public.raw, institution, now))

    def _runtime(self, account: IssuerAccount) -> IssuerRuntime:
        with self._lock:
            runtime = self._runtimes.get(account.institution_id)
            if runtime is None:
                signer, signing = _open_keys(self.master, account.institution_id, account.sealed_keys)
                outboxes = self.data_dir / "issuers"
                outboxes.mkdir(parents=True, exist_ok=True)
                sender = TransactionSender(
                    self.ledger.rpc, signer, Outbox(outboxes / f"outbox-{signer.address}.sqlite3", chain_id=self.ledger.chain_id),
                    decoder=self.ledger.sender.decoder, confirmations=self.ledger.sender.confirmations,
                    poll_interval=self.ledger.sender.poll_interval,
                )
                issuer = BatchIssuer(
                    outboxes / f"journal-{signer.address}.sqlite3", sender=sender, anchor=self.ledger.contracts["CredentialAnchor"],
                    directory=self.ledger.contracts["InstitutionRegistry"], signing_key=signing, cryptosuite=JCS_SUITE,
                    issuer_id=self.did_of(account.institution_id),
                )
                runtime = self._runtimes[account.institution_id] = IssuerRuntime(sender, issuer, signing)
            return runtime

    # Status lists...

    def list_url(self, list_id: str) -> str:
        return f"{self.base_url}/status-lists/{list_id}"

    def open_list(self, session: Session, institution_id: str, needed: int) -> StatusListRecord:
        """A list of the institution with room for ``needed`` entries (row-locked): the fullest
        that has, or a new one. A list is never filled past half, so an index says little."""
        if needed > _LIST_ENTRIES // 2:
            raise InvalidRequestError(f"a batch holds at most {_LIST_ENTRIES // 2} credentials (one status list); split it")
        record = session.scalar(
            select(StatusListRecord)
            .where(StatusListRecord.institution_id == institution_id, StatusListRecord.allocated_count + needed <= _LIST_ENTRIES // 2)
            .order_by(StatusListRecord.allocated_count.desc(), StatusListRecord.id).limit(1).with_for_update()
        )
        if record is None:
            record = StatusListRecord(
                id=secrets.token_urlsafe(12), institution_id=institution_id, bits=bytes(_LIST_ENTRIES * 2 // 8),
                allocated=bytes(_LIST_ENTRIES // 8),
            )
            session.add(record)
            session.flush()
        return record

    @staticmethod
    def allocate(record: StatusListRecord, count: int) -> list[int]:
        """``count`` random indexes never handed out before (the list was opened with room for them)."""
        allocated = bytearray(record.allocated)
        indexes: list[int] = []
        while len(indexes) < count:
            index = secrets.randbelow(_LIST_ENTRIES)
            mask = 0x80 >> (index % 8)
            if not allocated[index // 8] & mask:
                allocated[index // 8] |= mask
                indexes.append(index)
        record.allocated, record.allocated_count = bytes(allocated), record.allocated_count + count
        return indexes

    def publish(self, record: StatusListRecord, runtime: IssuerRuntime, institution_id: str) -> None:
        """Sign the list as it stands and anchor its hash (the institution's issuer key)."""
        status = StatusList(self.list_url(record.id), "message", size=_LIST_ENTRIES, bits=bytearray(record.bits))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = status.credential(issuer=runtime.issuer.issuer_id, valid_from=now)
        signed = sign(document, runtime.signing_key, cryptosuite=JCS_SUITE, created=now, proof_as_list=True,
                      verification_method=runtime.issuer.verification_method)
        digest = status_list_hash(signed)
        anchor = self.ledger.contracts["CredentialAnchor"]
        receipt = runtime.sender.transact(anchor.transaction(
            "updateStatusList", status_list_id(status.url), digest, key=f"status:{record.id}:{record.version + 1}:{digest.hex()[:16]}"
        ))
        record.credential, record.list_hash, record.anchored_tx = signed, "0x" + digest.hex(), receipt.tx_hash
        record.version += 1

    # Issuing...

    def issue(
        self, session: Session, *, institution: Institution, account: IssuerAccount, key: str, kind: str,
        records: list[dict[str, Any]], actor: str, valid_from: str | None = None,
    ) -> CredentialBatch:
        """Issue (or finish) batch ``key``: fixed and committed first, then signed and anchored once."""
        batch = session.scalar(select(CredentialBatch).where(CredentialBatch.institution_id == institution.id, CredentialBatch.key == key))
        if batch is not None and batch.kind != kind:
            raise ConflictError(f"batch {key!r} exists with kind {batch.kind}")
        if batch is None:
            batch = self._prepare(session, institution, key, kind, records, actor, valid_from)
        if batch.completed_at is not None:
            return batch
        runtime = self._runtime(account)
        with runtime.lock:
            lists = {c.status_list_id for c in session.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id))}
            for list_id in lists:
                record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == list_id).with_for_update())
                if record is not None and record.version == 0:  # a verifier needs a list anchored to check against
                    self.publish(record, runtime, institution.id)
                    session.commit()
            issued = runtime.issuer.issue(
                key, batch.documents, credential_type=CREDENTIAL_TYPES[kind],
                created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        documents = {document["id"]: document for document in issued.credentials}
        for credential in session.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id)):
            credential.document = documents[credential.id]
        batch.root, batch.tx_hash, batch.block_number = "0x" + issued.root.hex(), issued.tx_hash, issued.block_number
        batch.completed_at = utcnow()
        session.commit()
        return batch

    def _prepare(
        self, session: Session, institution: Institution, key: str, kind: str, records: list[dict[str, Any]], actor: str,
        valid_from: str | None,
    ) -> CredentialBatch:
        entries = _parse(kind, records)
        if not entries:
            raise InvalidRequestError("a batch holds at least one record")
        today = date.today()
        people = []
        for entry in entries:
            subject = entry.subject
            fields = {k: v for k, v in subject.model_dump(exclude={"birth_date", "guardian_consent"}).items() if v is not None}
            people.append(NewSubject(subject.birth_date, fields, getattr(subject, "guardian_consent", None)))
        record = self.open_list(session, institution.id, len(entries))
        indexes = self.allocate(record, len(entries))
        try:
            enrolled = self.vault.enroll(people, today=today)
        except ConsentRequiredError as exc:
            raise InvalidRequestError(f"{exc} (records are numbered from 0)", code="guardian_consent_required") from None
        try:
            batch = self._documents(session, institution, key, kind, entries, enrolled, record, indexes, actor, valid_from)
            session.commit()  # from here on, a retry with this key finishes these very credentials
            return batch
        except BaseException:
            session.rollback()
            for subject_id, _ in enrolled:  # nothing was issued to them: their data must not outlive the request
                self.vault.erase(subject_id)
            raise

    def _documents(
        self, session: Session, institution: Institution, key: str, kind: str, entries: list[GrowthEntry | DevelopmentEntry],
        enrolled: list[tuple[str, bytes]], record: StatusListRecord, indexes: list[int], actor: str, valid_from: str | None,
    ) -> CredentialBatch:
        status = StatusList(self.list_url(record.id), "message", size=_LIST_ENTRIES)
        issuer_id = self.did_of(institution.id)
        start = valid_from or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        documents: list[dict[str, Any]] = []
        for entry, (_, salt), index in zip(entries, enrolled, indexes, strict=True):
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            if isinstance(entry, GrowthEntry):
                document = growth_record_credential(
                    credential_id=credential_id, issuer_id=issuer_id, issuer_name=institution.name,
                    identifier=identity_object(entry.subject.student_number, salt), dimension=entry.record.dimension,
                    record_kind=entry.record.record_kind, term=entry.record.term, narrative=entry.record.narrative,
                    valid_from=start, evidence_hashes=entry.record.evidence_hashes,
                )
            else:
                assert isinstance(entry, DevelopmentEntry)
                document = professional_development_credential(
                    credential_id=credential_id, issuer_id=issuer_id, issuer_name=institution.name,
                    identifier=identity_object(entry.subject.staff_number, salt, identity_type="identifier"),
                    training=entry.record.training, category=entry.record.category, hours=entry.record.hours,
                    credits=entry.record.credits, period=entry.record.period, provider=entry.record.provider, valid_from=start,
                    evidence_hashes=entry.record.evidence_hashes,
                )
            if entry.holder is not None:
                document["credentialSubject"] = {"id": entry.holder, **document["credentialSubject"]}
            status.allocated.add(index)
            document["credentialStatus"] = status.entry(index)
            documents.append(document)
        batch = CredentialBatch(institution_id=institution.id, key=key, kind=kind, issued_by=actor, count=len(documents),
                                documents=documents, subjects=[subject_id for subject_id, _ in enrolled])
        session.add(batch)
        session.flush()
        session.add_all(
            IssuedCredential(id=document["id"], batch_id=batch.id, institution_id=institution.id, subject_id=subject_id,
                             status_list_id=record.id, status_index=index)
            for document, (subject_id, _), index in zip(documents, enrolled, indexes, strict=True)
        )
        return batch

    # The credit bank...

    def credit_bank(self, account: IssuerAccount, institution: Institution) -> tuple[CreditBank, IssuerRuntime]:
        """The institution's credit bank with its current rules (its journal is its own file)."""
        runtime = self._runtime(account)
        rules = [ConversionRule(r["achievement_type"], float(r["credits"]), tuple(r.get("accepted_results") or ()))
                 for r in account.credit_rules]
        view = ChainView(self.ledger.rpc, self.ledger.contracts["CredentialAnchor"], self.ledger.contracts["InstitutionRegistry"],
                         self.ledger.chain_id)
        bank = CreditBank(self.data_dir / "issuers" / f"credit-bank-{account.address}.sqlite3", issuer=runtime.issuer, rules=rules,
                          chain=view, credit_type=CREDIT_GRANT_TYPE, issuer_name=institution.name,
                          confirmations=self.ledger.sender.confirmations)
        return bank, runtime

    # Revoking and suspending...

    def change_status(self, session: Session, credential: IssuedCredential, account: IssuerAccount, action: str) -> IssuedCredential:
        """revoke (final), suspend, or unsuspend a credential: the list is re-signed and re-anchored."""
        targets = {"revoke": REVOKED, "suspend": SUSPENDED, "unsuspend": 0}
        if action not in targets:
            raise InvalidRequestError("action must be revoke, suspend or unsuspend")
        runtime = self._runtime(account)
        with runtime.lock:
            record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == credential.status_list_id).with_for_update())
            assert record is not None
            status = StatusList(self.list_url(record.id), "message", size=_LIST_ENTRIES, bits=bytearray(record.bits))
            status.allocated.add(credential.status_index)
            current = status.value(credential.status_index)
            if current == REVOKED:
                raise ConflictError("the credential is revoked, and a revocation is final", code="revoked")
            if action == "unsuspend" and current != SUSPENDED:
                raise ConflictError("the credential is not suspended", code="not_suspended")
            if current == targets[action]:
                raise ConflictError(f"the credential is already {credential.status}", code="unchanged")
            status.set_value(credential.status_index, targets[action])
            record.bits = bytes(status.bits)
            self.publish(record, runtime, credential.institution_id)
            credential.status = {REVOKED: "revoked", SUSPENDED: "suspended", 0: "active"}[targets[action]]
            session.commit()
        return credential

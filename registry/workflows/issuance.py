"""Credential issuing for institutions (R7, R10): custodial keys, batches, lifecycle status lists.

An institution set up for issuing gets three keys, sealed at rest with the vault's master key: a
secp256k1 issuer key, which anchors batches and status lists, an Ed25519 key, which signs the
credentials (eddsa-jcs-2022), and a P-256 key, which makes each credential's ecdsa-sd-2023 base
proof, from which the holder derives selectively disclosed copies. The relayer (governance)
accredits the institution's branch of the tree for growth records, professional-development
records and status lists, and registers the keys on chain (the P-256 key under its fingerprint,
sha256 of its multikey: the contract takes 32 bytes). Institutions set up before P-256 keys existed
keep issuing without base proofs.

A batch is a class or a grade: the subjects' personal data go into the vault (under-14s need a
guardian-consent reference), each credential names a salted identifier only, carries one
lifecycle status entry (valid / suspended / revoked), is signed, and the batch's Merkle root is
anchored in one transaction. The batch's documents are fixed and committed before anything is
signed, together with the chain jobs that anchor its status list (if new) and its root: the chain
worker signs the batch, sends the anchor with the institution's own issuer key and, once it is mined,
gives the credentials their anchor proofs and completes the batch — whether or not the request still
waits (it answers 202 when the chain is slow). A retry with the same batch key waits for the same
job (the same key with other records is refused, naming the difference), and the issuer's journal
and outbox make sure a batch is never anchored twice. Status changes and credit grants are decided
and committed with their jobs the same way.

Personal data cannot be orphaned or outlive an erasure:

- a student (or teacher) enrolled again by the same institution is the same vault subject, found
  by the vault's keyed index over the institution and the 学籍号 (staff number), so a resent batch
  reuses its subjects and two records of one student present together;
- subjects stay *pending* in the vault until the batch that refers to them is committed; at start
  :meth:`Issuing.sweep_orphans` shreds the pending subjects no credential refers to (a crash between
  enrolment and commit) and confirms the others;
- the registry's copy of each credential (narratives included) is sealed under its subject's vault
  key, and the issuer's signing journal forgets a batch once it is recorded, so erasing the subject
  leaves nothing readable here while the holder's copy still verifies.

Credit grants (学分银行) are batches of one, with a status entry on the receiving institution's list,
listed and revoked like any credential; revoking a credential revokes the grants that converted it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ledger_service import (
    ConsentRequiredError,
    ContractRevertError,
    CredentialError,
    InvalidKeyError,
    SubjectErasedError,
    TransactionTimeoutError,
)
from ledger_service.chain import CREDENTIAL_TYPES, CREDIT_GRANT_TYPE, STATUS_LIST_TYPE, Ledger, Signer, TransactionSender
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
    CreditGrant,
    DidResolver,
    Ed25519KeyPair,
    Ed25519PublicKeyRef,
    IssuedBatch,
    P256KeyPair,
    P256PublicKey,
    SigningKey,
    StatusList,
    did_document,
    did_web,
    did_web_institution,
    growth_record_credential,
    identity_object,
    professional_development_credential,
    sign,
    status_list_capacity,
    status_list_hash,
    status_list_id,
)
from ledger_service.vault import MasterKey, NewSubject, Vault

from ..chain.jobs import NOT_READY, NOTHING_TO_SEND, JobKind, enqueue
from ..core.config import Settings
from ..core.errors import ConflictError, InvalidRequestError, ResourceNotFoundError
from ..models import (
    ChainJob,
    CredentialBatch,
    GrantSource,
    Institution,
    IssuedCredential,
    IssuerAccount,
    JobStatus,
    StatusListRecord,
    utcnow,
)

__all__ = [
    "CREDENTIAL_TYPES",
    "CREDIT_GRANT_TYPE",
    "STATUS_LIST_TYPE",
    "ChainWriteWaiting",
    "IssuerRuntime",
    "Issuing",
    "load_master_key",
]

_FUNDING_WEI = 10**18  # the issuer key pays for its anchors where gas is not free (the embedded chain)
_LIST_ENTRIES = MIN_STATUS_LIST_SIZE
_LIST_CAPACITY = status_list_capacity(_LIST_ENTRIES)
_STATUS_NAMES = {REVOKED: "revoked", SUSPENDED: "suspended", 0: "active"}
log = logging.getLogger("registry.issuance")


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


# An institution's keys, sealed at rest by the vault under its master key.


def _keys_context(institution_id: str) -> str:
    return f"issuer-keys:{institution_id}"


def _open_keys(vault: Vault, account: IssuerAccount) -> tuple[Signer, Ed25519KeyPair, P256KeyPair | None]:
    """(issuer key, Ed25519 signing key, P-256 base-proof key: None for accounts set up before it)."""
    keys = vault.open(_keys_context(account.institution_id), account.sealed_keys, key_id=account.master_key_id)
    return Signer(keys[:32]), Ed25519KeyPair.from_seed(keys[32:64]), P256KeyPair.from_secret(keys[64:96]) if len(keys) >= 96 else None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _difference(batch: CredentialBatch, kind: str, content: str, digests: list[list[str]]) -> str | None:
    """How a resent batch differs from the one recorded under its key (None: the same request)."""
    if batch.kind != kind:
        return f"kind {batch.kind}, now {kind}"
    if batch.content_digest is None or batch.record_digests is None or batch.content_digest == content:
        return None  # the same request (batches before 0005 recorded no digests: a resend finishes them)
    before = batch.record_digests
    parts = [f"{len(before)} records then, {len(digests)} now"] if len(before) != len(digests) else []
    changed = []
    for position, (old, new) in enumerate(zip(before, digests, strict=False)):
        what = [name for name, a, b in zip(("subject", "record"), old, new, strict=True) if a != b]
        if what:
            changed.append(f"record {position}: its {' and '.join(what)}")
    if changed:
        parts.append("; ".join(changed[:5]) + (f"; and {len(changed) - 5} more" if len(changed) > 5 else ""))
    return ", ".join(parts) or "valid_from differs"


class ChainWriteWaiting(TransactionTimeoutError):
    """The decision is committed with its chain job, which was not mined in time: it finishes in the
    background (``job_id``: follow ``/chain/jobs/{job_id}``)."""

    def __init__(self, message: str, *, job_id: int, tx_hash: str | None = None) -> None:
        super().__init__(message, tx_hash=tx_hash)
        self.job_id = job_id
        self.batch_key: str | None = None  # a credit grant's id, when it is the grant that waits


class _AnchoredByJob(BatchIssuer):
    """An institution's batch issuer as its credit bank sees it when the chain worker anchors the
    grants: issuing a grant waits for its anchoring job (``wait(grant id)``), then adds the anchor proof."""

    def __init__(self, inner: BatchIssuer, wait: Callable[[str], None]) -> None:  # shares the inner issuer's journal and keys
        self.__dict__.update(inner.__dict__)
        self._wait = wait

    def issue(
        self,
        batch_id: str,
        documents: Any,
        *,
        credential_type: bytes,
        created: str,
        status_list_hash: bytes = b"\0" * 32,
    ) -> IssuedBatch:
        self._wait(batch_id)
        return self.complete(batch_id)


def _issuer_subject(institution_id: str) -> str:
    """The subject of an institution's chain jobs: set-up, list updates and anchors run in the order they were decided."""
    return f"issuer:{institution_id}"


def _no_op(*_: Any) -> None:
    return None


class IssuerRuntime:
    """An institution's sender (its own outbox) and batch issuer, opened once per process."""

    def __init__(self, sender: TransactionSender, issuer: BatchIssuer, signing_key: Ed25519KeyPair, *, owns_sender: bool = True) -> None:
        self.sender = sender
        self.issuer = issuer
        self.signing_key = signing_key
        self.owns_sender = owns_sender
        self.lock = threading.Lock()  # one status-list change or credit grant at a time per institution


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
        self._enrolling: dict[str, threading.Lock] = {}
        self._sd_public: dict[str, P256PublicKey | None] = {}
        self.notify: Callable[[], None] = lambda: None  # the chain worker's: new jobs were committed

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
        keys: list[SigningKey] = []
        account = session.get(IssuerAccount, institution_id)
        if account is not None:
            keys.append(Ed25519PublicKeyRef.from_multibase(account.signing_key))
            sd_public = self.sd_public(account)
            if sd_public is not None:
                keys.append(sd_public)
        if bureau_key is not None and bureau_key.public.multibase not in {k.multibase for k in keys}:
            keys.append(bureau_key.public)
        if not keys:
            raise ResourceNotFoundError(f"institution {institution_id} has no signing keys here: it issues no credentials")
        directory = self.ledger.contracts["InstitutionRegistry"]
        now = int(self.ledger.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        institution = bytes.fromhex(institution_id[2:])
        return did_document(
            self.did_of(institution_id), [(key, bool(directory.call("isValidSigningKey", key.chain_key, institution, now))) for key in keys]
        )

    def sd_public(self, account: IssuerAccount) -> P256PublicKey | None:
        """The institution's P-256 (ecdsa-sd-2023) public key, None if it was set up before it had one."""
        with self._lock:
            if account.institution_id not in self._sd_public:
                sd = _open_keys(self.vault, account)[2]
                self._sd_public[account.institution_id] = sd.public if sd is not None else None
            return self._sd_public[account.institution_id]

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
                    self.data_dir / "issuers" / "journal-bureau.sqlite3",
                    sender=self.ledger.sender,
                    anchor=self.ledger.contracts["CredentialAnchor"],
                    directory=self.ledger.contracts["InstitutionRegistry"],
                    signing_key=signing_key,
                    cryptosuite=JCS_SUITE,
                    issuer_id=self.did_of(bureau_id),
                )
                runtime = self._runtimes[bureau_id] = IssuerRuntime(self.ledger.sender, issuer, signing_key, owns_sender=False)
            return runtime

    # Setting institutions up...

    def set_up(self, session: Session, institution: Institution) -> IssuerAccount:
        """Keys for ``institution`` and the chain jobs that accredit its branch of the tree (root
        first, ending with the institution) and register the keys. The caller commits."""
        existing = session.get(IssuerAccount, institution.id)
        if existing is not None:
            return existing
        chain_path = [institution]
        while chain_path[0].parent_id is not None:
            chain_path.insert(0, session.get_one(Institution, chain_path[0].parent_id))
        ethereum, seed, sd = secrets.token_bytes(32), secrets.token_bytes(32), P256KeyPair.generate()
        signer, signing = Signer(ethereum), Ed25519KeyPair.from_seed(seed)
        account = IssuerAccount(
            institution_id=institution.id,
            address=signer.address,
            signing_key=signing.public.multibase,
            sealed_keys=self.vault.seal(_keys_context(institution.id), ethereum + seed + sd.secret),
            master_key_id=self.vault.master.key_id,
        )
        session.add(account)
        subject = _issuer_subject(institution.id)
        if self.ledger.node is not None:  # the embedded chain charges gas; a production chain may not
            enqueue(session, "fund_account", {"address": signer.address, "wei": str(_FUNDING_WEI)}, subject=subject)
        for link in chain_path:
            for credential_type in (*CREDENTIAL_TYPES.values(), STATUS_LIST_TYPE, CREDIT_GRANT_TYPE):
                enqueue(session, "accredit", {"institution_id": link.id, "credential_type": "0x" + credential_type.hex()}, subject=subject)
        enqueue(session, "add_issuer_key", {"institution_id": institution.id, "address": signer.address}, subject=subject)
        enqueue(session, "add_signing_key", {"institution_id": institution.id, "public_key": signing.public.raw.hex()}, subject=subject)
        last = enqueue(
            session, "add_signing_key", {"institution_id": institution.id, "public_key": sd.public.chain_key.hex()}, subject=subject
        )
        account.setup_job_id = last.id
        return account

    def add_missing_sd_keys(self, session: Session) -> int:
        """At start: give every institution set up before base proofs its P-256 key — sealed with its
        other keys and registered on chain by a job in the same transaction — so its next batches carry
        ecdsa-sd-2023 base proofs (until the key lands, :meth:`ready` says the institution is not)."""
        upgraded = 0
        for account in session.scalars(select(IssuerAccount).order_by(IssuerAccount.institution_id)):
            keys = self.vault.open(_keys_context(account.institution_id), account.sealed_keys, key_id=account.master_key_id)
            if len(keys) >= 96:
                continue
            sd = P256KeyPair.generate()
            account.sealed_keys = self.vault.seal(_keys_context(account.institution_id), keys[:64] + sd.secret)
            account.master_key_id = self.vault.master.key_id
            job = enqueue(
                session,
                "add_signing_key",
                {"institution_id": account.institution_id, "public_key": sd.public.chain_key.hex()},
                subject=_issuer_subject(account.institution_id),
            )
            account.setup_job_id = job.id
            with self._lock:
                self._sd_public.pop(account.institution_id, None)
                stale = self._runtimes.pop(account.institution_id, None)
            if stale is not None:
                stale.issuer.close()
            upgraded += 1
        session.commit()
        return upgraded

    def ready(self, account: IssuerAccount) -> bool:
        """Whether the chain knows the institution's keys (its set-up jobs have landed)."""
        directory = self.ledger.contracts["InstitutionRegistry"]
        institution = bytes.fromhex(account.institution_id[2:])
        if bytes(directory.call("issuerKey", account.address)["institutionId"]) != institution:
            return False
        keys: list[SigningKey] = [Ed25519PublicKeyRef.from_multibase(account.signing_key)]
        sd_public = self.sd_public(account)
        keys += [sd_public] if sd_public is not None else []
        now = int(self.ledger.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        return all(directory.call("isValidSigningKey", key.chain_key, institution, now) for key in keys)

    def _runtime(self, account: IssuerAccount) -> IssuerRuntime:
        with self._lock:
            runtime = self._runtimes.get(account.institution_id)
            if runtime is None:
                signer, signing, sd = _open_keys(self.vault, account)
                outboxes = self.data_dir / "issuers"
                outboxes.mkdir(parents=True, exist_ok=True)
                # The ledger owns the sender: reconciled when opened, finalized after every snapshot.
                sender = self.ledger.open_sender(signer, outboxes / f"outbox-{signer.address}.sqlite3")
                issuer = BatchIssuer(
                    outboxes / f"journal-{signer.address}.sqlite3",
                    sender=sender,
                    anchor=self.ledger.contracts["CredentialAnchor"],
                    directory=self.ledger.contracts["InstitutionRegistry"],
                    signing_key=signing,
                    cryptosuite=JCS_SUITE,
                    issuer_id=self.did_of(account.institution_id),
                    sd_key=sd,
                )
                runtime = self._runtimes[account.institution_id] = IssuerRuntime(sender, issuer, signing, owns_sender=False)
            return runtime

    def recover(self, session: Session) -> None:
        """Open every institution's sender at start, so its outbox is reconciled with the chain
        (transactions a crash or a snapshot rewind lost are sent again) before any request."""
        for account in session.scalars(select(IssuerAccount).order_by(IssuerAccount.institution_id)):
            if (self.data_dir / "issuers" / f"outbox-{account.address}.sqlite3").exists():
                try:
                    self._runtime(account)
                except CredentialError:
                    continue  # its keys are not on chain yet (set-up jobs pending); the sender was reconciled all the same
                unfinished = select(CredentialBatch.id).where(
                    CredentialBatch.institution_id == account.institution_id,
                    CredentialBatch.kind == "credit_grant",
                    CredentialBatch.completed_at.is_(None),
                )
                if session.scalar(unfinished.limit(1)) is not None:  # grants a crash interrupted: anchored by their jobs, or dropped
                    bank, _ = self.credit_bank(account, session.get_one(Institution, account.institution_id))
                    try:
                        self._finish_grants(session, bank, account)
                    finally:
                        bank.close()

    # Status lists...

    def list_url(self, list_id: str) -> str:
        return f"{self.base_url}/status-lists/{list_id}"

    def open_list(self, session: Session, institution_id: str, needed: int) -> StatusListRecord:
        """A list of the institution with room for ``needed`` entries (row-locked): the fullest
        that has, or a new one (the library's :func:`status_list_capacity` says how full a list gets)."""
        if needed > _LIST_CAPACITY:
            raise InvalidRequestError(f"a batch holds at most {_LIST_CAPACITY} credentials (one status list); split it")
        record = session.scalar(
            select(StatusListRecord)
            .where(StatusListRecord.institution_id == institution_id, StatusListRecord.allocated_count + needed <= _LIST_CAPACITY)
            .order_by(StatusListRecord.allocated_count.desc(), StatusListRecord.id)
            .limit(1)
            .with_for_update()
        )
        if record is None:
            empty = StatusList(self.list_url("new"), "message", size=_LIST_ENTRIES)
            record = StatusListRecord(
                id=secrets.token_urlsafe(12),
                institution_id=institution_id,
                bits=bytes(empty.bits),
                allocated=empty.allocation_bitmap(),
            )
            session.add(record)
            session.flush()
        return record

    def status_list(self, record: StatusListRecord) -> StatusList:
        """The library's list as the registry persisted it (bits and handed-out entries)."""
        return StatusList.restore(self.list_url(record.id), "message", bits=record.bits, allocation_bitmap=record.allocated)

    def allocate(self, record: StatusListRecord, count: int) -> list[int]:
        """``count`` random indexes never handed out before (the list was opened with room for them)."""
        status = self.status_list(record)
        indexes = status.allocate_many(count)
        record.allocated, record.allocated_count = status.allocation_bitmap(), len(status.allocated)
        return indexes

    def _sign_list(self, record: StatusListRecord, runtime: IssuerRuntime) -> tuple[dict[str, Any], bytes]:
        """The list as it stands, signed by the institution, and its hash."""
        status = self.status_list(record)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = status.credential(issuer=runtime.issuer.issuer_id, valid_from=now)
        signed = sign(
            document,
            runtime.signing_key,
            cryptosuite=JCS_SUITE,
            created=now,
            proof_as_list=True,
            verification_method=runtime.issuer.verification_method,
        )
        return signed, status_list_hash(signed)

    def _list_call(self, record: StatusListRecord, version: int, digest: bytes) -> Any:
        anchor = self.ledger.contracts["CredentialAnchor"]
        url = self.list_url(record.id)
        return anchor.transaction("updateStatusList", status_list_id(url), digest, key=f"status:{record.id}:{version}:{digest.hex()[:16]}")

    def publish(self, record: StatusListRecord, runtime: IssuerRuntime, institution_id: str) -> None:
        """Sign the list as it stands and anchor its hash now, waiting for the receipt (the bureau's
        lists, sent by the relayer key from the chain worker's own cycle)."""
        signed, digest = self._sign_list(record, runtime)
        (entry,) = runtime.sender.submit([self._list_call(record, record.version + 1, digest)])
        # Journaled: it lands (re-sent after a crash if need be). The list it anchors is the one to
        # host, even if the wait below times out and the caller commits without the receipt.
        record.credential, record.list_hash, record.anchored_tx = signed, "0x" + digest.hex(), entry.tx_hash
        record.version += 1
        runtime.sender.raise_for_revert(runtime.sender.wait([entry.tx_hash]))

    def publish_later(self, session: Session, record: StatusListRecord, account: IssuerAccount) -> ChainJob:
        """Sign the list as it stands, host it, and add the chain job that anchors its hash (sent by the
        institution's issuer key), committed with the caller's transaction."""
        signed, digest = self._sign_list(record, self._runtime(account))
        record.credential, record.list_hash = signed, "0x" + digest.hex()
        record.version += 1
        return enqueue(
            session,
            "update_status_list",
            {"list_id": record.id, "version": record.version, "hash": "0x" + digest.hex()},
            subject=_issuer_subject(account.institution_id),
            sender=account.address,
        )

    # The institutions' chain jobs (sent by their own issuer keys, run by the chain worker)...

    def job_kinds(self) -> dict[str, JobKind]:
        """The kinds of job an institution's issuer key sends (see :meth:`ChainWorker.add_kinds`)."""
        return {
            "update_status_list": JobKind(self._build_list, self._apply_list, _no_op, after_failure=True),
            "anchor_batch": JobKind(self._build_anchor, self._apply_anchor, _no_op, after_failure=True),
        }

    def sender_of(self, session: Session, address: str) -> Any:
        """The sender (outbox) of the institution whose issuer key is ``address``."""
        account = session.scalar(select(IssuerAccount).where(IssuerAccount.address == address))
        if account is None:
            raise CredentialError(f"no institution here has the issuer key {address}")
        return self._runtime(account).sender

    def _build_list(self, session: Session, job: ChainJob, ledger: Ledger) -> Any:
        record = session.get(StatusListRecord, job.payload["list_id"])
        if record is None:
            return NOTHING_TO_SEND
        return self._list_call(record, int(job.payload["version"]), bytes.fromhex(job.payload["hash"][2:]))

    def _apply_list(self, session: Session, job: ChainJob, events: Any) -> None:
        record = session.get(StatusListRecord, job.payload["list_id"])
        if record is not None and record.version == int(job.payload["version"]):
            record.anchored_tx = job.tx_hash

    def _build_anchor(self, session: Session, job: ChainJob, ledger: Ledger) -> Any:
        """Sign the batch (once: the issuer's journal keeps what it signed) and the call that anchors its root."""
        batch = session.get(CredentialBatch, job.payload["batch_id"])
        if batch is None or batch.completed_at is not None:
            return NOTHING_TO_SEND
        account = session.get_one(IssuerAccount, batch.institution_id)
        if batch.kind == "credit_grant":
            return self._build_grant_anchor(session, job, batch, account)
        runtime = self._runtime(account)
        credentials = self._credentials_of(session, batch)
        unsigned = batch.documents or [self._unsealed(c) for c in credentials]  # batches before 0005 kept them in clear
        _, call = runtime.issuer.prepare(batch.key, unsigned, credential_type=CREDENTIAL_TYPES[batch.kind], created=job.payload["created"])
        if call is None:  # anchored already: an earlier run landed and a crash lost what it recorded
            self._complete(session, batch, runtime)
            job.tx_hash, job.block_number = batch.tx_hash, batch.block_number
            return NOTHING_TO_SEND
        return call

    def _apply_anchor(self, session: Session, job: ChainJob, events: Any) -> None:
        batch = session.get(CredentialBatch, job.payload["batch_id"])
        if batch is None or batch.completed_at is not None:
            return
        account = session.get_one(IssuerAccount, batch.institution_id)
        if batch.kind == "credit_grant":
            self._complete_grant(session, batch, account)
        else:
            self._complete(session, batch, self._runtime(account))

    def _build_grant_anchor(self, session: Session, job: ChainJob, batch: CredentialBatch, account: IssuerAccount) -> Any:
        """A credit grant is anchored once its bank has recorded it (the request that grants it is between
        its commit and the bank's journal: wait; a crash there: the batch is dropped, see :meth:`_finish_grants`)."""
        bank, runtime = self.credit_bank(account, session.get_one(Institution, batch.institution_id))
        try:
            document = bank.recorded(batch.key)
        finally:
            bank.close()
        if document is None:
            return NOT_READY
        _, call = runtime.issuer.prepare(batch.key, [document], credential_type=CREDIT_GRANT_TYPE, created=job.payload["created"])
        if call is None:  # anchored already
            self._complete_grant(session, batch, account)
            job.tx_hash, job.block_number = batch.tx_hash, batch.block_number
            return NOTHING_TO_SEND
        return call

    def _complete_grant(self, session: Session, batch: CredentialBatch, account: IssuerAccount) -> None:
        """The anchored grant finished by its bank and recorded here (the caller commits)."""
        bank, _ = self.credit_bank(account, session.get_one(Institution, batch.institution_id))
        try:
            grant = bank.finish(batch.key)  # anchored: the bank's issuer adds the anchor proof, sends nothing
        finally:
            bank.close()
        if grant is not None:
            self._fill_grant(session, batch, grant)

    @staticmethod
    def _credentials_of(session: Session, batch: CredentialBatch) -> list[IssuedCredential]:
        return list(
            session.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id).order_by(IssuedCredential.position))
        )

    def _complete(self, session: Session, batch: CredentialBatch, runtime: IssuerRuntime) -> None:
        """The anchored batch's credentials with their anchor proofs, sealed under their subjects' keys
        (the caller commits; the journal's clear copies go once it has)."""
        issued = runtime.issuer.complete(batch.key)
        credentials = self._credentials_of(session, batch)
        documents = {document["id"]: document for document in issued.credentials}
        self._seal_documents(credentials, [documents[c.id] for c in credentials])
        batch.documents = []
        batch.root, batch.tx_hash, batch.block_number = "0x" + issued.root.hex(), issued.tx_hash, issued.block_number
        batch.completed_at = utcnow()
        key, issuer = batch.key, runtime.issuer
        # The journal's clear copies go once the sealed ones here are committed: they are what erasure reaches.
        event.listen(session, "after_commit", lambda _: issuer.forget(key), once=True)

    def _anchor_job(self, session: Session, batch: CredentialBatch, account: IssuerAccount) -> ChainJob | None:
        """The latest job anchoring ``batch``."""
        jobs = session.scalars(
            select(ChainJob).where(ChainJob.kind == "anchor_batch", ChainJob.sender == account.address).order_by(ChainJob.id.desc())
        )
        return next((job for job in jobs if job.payload.get("batch_id") == batch.id), None)

    def _enqueue_anchor(self, session: Session, batch: CredentialBatch, account: IssuerAccount) -> ChainJob:
        """The job that signs and anchors ``batch`` (after the lists its credentials name are anchored)."""
        for list_id in sorted({c.status_list_id for c in self._credentials_of(session, batch)}):
            record = session.get(StatusListRecord, list_id)
            if record is not None and record.version == 0:  # a verifier needs a list anchored to check against
                self.publish_later(session, record, account)
        return enqueue(
            session,
            "anchor_batch",
            {"batch_id": batch.id, "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            subject=_issuer_subject(account.institution_id),
            sender=account.address,
        )

    def await_job(self, session: Session, job_id: int, timeout: float | None = None) -> None:
        """Wait for a committed chain job to be mined: :class:`ChainWriteWaiting` if it is not in time
        (it goes on in the background), :class:`ContractRevertError` if it failed."""
        self.notify()
        limit = timeout if timeout is not None else (self.ledger.write_timeout or 120.0)
        deadline = time.monotonic() + limit
        while True:
            session.rollback()  # everything is committed: end the read, so the worker's commits are seen
            job = session.get_one(ChainJob, job_id, populate_existing=True)
            if job.status == JobStatus.DONE:
                return
            if job.status == JobStatus.FAILED:
                raise ContractRevertError(f"chain job {job.id} ({job.kind}) failed: {job.error}", tx_hash=job.tx_hash)
            if time.monotonic() > deadline:
                raise ChainWriteWaiting(
                    f"chain job {job.id} ({job.kind}) not mined after {limit:.0f} s; it goes on (/chain/jobs/{job.id})",
                    job_id=job.id,
                    tx_hash=job.tx_hash,
                )
            time.sleep(0.05)

    # Issuing...

    def issue(
        self,
        session: Session,
        *,
        institution: Institution,
        account: IssuerAccount,
        key: str,
        kind: str,
        records: list[dict[str, Any]],
        actor: str,
        valid_from: str | None = None,
    ) -> CredentialBatch:
        """Issue (or finish) batch ``key``: fixed and committed first, then signed and anchored once.
        The same key with other records is a :class:`ConflictError` naming the difference."""
        entries = _parse(kind, records)
        if not entries:
            raise InvalidRequestError("a batch holds at least one record")
        digests = self._digests(institution.id, entries)
        content = self._content_digest(kind, valid_from, digests)
        with self._enrolment(institution.id):  # the same key sent twice at once: the second finds the first's batch
            batch = session.scalar(
                select(CredentialBatch).where(CredentialBatch.institution_id == institution.id, CredentialBatch.key == key)
            )
            if batch is not None:
                difference = _difference(batch, kind, content, digests)
                if difference:
                    raise ConflictError(
                        f"batch {key!r} was issued with other records ({difference}); sending a key again finishes that batch, "
                        "new records need a new batch key",
                        code="batch_key_reused",
                    )
            else:
                batch = self._prepare(session, institution, account, key, kind, entries, digests, content, actor, valid_from)
        if batch.completed_at is None:
            self.finish(session, batch, account)
        return batch

    def finish(self, session: Session, batch: CredentialBatch, account: IssuerAccount) -> None:
        """Wait for a committed batch's anchoring job (the chain worker signs the batch and anchors it,
        then keeps its credentials sealed under their subjects' keys); a batch without a live job
        (committed before jobs anchored batches, or whose job failed) gets one."""
        job = self._anchor_job(session, batch, account)
        if job is None or job.status == JobStatus.FAILED:
            job = self._enqueue_anchor(session, batch, account)
            session.commit()
        self.await_job(session, job.id)
        session.expire_all()  # the worker finished it in its own session: read the batch and its credentials again

    def _seal_documents(self, credentials: list[IssuedCredential], documents: list[dict[str, Any]]) -> None:
        sealed = self.vault.seal_many(
            [(str(c.subject_id), f"credential:{c.id}", _canonical(d).encode()) for c, d in zip(credentials, documents, strict=True)]
        )
        for credential, blob in zip(credentials, sealed, strict=True):
            credential.sealed_document, credential.document = blob, None

    def _unsealed(self, credential: IssuedCredential) -> dict[str, Any]:
        if credential.sealed_document is None:
            assert credential.document is not None, f"credential {credential.id} has no document"
            return credential.document
        plain = self.vault.open(f"credential:{credential.id}", credential.sealed_document, subject_id=credential.subject_id)
        return json.loads(plain)  # type: ignore[no-any-return]

    def replace_document(self, credential: IssuedCredential, document: dict[str, Any]) -> None:
        """Keep ``document`` as the credential's copy: sealed under its subject's key (a credit grant, without one, in clear)."""
        if credential.subject_id is None:
            credential.document = document
        else:
            self._seal_documents([credential], [document])

    def document_of(self, credential: IssuedCredential) -> dict[str, Any] | None:
        """The registry's copy of an issued credential; None once its subject is erased."""
        try:
            return self._unsealed(credential)
        except SubjectErasedError:
            return None

    @contextmanager
    def _enrolment(self, institution_id: str) -> Iterator[None]:
        """One enrolment at a time per institution in this process: a refused batch shreds the
        subjects it created only, never one another request just found again."""
        with self._lock:
            lock = self._enrolling.setdefault(institution_id, threading.Lock())
        with lock:
            yield

    def _digests(self, institution_id: str, entries: list[GrowthEntry | DevelopmentEntry]) -> list[list[str]]:
        """Per record, keyed digests (the vault's key: they say nothing without it) of its subject and of
        what the credential attests (the record, and the holder it is bound to)."""

        def attested(entry: GrowthEntry | DevelopmentEntry) -> Any:
            record = entry.record.model_dump(mode="json")
            return record if entry.holder is None else [record, entry.holder]

        return [
            [
                self.vault.fingerprint(f"batch-subject:{institution_id}", _canonical(e.subject.model_dump(mode="json"))).hex()[:32],
                self.vault.fingerprint(f"batch-record:{institution_id}", _canonical(attested(e))).hex()[:32],
            ]
            for e in entries
        ]

    @staticmethod
    def _content_digest(kind: str, valid_from: str | None, digests: list[list[str]]) -> str:
        return hashlib.sha256(_canonical([kind, valid_from, digests]).encode()).hexdigest()

    def _prepare(
        self,
        session: Session,
        institution: Institution,
        account: IssuerAccount,
        key: str,
        kind: str,
        entries: list[GrowthEntry | DevelopmentEntry],
        digests: list[list[str]],
        content: str,
        actor: str,
        valid_from: str | None,
    ) -> CredentialBatch:
        today = date.today()
        people = []
        for entry in entries:
            subject = entry.subject
            fields = {k: v for k, v in subject.model_dump(exclude={"birth_date", "guardian_consent"}).items() if v is not None}
            number = (
                ("student_number", subject.student_number)
                if isinstance(subject, StudentSubject)
                else ("staff_number", subject.staff_number)
            )
            people.append(NewSubject(subject.birth_date, fields, getattr(subject, "guardian_consent", None), key=":".join(number)))
        # Called under self._enrolment(institution): a refused batch shreds only the subjects it created.
        record = self.open_list(session, institution.id, len(entries))
        indexes = self.allocate(record, len(entries))
        try:
            enrolled = self.vault.enroll(people, scope=f"institution:{institution.id}", today=today)
        except ConsentRequiredError as exc:
            session.rollback()
            raise InvalidRequestError(f"{exc} (records are numbered from 0)", code="guardian_consent_required") from None
        try:
            batch = self._documents(session, institution, key, kind, entries, enrolled, record, indexes, actor, valid_from)
            batch.content_digest, batch.record_digests = content, digests
            session.flush()
            self._enqueue_anchor(session, batch, account)  # the chain write, committed with the decision
            session.commit()  # from here on, the batch finishes in the background, and a retry with this key waits for it
        except BaseException:
            session.rollback()
            self._shred_unreferenced(session, [subject_id for subject_id, _ in enrolled])
            raise
        self.vault.confirm(list(dict.fromkeys(subject_id for subject_id, _ in enrolled)))
        return batch

    def _shred_unreferenced(self, session: Session, subject_ids: list[str]) -> int:
        """Erase the pending subjects among ``subject_ids`` that no credential refers to (nothing was
        issued to them: their data must not outlive the request); confirm the referred-to ones."""
        pending = [s for s in dict.fromkeys(subject_ids) if self.vault.is_pending(s)]
        try:
            referred = set(session.scalars(select(IssuedCredential.subject_id).where(IssuedCredential.subject_id.in_(pending))))
        except Exception:  # the database is unreachable: the next start's sweep decides
            log.warning("could not check %d pending subjects now; the next start shreds those nothing refers to", len(pending))
            return 0
        self.vault.confirm([s for s in pending if s in referred])
        shredded = [s for s in pending if s not in referred]
        for subject_id in shredded:
            self.vault.erase(subject_id)
        return len(shredded)

    def sweep_orphans(self, session: Session) -> int:
        """At start: shred the vault subjects an interrupted enrolment left that no credential refers to."""
        pending = self.vault.pending()
        shredded = 0
        for start in range(0, len(pending), 500):
            shredded += self._shred_unreferenced(session, pending[start : start + 500])
        if shredded:
            log.warning("shredded %d subjects enrolled by batches that were never committed (a crash before the commit)", shredded)
        return shredded

    def seal_legacy(self, session: Session) -> int:
        """At start: seal the clear documents that versions before 0005 kept (under their subjects' keys)."""
        sealed = 0
        legacy = select(CredentialBatch).where(CredentialBatch.kind != "credit_grant", CredentialBatch.content_digest.is_(None))
        for batch in session.scalars(legacy):
            if not batch.documents and batch.completed_at is not None:
                continue
            credentials = list(session.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id)))
            if batch.completed_at is None and batch.documents:
                unsigned = {d["id"]: d for d in batch.documents}
                order = {d["id"]: i for i, d in enumerate(batch.documents)}
                for credential in credentials:
                    credential.position = order[credential.id]
                todo = [c for c in credentials if c.sealed_document is None]
                self._seal_documents(todo, [unsigned[c.id] for c in todo])
                sealed += len(todo)
            batch.documents = []
        found = list(
            session.scalars(
                select(IssuedCredential).where(IssuedCredential.document.is_not(None), IssuedCredential.subject_id.is_not(None))
            )
        )
        for credential in found:
            if credential.document is None:  # JSON null written by an older version: SQL NULL from now on
                credential.document = None
                flag_modified(credential, "document")
        clear = [c for c in found if c.document is not None]
        try:
            self._seal_documents(clear, [c.document or {} for c in clear])
        except SubjectErasedError:  # erased before their copies were sealed: drop them one by one
            for credential in clear:
                try:
                    self._seal_documents([credential], [credential.document or {}])
                except SubjectErasedError:
                    credential.document = None
        session.commit()
        return sealed + len(clear)

    def _documents(
        self,
        session: Session,
        institution: Institution,
        key: str,
        kind: str,
        entries: list[GrowthEntry | DevelopmentEntry],
        enrolled: list[tuple[str, bytes]],
        record: StatusListRecord,
        indexes: list[int],
        actor: str,
        valid_from: str | None,
    ) -> CredentialBatch:
        status = self.status_list(record)
        issuer_id = self.did_of(institution.id)
        start = valid_from or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        documents: list[dict[str, Any]] = []
        for entry, (_, salt), index in zip(entries, enrolled, indexes, strict=True):
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            if isinstance(entry, GrowthEntry):
                document = growth_record_credential(
                    credential_id=credential_id,
                    issuer_id=issuer_id,
                    issuer_name=institution.name,
                    identifier=identity_object(entry.subject.student_number, salt),
                    dimension=entry.record.dimension,
                    record_kind=entry.record.record_kind,
                    term=entry.record.term,
                    narrative=entry.record.narrative,
                    valid_from=start,
                    evidence_hashes=entry.record.evidence_hashes,
                )
            else:
                assert isinstance(entry, DevelopmentEntry)
                document = professional_development_credential(
                    credential_id=credential_id,
                    issuer_id=issuer_id,
                    issuer_name=institution.name,
                    identifier=identity_object(entry.subject.staff_number, salt, identity_type="identifier"),
                    training=entry.record.training,
                    category=entry.record.category,
                    hours=entry.record.hours,
                    credits=entry.record.credits,
                    period=entry.record.period,
                    provider=entry.record.provider,
                    valid_from=start,
                    evidence_hashes=entry.record.evidence_hashes,
                )
            if entry.holder is not None:
                document["credentialSubject"] = {"id": entry.holder, **document["credentialSubject"]}
            document["credentialStatus"] = status.entry(index)
            documents.append(document)
        batch = CredentialBatch(
            institution_id=institution.id,
            key=key,
            kind=kind,
            issued_by=actor,
            count=len(documents),
            documents=[],
            subjects=[subject_id for subject_id, _ in enrolled],
        )
        session.add(batch)
        session.flush()
        credentials = [
            IssuedCredential(
                id=document["id"],
                batch_id=batch.id,
                institution_id=institution.id,
                subject_id=subject_id,
                position=position,
                status_list_id=record.id,
                status_index=index,
            )
            for position, (document, (subject_id, _), index) in enumerate(zip(documents, enrolled, indexes, strict=True))
        ]
        self._seal_documents(credentials, documents)  # unsigned for now; the issued ones replace them
        session.add_all(credentials)
        return batch

    # The credit bank...

    def credit_bank(
        self, account: IssuerAccount, institution: Institution, *, waits_for: Callable[[str], None] | None = None
    ) -> tuple[CreditBank, IssuerRuntime]:
        """The institution's credit bank with its current rules (its journal is its own file). ``waits_for``:
        the bank's grants are anchored by their chain jobs, and issuing one waits for its job this way."""
        runtime = self._runtime(account)
        issuer = runtime.issuer if waits_for is None else _AnchoredByJob(runtime.issuer, waits_for)
        rules = [
            ConversionRule(r["achievement_type"], float(r["credits"]), tuple(r.get("accepted_results") or ())) for r in account.credit_rules
        ]
        view = ChainView(
            self.ledger.rpc, self.ledger.contracts["CredentialAnchor"], self.ledger.contracts["InstitutionRegistry"], self.ledger.chain_id
        )
        bank = CreditBank(
            self.data_dir / "issuers" / f"credit-bank-{account.address}.sqlite3",
            issuer=issuer,
            rules=rules,
            chain=view,
            credit_type=CREDIT_GRANT_TYPE,
            issuer_name=institution.name,
            confirmations=self.ledger.sender.confirmations,
        )
        return bank, runtime

    def status_resolver(self, session: Session, supplied: dict[str, dict[str, Any]]) -> Callable[[str], list[dict[str, Any]]]:
        """Status lists for a verification: the one in force for a list hosted here, then one the
        presenter ``supplied`` (by URL); neither: the verifier says it cannot tell."""
        hosted = self.list_url("")

        def resolve(url: str) -> list[dict[str, Any]]:
            record = session.get(StatusListRecord, url[len(hosted) :]) if url.startswith(hosted) else None
            found = [record.credential] if record is not None and record.credential is not None else []  # in force
            if url in supplied:
                found.append(supplied[url])
            if not found:
                raise CredentialError(f"status list {url} was not supplied")
            return found

        return resolve

    def grant_credits(
        self,
        session: Session,
        *,
        institution: Institution,
        account: IssuerAccount,
        presentation: dict[str, Any],
        supplied_lists: dict[str, dict[str, Any]],
        actor: str,
        challenge: str,
        domain: str,
        did_resolver: DidResolver | None = None,
    ) -> tuple[IssuedCredential, CreditGrant]:
        """Verify and convert a presentation (its holder's proof over ``challenge`` and ``domain``) into one
        credit-grant credential with a status entry on the institution's own list (anchored before the grant
        is), recorded as a batch of one."""
        resolve = self.status_resolver(session, supplied_lists)

        def wait_for_anchor(grant_id: str) -> None:
            batch = session.scalar(
                select(CredentialBatch).where(CredentialBatch.institution_id == institution.id, CredentialBatch.key == grant_id)
            )
            job = None if batch is None else self._anchor_job(session, batch, account)
            if job is None:
                raise ConflictError(f"grant {grant_id} has no anchoring job")
            try:
                self.await_job(session, job.id)
            except ChainWriteWaiting as waiting:
                waiting.batch_key = grant_id  # where the client follows it
                raise

        bank, runtime = self.credit_bank(account, institution, waits_for=wait_for_anchor)
        try:
            with runtime.lock:
                self._finish_grants(session, bank, account)
                record = self.open_list(session, institution.id, 1)
                if record.version == 0:  # the grant's status is checked against a list anchored on chain (before the grant)
                    self.publish_later(session, record, account)
                session.commit()

                def status_entry(grant_id: str) -> dict[str, Any]:
                    listed = self.open_list(session, institution.id, 1)
                    (index,) = self.allocate(listed, 1)
                    batch = CredentialBatch(
                        institution_id=institution.id,
                        key=grant_id,
                        kind="credit_grant",
                        issued_by=actor,
                        count=1,
                        documents=[],
                        subjects=[],
                    )
                    session.add(batch)
                    session.flush()
                    session.add(
                        IssuedCredential(
                            id=f"urn:eduledger:{grant_id}",
                            batch_id=batch.id,
                            institution_id=institution.id,
                            subject_id=None,
                            position=0,
                            status_list_id=listed.id,
                            status_index=index,
                        )
                    )
                    session.flush()
                    self._enqueue_anchor(session, batch, account)  # the grant's chain write, committed with it
                    # Before the bank's journal records the grant: a crash between leaves a row _finish_grants drops.
                    session.commit()
                    return self.status_list(listed).entry(index)

                grant = bank.import_presentation(
                    presentation,
                    challenge=challenge,
                    domain=domain,
                    status_resolver=resolve,
                    did_resolver=did_resolver,
                    status_entry=status_entry,
                )
                credential = self._record_grant(session, institution.id, grant)
        finally:
            bank.close()
        return credential, grant

    def _record_grant(self, session: Session, institution_id: str, grant: CreditGrant) -> IssuedCredential:
        batch = session.scalar(
            select(CredentialBatch)
            .where(CredentialBatch.institution_id == institution_id, CredentialBatch.key == grant.grant_id)
            .execution_options(populate_existing=True)  # the chain worker may have recorded it
        )
        credential = session.get(IssuedCredential, f"urn:eduledger:{grant.grant_id}", populate_existing=True)
        if batch is None or credential is None:
            raise ConflictError(f"grant {grant.grant_id} was issued by the credit bank but not recorded by the registry")
        if batch.completed_at is None:
            self._fill_grant(session, batch, grant)
            session.commit()
        return credential

    def _fill_grant(self, session: Session, batch: CredentialBatch, grant: CreditGrant) -> None:
        credential = session.get_one(IssuedCredential, f"urn:eduledger:{grant.grant_id}")
        anchor = grant.credential["proof"][-1]
        credential.document = grant.credential
        for source in dict.fromkeys(grant.converted):
            session.add(GrantSource(grant_id=credential.id, source_id=source))
        batch.root, batch.tx_hash, batch.block_number = anchor["merkleRoot"], anchor["transactionHash"], anchor["blockNumber"]
        batch.completed_at = utcnow()

    def _finish_grants(self, session: Session, bank: CreditBank, account: IssuerAccount) -> None:
        """Grants a crash interrupted: the ones the bank recorded are anchored by their chain job (given
        one if they have none live), the ones it never recorded are dropped."""
        for batch in session.scalars(
            select(CredentialBatch).where(
                CredentialBatch.institution_id == account.institution_id,
                CredentialBatch.kind == "credit_grant",
                CredentialBatch.completed_at.is_(None),
            )
        ).all():
            if bank.recorded(batch.key) is not None:
                job = self._anchor_job(session, batch, account)
                if job is None or job.status == JobStatus.FAILED:
                    self._enqueue_anchor(session, batch, account)
                    session.commit()
                    self.notify()
                continue
            credential = session.get(IssuedCredential, f"urn:eduledger:{batch.key}")
            if credential is not None:
                session.delete(credential)
                session.flush()
            session.delete(batch)
            session.commit()

    def grants(self, session: Session, account: IssuerAccount, institution: Institution) -> list[tuple[IssuedCredential, list[str]]]:
        """The institution's credit grants (interrupted ones finished first), newest first, with what each converted."""
        bank, runtime = self.credit_bank(account, institution)
        try:
            with runtime.lock:
                self._finish_grants(session, bank, account)
        finally:
            bank.close()
        rows = session.scalars(
            select(IssuedCredential)
            .join(CredentialBatch, CredentialBatch.id == IssuedCredential.batch_id)
            .where(CredentialBatch.institution_id == institution.id, CredentialBatch.kind == "credit_grant")
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
        ).all()
        sources: dict[str, list[str]] = {}
        for link in session.scalars(select(GrantSource).where(GrantSource.grant_id.in_([r.id for r in rows]))):
            sources.setdefault(link.grant_id, []).append(link.source_id)
        return [(row, sources.get(row.id, [])) for row in rows]

    def revoke_dependent_grants(self, session: Session, source_id: str) -> int:
        """Revoke the active credit grants that converted ``source_id`` (revoked): credits never
        outlive what they were granted for. Their other sources may be presented again."""
        grants = session.scalars(
            select(IssuedCredential)
            .join(GrantSource, GrantSource.grant_id == IssuedCredential.id)
            .where(GrantSource.source_id == source_id, IssuedCredential.status != "revoked")
        ).all()
        for grant in grants:
            account = session.get(IssuerAccount, grant.institution_id)
            assert account is not None, f"grant {grant.id} of an institution without issuing keys"
            self.change_status(session, grant, account, "revoke", reason=f"the converted credential {source_id} was revoked", wait=False)
        return len(grants)

    def reconcile_grants(self, session: Session) -> int:
        """Active grants one of whose sources (issued here) is revoked: revoked now (a crash came
        between the source's revocation and the grant's)."""
        stale = session.scalars(
            select(GrantSource.source_id)
            .join(IssuedCredential, IssuedCredential.id == GrantSource.source_id)
            .where(IssuedCredential.status == "revoked")
            .where(GrantSource.grant_id.in_(select(IssuedCredential.id).where(IssuedCredential.status != "revoked")))
        ).all()
        return sum(self.revoke_dependent_grants(session, source) for source in set(stale))

    def _release_grant(self, session: Session, credential: IssuedCredential) -> None:
        batch = session.get(CredentialBatch, credential.batch_id)
        if batch is None or batch.kind != "credit_grant":
            return
        account = session.get(IssuerAccount, credential.institution_id)
        institution = session.get(Institution, credential.institution_id)
        assert account is not None and institution is not None
        bank, _ = self.credit_bank(account, institution)
        try:
            bank.release(batch.key)
        finally:
            bank.close()

    # Revoking and suspending...

    def change_status(
        self,
        session: Session,
        credential: IssuedCredential,
        account: IssuerAccount,
        action: str,
        reason: str | None = None,
        *,
        wait: bool = True,
    ) -> IssuedCredential:
        """revoke (final), suspend, or unsuspend a credential: the list is re-signed and hosted, and the
        job that anchors it committed with the change (``wait``: for it to be mined; :class:`ChainWriteWaiting`
        if it is not in time, and it lands in the background). Revoking a credential revokes the credit
        grants that converted it (see :meth:`revoke_dependent_grants`)."""
        targets = {"revoke": REVOKED, "suspend": SUSPENDED, "unsuspend": 0}
        if action not in targets:
            raise InvalidRequestError("action must be revoke, suspend or unsuspend")
        runtime = self._runtime(account)
        with runtime.lock:  # one read-modify-write of a list at a time (SQLite ignores the row lock)
            record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == credential.status_list_id).with_for_update())
            assert record is not None
            status = self.status_list(record)
            current = status.value(credential.status_index)
            if current == REVOKED:
                raise ConflictError("the credential is revoked, and a revocation is final", code="revoked")
            if action == "unsuspend" and current != SUSPENDED:
                raise ConflictError("the credential is not suspended", code="not_suspended")
            if current == targets[action]:
                raise ConflictError(f"the credential is already {credential.status}", code="unchanged")
            status.set_value(credential.status_index, targets[action])
            record.bits = bytes(status.bits)
            credential.status = _STATUS_NAMES[targets[action]]
            credential.status_reason = reason
            job = self.publish_later(session, record, account)
            session.commit()
        if action == "revoke":
            self._release_grant(session, credential)
            self.revoke_dependent_grants(session, credential.id)
        if wait:
            self.await_job(session, job.id)
        else:
            self.notify()
        return credential

"""The personal-data vault (R10): envelope encryption with a data key per subject.

Each subject's fields are sealed with AES-256-GCM under the subject's own data key; that key is
stored only wrapped (AES-256-GCM) by a master key, which lives in a file or the environment,
never in the database. Rotating the master key re-wraps the data keys without touching the
data. Erasing a subject destroys their data key (crypto-shredding): the ciphertexts stay, the
chain stays, nothing can be read back. Subjects under 14 need a guardian-consent reference
before anything about them is recorded.

A subject enrolled with a ``key`` in a ``scope`` (a school's 学籍号 at that school) is found again
by a keyed index: HMAC-SHA256 under the vault's own index key (random, wrapped by the master key
like a data key), never an unsalted hash, so the same student enrolled twice by one school keeps one
subject and one identity salt. The index entry goes when the subject is erased.

New subjects are *pending* until their enroller confirms that something refers to them
(:meth:`Vault.confirm`); a crash in between leaves them pending, and :meth:`Vault.pending` lists
them so the enroller can shred those nothing refers to.

:meth:`Vault.seal` and :meth:`Vault.open` encrypt other data: under the master key (keys an
application holds for others), or under a subject's data key, so erasing the subject makes it
unreadable too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .._exceptions import (
    ConsentRequiredError,
    SubjectErasedError,
    SubjectNotFoundError,
    VaultKeyError,
)
from .._sqlite import open_durable

__all__ = ["MINIMUM_AGE_WITHOUT_CONSENT", "MasterKey", "NewSubject", "Vault", "age_on"]

MINIMUM_AGE_WITHOUT_CONSENT = 14
_NONCE = 12


@dataclass(frozen=True)
class MasterKey:
    """A 256-bit key-encryption key and its short id (so wrapped keys name the key they need)."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise VaultKeyError("the vault master key must be 32 bytes (64 hex digits or base64)")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"eduledger-vault-master:" + self.secret).hexdigest()[:16]

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        text = text.strip()
        try:
            raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
        except ValueError:
            raise VaultKeyError("the vault master key is neither 64 hex digits nor base64") from None
        return cls(raw)

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        try:
            return cls.parse(path.read_text(encoding="ascii"))
        except FileNotFoundError:
            raise VaultKeyError(f"no vault master key at {path}") from None

    @classmethod
    def from_environment(cls, variable: str = "EDULEDGER_VAULT_MASTER_KEY") -> MasterKey:
        value = os.environ.get(variable)
        if not value:
            raise VaultKeyError(f"{variable} is not set")
        return cls.parse(value)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(32))

    def __repr__(self) -> str:
        return f"MasterKey(id={self.key_id})"


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS subjects (
    subject_id TEXT PRIMARY KEY,
    wrapped_key BLOB,
    master_key_id TEXT,
    guardian_consent TEXT,
    created_at REAL NOT NULL,
    erased_at REAL
);
CREATE TABLE IF NOT EXISTS fields (
    subject_id TEXT NOT NULL REFERENCES subjects (subject_id),
    name TEXT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (subject_id, name)
);
CREATE TABLE IF NOT EXISTS subject_index (
    digest BLOB PRIMARY KEY,
    subject_id TEXT NOT NULL REFERENCES subjects (subject_id)
);
CREATE INDEX IF NOT EXISTS subject_index_by_subject ON subject_index (subject_id);
CREATE TABLE IF NOT EXISTS vault_keys (
    name TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL,
    master_key_id TEXT NOT NULL
);
"""
_INDEX_KEY = "subject-index"


@dataclass(frozen=True)
class NewSubject:
    """A subject to enrol: birth date, personal fields (name, 学籍号, guardian, contact…), consent."""

    birth_date: date
    fields: dict[str, Any]
    guardian_consent: str | None = None
    key: str | None = None  # what finds the subject again within the enrolment's scope (e.g. "student_number:G1201…")


class Vault:
    """Personal data by pseudonymous subject id, encrypted at rest, erasable."""

    def __init__(self, path: Path | str, master: MasterKey, *, previous: tuple[MasterKey, ...] = ()) -> None:
        self.master = master
        self._keyring = {k.key_id: k for k in (*previous, master)}
        self._db = open_durable(path, _SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(subjects)")}
        if "pending" not in columns:  # a vault made before subjects could be pending
            self._db.execute("ALTER TABLE subjects ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")
        self._lock = threading.Lock()
        self._index_key = self._vault_key(_INDEX_KEY)

    def close(self) -> None:
        self._db.close()

    # Subjects...

    def create_subject(self, *, birth_date: date, guardian_consent: str | None = None, today: date | None = None) -> str:
        """Register a subject; returns their pseudonymous id (random: it says nothing about them)."""
        if age_on(birth_date, today or date.today()) < MINIMUM_AGE_WITHOUT_CONSENT and not guardian_consent:
            raise ConsentRequiredError("the subject is under 14: record a guardian-consent reference before anything else")
        subject_id = "subj_" + secrets.token_hex(16)
        data_key = AESGCM.generate_key(bit_length=256)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO subjects (subject_id, wrapped_key, master_key_id, guardian_consent, created_at) VALUES (?, ?, ?, ?, ?)",
                (subject_id, self._wrap(subject_id, data_key), self.master.key_id, guardian_consent, time.time()),
            )
            self._db.execute(
                "INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)",
                (subject_id, "birth_date", self._seal(subject_id, "birth_date", data_key, birth_date.isoformat())),
            )
            self._db.execute("COMMIT")
        return subject_id

    def enroll(self, subjects: list[NewSubject], *, scope: str | None = None, today: date | None = None) -> list[tuple[str, bytes]]:
        """Register a whole class or grade in one transaction: all or none. Returns each subject's
        pseudonymous id and identity salt, in order. A subject with a ``key`` already enrolled in
        ``scope`` is the same subject again (their fields are updated); new subjects are pending
        until :meth:`confirm`."""
        day = today or date.today()
        for position, subject in enumerate(subjects):
            if age_on(subject.birth_date, day) < MINIMUM_AGE_WITHOUT_CONSENT and not subject.guardian_consent:
                raise ConsentRequiredError(f"subject {position} is under 14: record a guardian-consent reference before anything else")
            if subject.key is not None and scope is None:
                raise ValueError("a subject's key finds them within a scope: pass scope=")
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                enrolled = self._enroll_locked(subjects, scope, now)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return enrolled

    def _enroll_locked(self, subjects: list[NewSubject], scope: str | None, now: float) -> list[tuple[str, bytes]]:
        enrolled: list[tuple[str, bytes]] = []
        master = AESGCM(self.master.secret)
        found: dict[bytes, tuple[str, bytes, AESGCM]] = {}  # index digest -> subject id, salt, cipher
        for subject in subjects:
            values = {**subject.fields, "birth_date": subject.birth_date.isoformat()}
            digest = self.fingerprint(f"subject:{scope}", subject.key) if subject.key is not None else None
            known = found.get(digest) if digest is not None else None
            if known is None and digest is not None:
                row = self._db.execute(
                    "SELECT s.subject_id, s.wrapped_key, s.master_key_id FROM subject_index i"
                    " JOIN subjects s ON s.subject_id = i.subject_id WHERE i.digest = ? AND s.wrapped_key IS NOT NULL",
                    (digest,),
                ).fetchone()
                if row is not None:
                    cipher = AESGCM(self._unwrap(row[0], row[1], row[2]))
                    sealed = self._db.execute(
                        "SELECT sealed FROM fields WHERE subject_id = ? AND name = 'identity_salt'", (row[0],)
                    ).fetchone()
                    salt = bytes.fromhex(self._open(row[0], "identity_salt", cipher, sealed[0]))
                    known = (row[0], salt, cipher)
            if known is not None:  # enrolled before: the same subject, their fields brought up to date
                subject_id, salt, cipher = known
                self._db.executemany(
                    "INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)"
                    " ON CONFLICT (subject_id, name) DO UPDATE SET sealed = excluded.sealed",
                    [(subject_id, name, self._seal(subject_id, name, cipher, value)) for name, value in values.items()],
                )
                if subject.guardian_consent:
                    self._db.execute(
                        "UPDATE subjects SET guardian_consent = ? WHERE subject_id = ?", (subject.guardian_consent, subject_id)
                    )
                enrolled.append((subject_id, salt))
                if digest is not None:
                    found[digest] = known
                continue
            # One draw from the system's randomness per subject: id, data key, salt, and a nonce per sealed value.
            random = os.urandom(16 + 32 + 16 + _NONCE * (len(values) + 2))
            subject_id, data_key, salt = "subj_" + random[:16].hex(), random[16:48], random[48:64]
            nonces = [random[64 + i * _NONCE : 64 + (i + 1) * _NONCE] for i in range(len(values) + 2)]
            values["identity_salt"] = salt.hex()
            enrolled.append((subject_id, salt))
            wrapped = nonces[-1] + master.encrypt(nonces[-1], data_key, b"wrap:" + subject_id.encode())
            self._db.execute(
                "INSERT INTO subjects (subject_id, wrapped_key, master_key_id, guardian_consent, created_at, pending)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (subject_id, wrapped, self.master.key_id, subject.guardian_consent, now),
            )
            cipher = AESGCM(data_key)
            self._db.executemany(
                "INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)",
                [
                    (subject_id, name, self._seal(subject_id, name, cipher, value, nonce))
                    for (name, value), nonce in zip(values.items(), nonces, strict=False)
                ],
            )
            if digest is not None:
                self._db.execute("INSERT OR REPLACE INTO subject_index (digest, subject_id) VALUES (?, ?)", (digest, subject_id))
                found[digest] = (subject_id, salt, cipher)
        return enrolled

    def confirm(self, subject_ids: list[str]) -> None:
        """Something durable now refers to these subjects: they are no longer pending."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("UPDATE subjects SET pending = 0 WHERE subject_id = ?", [(s,) for s in subject_ids])
            self._db.execute("COMMIT")

    def pending(self) -> list[str]:
        """Subjects enrolled but never confirmed (an enrolment interrupted by a crash), not erased."""
        with self._lock:
            rows = self._db.execute("SELECT subject_id FROM subjects WHERE pending = 1 AND wrapped_key IS NOT NULL").fetchall()
        return [row[0] for row in rows]

    def is_pending(self, subject_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT pending FROM subjects WHERE subject_id = ?", (subject_id,)).fetchone()
        return bool(row and row[0])

    def fingerprint(self, scope: str, value: str) -> bytes:
        """HMAC-SHA256 of ``value`` in ``scope`` under the vault's index key: the same input gives the
        same digest in this vault only; without the key it says nothing (unlike an unsalted hash)."""
        return hmac.new(self._index_key, scope.encode() + b"\0" + value.encode(), hashlib.sha256).digest()

    def put(self, subject_id: str, name: str, value: Any) -> None:
        data_key = self._data_key(subject_id)
        sealed = self._seal(subject_id, name, data_key, value)
        with self._lock:
            self._db.execute(
                "INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)"
                " ON CONFLICT (subject_id, name) DO UPDATE SET sealed = excluded.sealed",
                (subject_id, name, sealed),
            )

    def get(self, subject_id: str, name: str) -> Any:
        data_key = self._data_key(subject_id)
        with self._lock:
            row = self._db.execute("SELECT sealed FROM fields WHERE subject_id = ? AND name = ?", (subject_id, name)).fetchone()
        if row is None:
            raise SubjectNotFoundError(f"{subject_id} has no field {name!r}")
        return self._open(subject_id, name, data_key, row[0])

    def salt(self, subject_id: str) -> bytes:
        """The subject's identity salt (made on first use), for salted IdentityObjects."""
        try:
            return bytes.fromhex(self.get(subject_id, "identity_salt"))
        except SubjectNotFoundError:
            salt = secrets.token_bytes(16)
            self.put(subject_id, "identity_salt", salt.hex())
            return salt

    def erase(self, subject_id: str) -> None:
        """Crypto-shred: destroy the subject's data key. Their ciphertexts become unreadable."""
        self._data_key(subject_id)  # raises if unknown or already erased
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "UPDATE subjects SET wrapped_key = NULL, master_key_id = NULL, erased_at = ?, pending = 0 WHERE subject_id = ?",
                (time.time(), subject_id),
            )
            self._db.execute("DELETE FROM subject_index WHERE subject_id = ?", (subject_id,))
            self._db.execute("COMMIT")

    def rotate_master(self, new_master: MasterKey) -> int:
        """Re-wrap every data key under ``new_master``; data is not re-encrypted. Returns how many."""
        self._keyring[new_master.key_id] = new_master
        with self._lock:
            rows = self._db.execute("SELECT subject_id, wrapped_key, master_key_id FROM subjects WHERE wrapped_key IS NOT NULL").fetchall()
            rewrapped = []
            for subject_id, wrapped, key_id in rows:
                data_key = self._unwrap(subject_id, wrapped, key_id)
                rewrapped.append((self._wrap(subject_id, data_key, new_master), new_master.key_id, subject_id))
            keys = [
                (self._wrap("vault-key:" + name, self._unwrap("vault-key:" + name, wrapped, key_id), new_master), new_master.key_id, name)
                for name, wrapped, key_id in self._db.execute("SELECT name, wrapped, master_key_id FROM vault_keys").fetchall()
            ]
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("UPDATE subjects SET wrapped_key = ?, master_key_id = ? WHERE subject_id = ?", rewrapped)
            self._db.executemany("UPDATE vault_keys SET wrapped = ?, master_key_id = ? WHERE name = ?", keys)
            self._db.execute("COMMIT")
        self.master = new_master
        return len(rewrapped)

    # Other data sealed by the vault...

    def seal(self, context: str, plaintext: bytes, *, subject_id: str | None = None) -> bytes:
        """AES-256-GCM under the master key, or under ``subject_id``'s data key (erasing the subject
        makes it unreadable); ``context`` is bound to the ciphertext and needed to open it."""
        nonce = secrets.token_bytes(_NONCE)
        if subject_id is None:
            return nonce + AESGCM(self.master.secret).encrypt(nonce, plaintext, context.encode())
        key = self._data_key(subject_id)
        return nonce + AESGCM(key).encrypt(nonce, plaintext, f"{subject_id}/sealed:{context}".encode())

    def seal_many(self, items: list[tuple[str, str, bytes]]) -> list[bytes]:
        """:meth:`seal` each ``(subject_id, context, plaintext)`` under its subject's key (each key unwrapped once)."""
        ciphers: dict[str, AESGCM] = {}
        sealed = []
        for subject_id, context, plaintext in items:
            cipher = ciphers.get(subject_id) or ciphers.setdefault(subject_id, AESGCM(self._data_key(subject_id)))
            nonce = secrets.token_bytes(_NONCE)
            sealed.append(nonce + cipher.encrypt(nonce, plaintext, f"{subject_id}/sealed:{context}".encode()))
        return sealed

    def open(self, context: str, sealed: bytes, *, subject_id: str | None = None, key_id: str | None = None) -> bytes:
        """What :meth:`seal` sealed. Raises :class:`SubjectErasedError` once the subject is erased,
        :class:`VaultKeyError` if the data was changed or sealed under another key or context."""
        if subject_id is None:
            master = self._keyring.get(key_id or self.master.key_id)
            if master is None:
                raise VaultKeyError(f"{context} is sealed with master key {key_id}, which is not loaded")
            key, aad = master.secret, context.encode()
        else:
            key, aad = self._data_key(subject_id), f"{subject_id}/sealed:{context}".encode()
        try:
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except (InvalidTag, ValueError):
            raise VaultKeyError(f"{context} does not decrypt: tampered, or sealed with another key") from None

    # Keys...

    def _vault_key(self, name: str) -> bytes:
        """The vault's own key ``name`` (made on first use), wrapped by the master key like a data key."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT wrapped, master_key_id FROM vault_keys WHERE name = ?", (name,)).fetchone()
                if row is None:
                    key = secrets.token_bytes(32)
                    self._db.execute(
                        "INSERT INTO vault_keys (name, wrapped, master_key_id) VALUES (?, ?, ?)",
                        (name, self._wrap("vault-key:" + name, key), self.master.key_id),
                    )
                else:
                    key = self._unwrap("vault-key:" + name, row[0], row[1])
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return key

    def _wrap(self, subject_id: str, data_key: bytes, master: MasterKey | None = None) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        key = master or self.master
        return nonce + AESGCM(key.secret).encrypt(nonce, data_key, b"wrap:" + subject_id.encode())

    def _unwrap(self, subject_id: str, wrapped: bytes, key_id: str) -> bytes:
        master = self._keyring.get(key_id)
        if master is None:
            raise VaultKeyError(f"{subject_id}'s data key is wrapped by master key {key_id}, which is not loaded")
        try:
            return AESGCM(master.secret).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], b"wrap:" + subject_id.encode())
        except InvalidTag:
            raise VaultKeyError(f"{subject_id}'s wrapped data key does not open with master key {key_id}") from None

    def _data_key(self, subject_id: str) -> bytes:
        with self._lock:
            row = self._db.execute(
                "SELECT wrapped_key, master_key_id, erased_at FROM subjects WHERE subject_id = ?", (subject_id,)
            ).fetchone()
        if row is None:
            raise SubjectNotFoundError(f"no subject {subject_id} in the vault")
        if row[2] is not None:
            raise SubjectErasedError(f"{subject_id} was erased; their personal data cannot be recovered")
        return self._unwrap(subject_id, row[0], row[1])

    @staticmethod
    def _seal(subject_id: str, name: str, data_key: bytes | AESGCM, value: Any, nonce: bytes | None = None) -> bytes:
        nonce = nonce or secrets.token_bytes(_NONCE)
        plaintext = json.dumps(value, ensure_ascii=False).encode()
        cipher = data_key if isinstance(data_key, AESGCM) else AESGCM(data_key)
        return nonce + cipher.encrypt(nonce, plaintext, f"{subject_id}/{name}".encode())

    @staticmethod
    def _open(subject_id: str, name: str, data_key: bytes | AESGCM, sealed: bytes) -> Any:
        cipher = data_key if isinstance(data_key, AESGCM) else AESGCM(data_key)
        try:
            plaintext = cipher.decrypt(sealed[:_NONCE], sealed[_NONCE:], f"{subject_id}/{name}".encode())
        except InvalidTag:
            raise VaultKeyError(f"{subject_id}/{name} does not decrypt: tampered or sealed with another key") from None
        return json.loads(plaintext)

"""The personal-data vault (R10): envelope encryption with a data key per subject.

Each subject's fields are sealed with AES-256-GCM under the subject's own data key; that key is
stored only wrapped (AES-256-GCM) by a master key, which lives in a file or the environment,
never in the database. Rotating the master key re-wraps the data keys without touching the
data. Erasing a subject destroys their data key (crypto-shredding): the ciphertexts stay, the
chain stays, nothing can be read back. Subjects under 14 need a guardian-consent reference
before anything about them is recorded.
"""

from __future__ import annotations

import base64
import hashlib
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
"""


@dataclass(frozen=True)
class NewSubject:
    """A subject to enrol: birth date, personal fields (name, 学籍号, guardian, contact…), consent."""

    birth_date: date
    fields: dict[str, Any]
    guardian_consent: str | None = None


class Vault:
    """Personal data by pseudonymous subject id, encrypted at rest, erasable."""

    def __init__(self, path: Path | str, master: MasterKey, *, previous: tuple[MasterKey, ...] = ()) -> None:
        self.master = master
        self._keyring = {k.key_id: k for k in (*previous, master)}
        self._db = open_durable(path, _SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # Subjects...

    def create_subject(
        self, *, birth_date: date, guardian_consent: str | None = None, today: date | None = None
    ) -> str:
        """Register a subject; returns their pseudonymous id (random: it says nothing about them)."""
        if age_on(birth_date, today or date.today()) < MINIMUM_AGE_WITHOUT_CONSENT and not guardian_consent:
            raise ConsentRequiredError(
                "the subject is under 14: record a guardian-consent reference before anything else"
            )
        subject_id = "subj_" + secrets.token_hex(16)
        data_key = AESGCM.generate_key(bit_length=256)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO subjects (subject_id, wrapped_key, master_key_id, guardian_consent, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (subject_id, self._wrap(subject_id, data_key), self.master.key_id, guardian_consent, time.time()),
            )
            self._db.execute(
                "INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)",
                (subject_id, "birth_date", self._seal(subject_id, "birth_date", data_key, birth_date.isoformat())),
            )
            self._db.execute("COMMIT")
        return subject_id

    def enroll(self, subjects: list[NewSubject], *, today: date | None = None) -> list[tuple[str, bytes]]:
        """Register a whole class or grade in one transaction: all or none. Returns each subject's
        pseudonymous id and identity salt, in order."""
        day = today or date.today()
        for position, subject in enumerate(subjects):
            if age_on(subject.birth_date, day) < MINIMUM_AGE_WITHOUT_CONSENT and not subject.guardian_consent:
                raise ConsentRequiredError(
                    f"subject {position} is under 14: record a guardian-consent reference before anything else"
                )
        now = time.time()
        enrolled: list[tuple[str, bytes]] = []
        subject_rows: list[tuple[Any, ...]] = []
        field_rows: list[tuple[str, str, bytes]] = []
        master = AESGCM(self.master.secret)
        for subject in subjects:
            values = {**subject.fields, "birth_date": subject.birth_date.isoformat()}
            # One draw from the system's randomness per subject: id, data key, salt, and a nonce per sealed value.
            random = os.urandom(16 + 32 + 16 + _NONCE * (len(values) + 2))
            subject_id, data_key, salt = "subj_" + random[:16].hex(), random[16:48], random[48:64]
            nonces = [random[64 + i * _NONCE : 64 + (i + 1) * _NONCE] for i in range(len(values) + 2)]
            values["identity_salt"] = salt.hex()
            enrolled.append((subject_id, salt))
            wrapped = nonces[-1] + master.encrypt(nonces[-1], data_key, b"wrap:" + subject_id.encode())
            subject_rows.append((subject_id, wrapped, self.master.key_id, subject.guardian_consent, now))
            cipher = AESGCM(data_key)
            field_rows.extend(
                (subject_id, name, self._seal(subject_id, name, cipher, value, nonce))
                for (name, value), nonce in zip(values.items(), nonces, strict=False)
            )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO subjects (subject_id, wrapped_key, master_key_id, guardian_consent, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    subject_rows,
                )
                self._db.executemany("INSERT INTO fields (subject_id, name, sealed) VALUES (?, ?, ?)", field_rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return enrolled

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
            row = self._db.execute(
                "SELECT sealed FROM fields WHERE subject_id = ? AND name = ?", (subject_id, name)
            ).fetchone()
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
            self._db.execute(
                "UPDATE subjects SET wrapped_key = NULL, master_key_id = NULL, erased_at = ? WHERE subject_id = ?",
                (time.time(), subject_id),
            )

    def rotate_master(self, new_master: MasterKey) -> int:
        """Re-wrap every data key under ``new_master``; data is not re-encrypted. Returns how many."""
        self._keyring[new_master.key_id] = new_master
        with self._lock:
            rows = self._db.execute(
                "SELECT subject_id, wrapped_key, master_key_id FROM subjects WHERE wrapped_key IS NOT NULL"
            ).fetchall()
            rewrapped = []
            for subject_id, wrapped, key_id in rows:
                data_key = self._unwrap(subject_id, wrapped, key_id)
                rewrapped.append((self._wrap(subject_id, data_key, new_master), new_master.key_id, subject_id))
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("UPDATE subjects SET wrapped_key = ?, master_key_id = ? WHERE subject_id = ?", rewrapped)
            self._db.execute("COMMIT")
        self.master = new_master
        return len(rewrapped)

    # Keys...

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
    def _open(subject_id: str, name: str, data_key: bytes, sealed: bytes) -> Any:
        try:
            plaintext = AESGCM(data_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], f"{subject_id}/{name}".encode())
        except InvalidTag:
            raise VaultKeyError(f"{subject_id}/{name} does not decrypt: tampered or sealed with another key") from None
        return json.loads(plaintext)

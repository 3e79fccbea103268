"""The vault: encrypted at rest, key per subject, rotation by re-wrapping, crypto-shredding, consent."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from ledger_service import ConsentRequiredError, SubjectErasedError, SubjectNotFoundError, VaultKeyError
from ledger_service.vault import MasterKey, NewSubject, Vault, age_on

TODAY = date(2026, 11, 22)
STUDENT = {"name": "张小明", "student_number": "G110105201501011234", "guardian": "张伟", "contact": "13800138000"}


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    opened = Vault(tmp_path / "vault.sqlite3", MasterKey.generate())
    yield opened
    opened.close()


def test_personal_data_round_trips_and_is_not_on_disk_in_clear(vault: Vault, tmp_path: Path) -> None:
    subject = vault.create_subject(birth_date=date(2008, 3, 1), today=TODAY)
    for field, value in STUDENT.items():
        vault.put(subject, field, value)
    assert {field: vault.get(subject, field) for field in STUDENT} == STUDENT
    assert vault.get(subject, "birth_date") == "2008-03-01"
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("vault.sqlite3*"))
    for value in [*STUDENT.values(), "2008-03-01"]:
        assert value.encode() not in raw, f"{value} is readable on disk"
    assert subject.startswith("subj_") and "张" not in subject


def test_under_14_needs_a_guardian_consent_reference(vault: Vault) -> None:
    with pytest.raises(ConsentRequiredError):
        vault.create_subject(birth_date=date(2015, 1, 1), today=TODAY)
    child = vault.create_subject(birth_date=date(2015, 1, 1), guardian_consent="consent-2026-0042", today=TODAY)
    assert vault.get(child, "birth_date") == "2015-01-01"
    assert age_on(date(2012, 11, 23), TODAY) == 13 and age_on(date(2012, 11, 22), TODAY) == 14
    vault.create_subject(birth_date=date(2012, 11, 22), today=TODAY)  # 14 today: no consent needed


def test_erasing_destroys_the_key_and_nothing_else_is_readable(vault: Vault) -> None:
    subject = vault.create_subject(birth_date=date(2008, 3, 1), today=TODAY)
    vault.put(subject, "name", STUDENT["name"])
    salt = vault.salt(subject)
    assert vault.salt(subject) == salt, "the identity salt is stable"
    other = vault.create_subject(birth_date=date(2007, 5, 5), today=TODAY)
    vault.put(other, "name", "李四")
    vault.erase(subject)
    for field in ("name", "birth_date", "identity_salt"):
        with pytest.raises(SubjectErasedError):
            vault.get(subject, field)
    with pytest.raises(SubjectErasedError):
        vault.erase(subject)
    assert vault.get(other, "name") == "李四", "erasing one subject leaves the others"


def test_rotation_rewraps_without_reencrypting(tmp_path: Path) -> None:
    path = tmp_path / "vault.sqlite3"
    old, new = MasterKey.generate(), MasterKey.generate()
    vault = Vault(path, old)
    subject = vault.create_subject(birth_date=date(2008, 3, 1), today=TODAY)
    vault.put(subject, "name", STUDENT["name"])
    sealed_before = sqlite3.connect(path).execute("SELECT sealed FROM fields WHERE name = 'name'").fetchone()[0]
    assert vault.rotate_master(new) == 1
    vault.close()
    sealed_after = sqlite3.connect(path).execute("SELECT sealed FROM fields WHERE name = 'name'").fetchone()[0]
    assert sealed_after == sealed_before, "the data itself was not re-encrypted"
    reopened = Vault(path, new)  # the old master key is no longer needed
    assert reopened.get(subject, "name") == STUDENT["name"]
    reopened.close()
    with pytest.raises(VaultKeyError, match="not loaded"):
        Vault(path, old).get(subject, "name")


def test_master_keys_from_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = MasterKey.generate()
    (tmp_path / "master.key").write_text(key.secret.hex())
    assert MasterKey.from_file(tmp_path / "master.key") == key
    monkeypatch.setenv("EDULEDGER_VAULT_MASTER_KEY", key.secret.hex())
    assert MasterKey.from_environment() == key
    assert key.secret.hex() not in repr(key)
    for bad in ["", "zz" * 32, "00" * 16]:
        with pytest.raises(VaultKeyError):
            MasterKey.parse(bad)
    with pytest.raises(VaultKeyError, match="no vault master key"):
        MasterKey.from_file(tmp_path / "absent.key")


def test_unknown_subjects_and_fields(vault: Vault) -> None:
    with pytest.raises(SubjectNotFoundError):
        vault.get("subj_unknown", "name")
    subject = vault.create_subject(birth_date=date(2000, 1, 1), today=TODAY)
    with pytest.raises(SubjectNotFoundError, match="no field"):
        vault.get(subject, "nickname")


def test_a_class_is_enrolled_in_one_transaction_all_or_none(vault: Vault, tmp_path: Path) -> None:
    pupils = [
        NewSubject(date(2016, 9, 1), {"name": f"学生{i}", "student_number": f"G11010520160901{i:04d}"}, "consent/2026/17")
        for i in range(30)
    ]
    enrolled = vault.enroll(pupils, today=TODAY)
    assert len({subject for subject, _ in enrolled}) == 30
    subject, salt = enrolled[4]
    assert vault.get(subject, "name") == "学生4" and vault.salt(subject) == salt
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("vault.sqlite3*"))
    assert "学生4".encode() not in raw and b"G110105201609010004" not in raw
    without_consent = [*pupils[:3], NewSubject(date(2016, 9, 1), {"name": "无同意"})]
    with pytest.raises(ConsentRequiredError, match="subject 3"):
        vault.enroll(without_consent, today=TODAY)
    count = sqlite3.connect(tmp_path / "vault.sqlite3").execute("SELECT count(*) FROM subjects").fetchone()[0]
    assert count == 30, "nothing of the refused class was recorded"


def _pupil(number: str, name: str = "王小红", contact: str | None = None) -> NewSubject:
    fields = {"name": name, "student_number": number, **({"contact": contact} if contact else {})}
    return NewSubject(date(2012, 5, 1), fields, "consent/2026/9", key=f"student_number:{number}")


def test_a_student_enrolled_again_in_the_same_scope_is_the_same_subject(vault: Vault, tmp_path: Path) -> None:
    number = "G110105201205011234"
    [(first, salt)] = vault.enroll([_pupil(number)], scope="institution:0xaa", today=TODAY)
    again = vault.enroll(
        [_pupil(number, contact="13900000000"), _pupil("G110105201205019999"), _pupil(number)], scope="institution:0xaa", today=TODAY
    )
    assert again[0] == (first, salt) and again[2] == (first, salt), "found by the keyed index: one subject, one salt"
    assert again[1][0] != first
    assert vault.get(first, "contact") == "13900000000", "the fields are brought up to date"
    [(elsewhere, other_salt)] = vault.enroll([_pupil(number)], scope="institution:0xbb", today=TODAY)
    assert elsewhere != first and other_salt != salt, "another school's enrolment is another subject"
    with sqlite3.connect(tmp_path / "vault.sqlite3") as db:
        digests = [bytes(row[0]) for row in db.execute("SELECT digest FROM subject_index")]
    assert len(digests) == 3
    scoped = [f"institution:0xaa\0student_number:{number}", f"student_number:{number}", number]
    plain = {hashlib.sha256(text.encode()).digest() for text in scoped} | {keccak(text.encode()) for text in scoped}
    assert not plain & set(digests), "the index is keyed, never an unsalted hash"
    vault.erase(first)
    [(new, _)] = vault.enroll([_pupil(number)], scope="institution:0xaa", today=TODAY)
    assert new != first, "an erased subject is never found again (their index entry went with them)"
    with pytest.raises(ValueError, match="scope"):
        vault.enroll([_pupil(number)], today=TODAY)


def test_the_index_survives_a_master_key_rotation(tmp_path: Path) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    vault = Vault(tmp_path / "vault.sqlite3", old)
    [(subject, _)] = vault.enroll([_pupil("G1101052012050100")], scope="s", today=TODAY)
    vault.rotate_master(new)
    vault.close()
    reopened = Vault(tmp_path / "vault.sqlite3", new)
    assert reopened.enroll([_pupil("G1101052012050100")], scope="s", today=TODAY)[0][0] == subject
    reopened.close()


def test_new_subjects_are_pending_until_confirmed(vault: Vault) -> None:
    enrolled = vault.enroll([_pupil("G1"), _pupil("G2")], scope="s", today=TODAY)
    ids = [subject for subject, _ in enrolled]
    assert sorted(vault.pending()) == sorted(ids)
    vault.confirm(ids[:1])
    assert vault.pending() == ids[1:] and not vault.is_pending(ids[0])
    vault.enroll([_pupil("G1")], scope="s", today=TODAY)
    assert not vault.is_pending(ids[0]), "found again: still confirmed"
    vault.erase(ids[1])
    assert vault.pending() == [], "an erased subject is not pending"


def test_seal_and_open_under_the_master_key_or_a_subjects_key(tmp_path: Path) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    vault = Vault(tmp_path / "vault.sqlite3", old)
    sealed = vault.seal("issuer-keys:0x01", b"k" * 64)
    assert b"k" * 64 not in sealed and vault.open("issuer-keys:0x01", sealed) == b"k" * 64
    with pytest.raises(VaultKeyError):
        vault.open("issuer-keys:0x02", sealed)  # bound to its context
    with pytest.raises(VaultKeyError):
        vault.open("issuer-keys:0x01", sealed[:-1] + bytes([sealed[-1] ^ 1]))
    vault.rotate_master(new)
    assert vault.open("issuer-keys:0x01", sealed, key_id=old.key_id) == b"k" * 64, "older blobs name their key"
    [(subject, _)] = vault.enroll([_pupil("G3")], scope="s", today=TODAY)
    [document] = vault.seal_many([(subject, "credential:urn:1", "评语：热心公益".encode())])
    assert vault.open("credential:urn:1", document, subject_id=subject).decode() == "评语：热心公益"
    with pytest.raises(VaultKeyError):
        vault.open("credential:urn:2", document, subject_id=subject)
    vault.erase(subject)
    with pytest.raises(SubjectErasedError):
        vault.open("credential:urn:1", document, subject_id=subject)
    vault.close()


def test_a_vault_made_before_pending_subjects_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE subjects (subject_id TEXT PRIMARY KEY, wrapped_key BLOB, master_key_id TEXT, guardian_consent TEXT,"
            " created_at REAL NOT NULL, erased_at REAL);"
        )
    vault = Vault(path, MasterKey.generate())
    assert vault.pending() == []
    vault.enroll([_pupil("G4")], scope="s", today=TODAY)
    vault.close()

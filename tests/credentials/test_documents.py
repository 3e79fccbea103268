"""Growth-record credentials validate against the official OB 3.0 and VC 2.0 schemas, signed both ways."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest

from ledger_service.credentials import (
    JCS_SUITE,
    RDFC_SUITE,
    Ed25519KeyPair,
    growth_record_credential,
    identity_object,
    schema_errors,
    sign,
    verify,
)

STUDENT_NUMBER = "G110105201501011234"  # 学籍号: it contains the national ID number
SALT = bytes(range(16))


def record() -> dict[str, Any]:
    return growth_record_credential(
        credential_id="urn:uuid:8f1d2f5e-2a7c-4d0e-9c59-3b1f0a1b2c3d",
        issuer_id="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        issuer_name="天津市滨海新区第一中学",
        identifier=identity_object(STUDENT_NUMBER, SALT),
        dimension="社会实践",
        record_kind="志愿服务",
        term="2026-2027学年第一学期",
        narrative="参加社区图书馆志愿服务 20 小时。",
        valid_from="2026-11-22T00:00:00Z",
        evidence_hashes=[hashlib.sha256(b"photo").hexdigest()],
    )


@pytest.mark.parametrize("suite", [RDFC_SUITE, JCS_SUITE])
def test_a_signed_growth_record_is_valid_under_both_schemas_and_verifies(suite: str) -> None:
    signed = sign(record(), Ed25519KeyPair.generate(), cryptosuite=suite, created="2026-11-22T08:00:00Z", proof_as_list=True)
    assert schema_errors(signed) == []
    assert verify(signed)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["description"] = "参加志愿服务 200 小时。"
    assert not verify(tampered)


def test_the_subject_carries_no_personal_data() -> None:
    document = record()
    text = json.dumps(document, ensure_ascii=False)
    assert STUDENT_NUMBER not in text and SALT.hex() not in text
    assert hashlib.sha256(STUDENT_NUMBER.encode()).hexdigest() not in text, "no unsalted hash either"
    (identity,) = document["credentialSubject"]["identifier"]
    assert identity["hashed"] is True and identity["identityHash"].startswith("sha256$") and "salt" not in identity
    assert identity_object(STUDENT_NUMBER, bytes(16))["identityHash"] != identity["identityHash"], "the salt matters"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("issuer"), "(document)"),
        (lambda d: d.__setitem__("@context", ["https://www.w3.org/ns/credentials/v2"]), "@context"),
        (lambda d: d["credentialSubject"].pop("achievement"), "credentialSubject"),
        (
            lambda d: d["credentialSubject"]["identifier"][0].__setitem__("identityType", "学籍号"),
            "credentialSubject/identifier/0/identityType",
        ),
        (lambda d: d.__setitem__("type", ["VerifiableCredential"]), "type"),
    ],
    ids=["no-issuer", "no-ob-context", "no-achievement", "bad-identity-type", "not-an-achievement-credential"],
)
def test_schema_errors_name_the_place(change: Any, where: str) -> None:
    document = record()
    change(document)
    problems = schema_errors(document)
    assert problems and any(f": {where}:" in p for p in problems), problems


def test_unknown_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="dimension"):
        growth_record_credential(
            credential_id="urn:uuid:1",
            issuer_id="did:example:1",
            issuer_name="x",
            identifier=identity_object("a", SALT),
            dimension="体育",
            record_kind="x",
            term="t",
            narrative="n",
            valid_from="2026-01-01T00:00:00Z",
        )


def test_the_fast_validator_agrees_with_the_reference_implementation() -> None:
    """jsonschema-rs must judge exactly as the Python reference validator does, on good and broken documents."""
    from jsonschema import Draft201909Validator, Draft202012Validator

    from ledger_service.credentials._schema import _FOLDER, SCHEMA_FILES

    ob, vc = (json.loads((_FOLDER / SCHEMA_FILES[label]).read_text(encoding="utf-8")) for label in ("OB 3.0", "VC 2.0"))
    reference = {"OB 3.0": Draft201909Validator(ob), "VC 2.0": Draft202012Validator(vc)}
    signed = sign(record(), Ed25519KeyPair.generate(), cryptosuite=JCS_SUITE, created="2026-11-22T08:00:00Z", proof_as_list=True)
    variants: list[Any] = [signed, {}, [], "text", {"@context": 5}]
    for key in list(signed):
        broken = copy.deepcopy(signed)
        broken.pop(key)
        variants.append(broken)
        wrong = copy.deepcopy(signed)
        wrong[key] = 42
        variants.append(wrong)
    for document in variants:
        fast = {p.split(":")[0] for p in schema_errors(document)}
        slow = {label for label, validator in reference.items() if not validator.is_valid(document)}
        assert fast == slow, document


@pytest.mark.parametrize("cryptosuite", [JCS_SUITE, RDFC_SUITE])
def test_a_professional_development_record_is_valid_and_carries_hours_and_credits(cryptosuite: str) -> None:
    from ledger_service.credentials import professional_development_credential

    document = professional_development_credential(
        credential_id="urn:uuid:0b7e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
        issuer_id="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        issuer_name="天津市滨海新区教师发展中心",
        identifier=identity_object("teacher-0042", SALT, identity_type="identifier"),
        training="基于核心素养的单元整体教学设计",
        category="集中培训",
        hours=24,
        credits=1.5,
        period="2026年秋季",
        valid_from="2026-11-22T00:00:00Z",
        provider="天津师范大学",
    )
    signed = sign(
        document, Ed25519KeyPair.from_seed(bytes(32)), cryptosuite=cryptosuite, created="2026-11-22T08:00:00Z", proof_as_list=True
    )
    assert schema_errors(signed) == [], "valid under the OB 3.0 AchievementCredential and VC 2.0 schemas"
    assert verify(signed)
    subject = signed["credentialSubject"]
    assert subject["creditsEarned"] == 1.5 and subject["result"][0]["value"] == "24"
    description = subject["achievement"]["resultDescription"][0]
    assert subject["result"][0]["resultDescription"] == description["id"] and description["name"] == "学时"
    assert subject["achievement"]["achievementType"] == "CertificateOfCompletion"
    for bad in ({"category": "旅游"}, {"hours": 0}, {"credits": -1}):
        with pytest.raises(ValueError):
            professional_development_credential(
                **{
                    **dict(
                        credential_id="urn:uuid:x",
                        issuer_id="urn:x",
                        issuer_name="x",
                        identifier={},
                        training="t",
                        category="校本研修",
                        hours=1,
                        credits=1,
                        period="p",
                        valid_from="2026-11-22T00:00:00Z",
                    ),
                    **bad,
                }
            )

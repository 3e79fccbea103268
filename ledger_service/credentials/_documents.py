"""Credential documents: W3C VC 2.0 / Open Badges 3.0 ``AchievementCredential``s.

The subject is never a name or an ID number: ``credentialSubject.identifier`` holds a salted
``IdentityObject`` (``hashed: true``) whose salt stays in the vault.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ._jsonld import EDULEDGER_CONTEXT

__all__ = [
    "CONTEXTS",
    "DEVELOPMENT_CATEGORIES",
    "GROWTH_DIMENSIONS",
    "achievement_credential",
    "growth_record_credential",
    "disclosable_pointers",
    "identity_object",
    "mandatory_pointers",
    "professional_development_credential",
]

# Issued documents name VC 2.0, Open Badges 3.0, then EduLedger's context (last: it only adds terms).
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", EDULEDGER_CONTEXT]
# 综合素质评价 dimensions (high school) and the compulsory-education five (义务教育).
GROWTH_DIMENSIONS = ("思想品德", "学业水平", "身心健康", "艺术素养", "社会实践", "劳动实践")


# 教师专业发展: how the training was taken (national teacher-training categories).
DEVELOPMENT_CATEGORIES = ("集中培训", "校本研修", "网络研修", "跟岗实践", "学历提升", "课题研究", "教学竞赛")


def identity_object(value: str, salt: bytes, *, identity_type: str = "sisSourcedId") -> dict[str, Any]:
    """A hashed IdentityObject: ``sha256$hex(sha256(value ‖ salt-hex))``; the salt is not included."""
    digest = hashlib.sha256((value + salt.hex()).encode()).hexdigest()
    return {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${digest}", "identityType": identity_type}


def achievement_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    identifier: dict[str, Any] | None,
    achievement: dict[str, Any],
    valid_from: str,
    name: str,
    valid_until: str | None = None,
    evidence: Sequence[dict[str, Any]] = (),
    subject_extra: dict[str, Any] | None = None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    """An AchievementCredential; its subject is a salted ``identifier`` (a person), or ``subject_id``
    (an account, e.g. ``did:pkh:…`` of an author already on chain as a rights holder)."""
    if identifier is None and subject_id is None:
        raise ValueError("a subject needs an identifier or an id")
    document: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": name,
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": valid_from,
        "credentialSubject": {
            **({"id": subject_id} if subject_id else {}),
            "type": ["AchievementSubject"],
            **({"identifier": [identifier]} if identifier else {}),
            "achievement": achievement,
            **(subject_extra or {}),
        },
    }
    if valid_until:
        document["validUntil"] = valid_until
    if evidence:
        document["evidence"] = list(evidence)
    return document


def growth_record_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    identifier: dict[str, Any],
    dimension: str,
    record_kind: str,
    term: str,
    narrative: str,
    valid_from: str,
    evidence_hashes: Sequence[str] = (),
) -> dict[str, Any]:
    """A student growth-record entry (成长档案) as an AchievementCredential."""
    if dimension not in GROWTH_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(GROWTH_DIMENSIONS)}")
    achievement = {
        "id": f"{credential_id}#achievement",
        "type": ["Achievement"],
        "achievementType": "ext:GrowthRecord",
        "name": f"{dimension} · {record_kind}",
        "description": narrative,
        "criteria": {"narrative": f"{term} {dimension}：{record_kind}"},
        "fieldOfStudy": dimension,
        "tag": [record_kind, term],
    }
    evidence = [{"type": ["Evidence"], "id": f"urn:sha256:{h}"} for h in evidence_hashes]
    return achievement_credential(
        credential_id=credential_id,
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        identifier=identifier,
        achievement=achievement,
        valid_from=valid_from,
        name=f"成长档案：{dimension}",
        evidence=evidence,
    )


def professional_development_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    identifier: dict[str, Any],
    training: str,
    category: str,
    hours: float,
    credits: float,
    period: str,
    valid_from: str,
    provider: str | None = None,
    evidence_hashes: Sequence[str] = (),
) -> dict[str, Any]:
    """A teacher professional-development record (教师专业发展档案): a training completed, its hours
    (学时) as a Result and its credits (学分) as ``creditsEarned``."""
    if category not in DEVELOPMENT_CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(DEVELOPMENT_CATEGORIES)}")
    if not 0 < hours <= 10_000 or not 0 <= credits <= 1_000:
        raise ValueError("hours must be above 0 (at most 10000) and credits between 0 and 1000")
    hours_id = f"{credential_id}#hours"
    achievement: dict[str, Any] = {
        "id": f"{credential_id}#achievement",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": training,
        "description": f"{category}：{training}（{period}）",
        "criteria": {"narrative": f"完成{category}“{training}”，计{hours:g}学时、{credits:g}学分。"},
        "creditsAvailable": credits,
        "tag": [category, period],
        "resultDescription": [
            {"id": hours_id, "type": ["ResultDescription"], "name": "学时", "resultType": "ext:Hours"},
        ],
    }
    if provider:
        achievement["creator"] = {"id": f"{credential_id}#provider", "type": ["Profile"], "name": provider}
    evidence = [{"type": ["Evidence"], "id": f"urn:sha256:{h}"} for h in evidence_hashes]
    return achievement_credential(
        credential_id=credential_id,
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        identifier=identifier,
        achievement=achievement,
        valid_from=valid_from,
        name=f"教师专业发展：{training}",
        evidence=evidence,
        subject_extra={
            "creditsEarned": credits,
            "result": [{"type": ["Result"], "resultDescription": hours_id, "value": f"{hours:g}"}],
        },
    )


# Selective disclosure (ecdsa-sd-2023): which fields of these documents a derived copy always shows.


def mandatory_pointers(document: dict[str, Any]) -> list[str]:
    """The JSON pointers every derived copy of ``document`` reveals: issuer, validity, types, status
    and the subject binding (those present in the document)."""
    pointers = ["/issuer", "/type", "/validFrom"]
    pointers += [f"/{name}" for name in ("validUntil", "credentialStatus") if name in document]
    subject = document.get("credentialSubject")
    if isinstance(subject, dict):
        pointers += [f"/credentialSubject/{name}" for name in ("id", "identifier") if name in subject]
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and "achievementType" in achievement:
            pointers.append("/credentialSubject/achievement/achievementType")
    return pointers


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def disclosable_pointers(document: dict[str, Any]) -> list[str]:
    """The pointers a holder may choose among: every field of the record the base proof leaves optional
    (top-level fields, the subject's and its achievement's), mandatory ones left out."""
    mandatory = set(mandatory_pointers(document))
    skip = {"@context", "id", "type", "proof"}
    found = [f"/{_escape(k)}" for k in document if k not in skip and k != "credentialSubject"]
    subject = document.get("credentialSubject")
    if isinstance(subject, dict):
        found += [f"/credentialSubject/{_escape(k)}" for k in subject if k not in skip and k != "achievement"]
        achievement = subject.get("achievement")
        if isinstance(achievement, dict):
            found += [f"/credentialSubject/achievement/{_escape(k)}" for k in achievement if k not in skip]
    return [p for p in found if p not in mandatory]

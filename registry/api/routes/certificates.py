"""Certificates: the chain's record, its verification (JSON, or a page for people who scan the QR
code), and the certificate as a PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ledger_service.certificates import CertificateFacts, CertificateReader

from ...core.config import Settings
from ...core.errors import ConflictError, ResourceNotFoundError
from ...crud import certificates as certificates_crud
from ...crud import people as people_crud
from ...crud import resources as resources_crud
from ...models import Certificate, Institution, Programme, ResourceVersion
from ...pages.html import wants_html
from ...pages.pdf import CertificateSheet, render_certificate_pdf
from ...pages.web import app_shell
from ...workflows import authorship
from ..deps import CertificateCheckerDep, CurrentUser, LedgerDep, MonitorDep, SessionDep, SettingsDep
from ..params import CertificateId

router = APIRouter(prefix="/certificates", tags=["certificates"])

_CHINA = timezone(timedelta(hours=8))


class CertifiedAuthor(BaseModel):
    address: str
    share: int
    name: str | None = Field(description="shown only with the teacher's consent (certificates are public)")
    institution: str | None


class IssuerPublic(BaseModel):
    institution_id: str
    name: str
    kind: str = Field(description="ministry, province, city, district, school")
    accredited_by: str | None = Field(description="the institution above it in the accreditation tree")


class RegistryRecord(BaseModel):
    resource_id: int
    version: int
    title: str
    resource_type: str
    catalogue_path: str
    authors: list[CertifiedAuthor] = Field(description="the lead author and the co-authors who confirmed their share")
    cid: str
    content_hash: str
    issuer_name: str
    issuer: IssuerPublic | None
    status: str = Field(description="the registry's view: issued or revoked")
    issued_tx: str | None
    revoked_tx: str | None


class CertificatePublic(BaseModel):
    id: int
    chain: dict[str, Any] = Field(description="the record as the chain holds it, at block_number")
    registry: RegistryRecord | None = Field(description="the registry's record of the certified resource, if it has one")
    verify_url: str
    pdf_url: str


class CheckPublic(BaseModel):
    name: str
    result: str
    detail: str


class CertificateVerification(BaseModel):
    certificate_id: int
    outcome: str = Field(description="valid, invalid (see the failed check) or cannot_tell")
    checks: list[CheckPublic]
    block_number: int | None


def _record(db: Session, certificate_id: int) -> tuple[Certificate, ResourceVersion] | None:
    return certificates_crud.certificate_record(session=db, certificate_id=certificate_id)


def _issuer(db: Session, facts: CertificateFacts | None) -> IssuerPublic | None:
    if facts is None or not facts.exists:
        return None
    institution = db.get(Institution, "0x" + facts.institution_id.hex())
    if institution is None:
        return None
    parent = db.get(Institution, institution.parent_id) if institution.parent_id else None
    return IssuerPublic(
        institution_id=institution.id, name=institution.name, kind=institution.kind, accredited_by=parent.name if parent else None
    )


def _authors(db: Session, version: ResourceVersion) -> list[CertifiedAuthor]:
    """The authors a certificate names (the lead author and the co-authors who confirmed on chain) as the
    public sees them: names only with their consent."""
    named = [a for a in authorship.authors(db, version) if a.status in ("lead", "confirmed")]
    people = people_crud.describe(session=db, addresses=[a.address for a in named])
    return [
        CertifiedAuthor(address=a.address, share=a.share, name=people[a.address].name, institution=people[a.address].institution)
        for a in named
    ]


def _issuer_name(db: Session, facts: CertificateFacts | None) -> str:
    if facts is None or not facts.exists:
        return ""
    institution = db.get(Institution, "0x" + facts.institution_id.hex())
    return institution.name if institution else "0x" + facts.institution_id.hex()


def _registry_record(db: Session, record: tuple[Certificate, ResourceVersion], facts: CertificateFacts | None) -> RegistryRecord:
    certificate, version = record
    return RegistryRecord(
        resource_id=version.resource_id,
        version=version.number,
        title=version.title,
        resource_type=version.resource_type,
        catalogue_path=resources_crud.catalogue_node(session=db, version=version).path,
        authors=_authors(db, version),
        cid=version.root_cid,
        content_hash=version.content_hash,
        issuer_name=_issuer_name(db, facts),
        issuer=_issuer(db, facts),
        status=certificate.status,
        issued_tx=certificate.issued_tx,
        revoked_tx=certificate.revoked_tx,
    )


class CertificateItem(BaseModel):
    id: int | None = Field(description="the certificate's id on chain, once issued")
    kind: str
    level: str
    status: str = Field(description="pending, issued, revoked or failed")
    resource_id: int
    version: int
    title: str
    issued_tx: str | None
    created_at: datetime
    verify_url: str | None
    pdf_url: str | None


@router.get("", response_model=list[CertificateItem])
def read_my_certificates(principal: CurrentUser, db: SessionDep, settings: SettingsDep) -> list[CertificateItem]:
    """Certificates of the resources you signed as lead author, newest first."""
    items = []
    for certificate, version in resources_crud.authored_certificates(session=db, address=principal.address):
        number = certificate.chain_certificate_id
        items.append(
            CertificateItem(
                id=number,
                kind=certificate.kind,
                level=certificate.level,
                status=certificate.status,
                resource_id=version.resource_id,
                version=version.number,
                title=version.title,
                issued_tx=certificate.issued_tx,
                created_at=certificate.created_at,
                verify_url=f"{settings.BASE_URL}/certificates/{number}/verify" if number else None,
                pdf_url=f"{settings.BASE_URL}/certificates/{number}/pdf" if number else None,
            )
        )
    return items


@router.get("/{certificate_id}", response_model=CertificatePublic)
def read_certificate(certificate_id: CertificateId, *, db: SessionDep, ledger: LedgerDep, settings: SettingsDep) -> CertificatePublic:
    """The certificate from the chain, with the registry's record of the certified resource."""
    facts = CertificateReader.of(ledger).read(certificate_id)
    record = _record(db, certificate_id)
    if not facts.exists and record is None:
        raise ResourceNotFoundError(f"no certificate {certificate_id} on chain")
    return CertificatePublic(
        id=certificate_id,
        chain=facts.as_dict(),
        registry=_registry_record(db, record, facts) if record else None,
        verify_url=f"{settings.BASE_URL}/certificates/{certificate_id}/verify",
        pdf_url=f"{settings.BASE_URL}/certificates/{certificate_id}/pdf",
    )


@router.get("/{certificate_id}/verify", response_model=CertificateVerification, responses={200: {"content": {"text/html": {}}}})
async def verify_certificate_route(
    request: Request,
    certificate_id: CertificateId,
    *,
    checker: CertificateCheckerDep,
    monitor: MonitorDep,
    accept: str | None = Header(default=None),
    format: str | None = Query(default=None, pattern="^(json|html)$"),
) -> Response:
    """Check the certificate against the chain: exists, not revoked, content hash, issuer authorised, resource not withdrawn.
    Browsers (and ``?format=html``) get the web application's verification page: this is where the certificate's QR code points."""
    if wants_html(accept, format):
        return app_shell(request)  # the web application's verification page asks for the JSON itself
    report, facts = await checker.check(certificate_id)
    checks = [{"name": c.name, "result": c.result, "detail": c.detail} for c in report.checks]
    # Facts read at an earlier block still hold at the head the monitor has processed: no event changed them.
    head = monitor.latest.head or 0
    body = {
        "certificate_id": certificate_id,
        "outcome": report.outcome,
        "checks": checks,
        "block_number": max(facts.block_number, head) if facts else None,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _programme_label(db: Session, certificate: Certificate) -> str:
    """For 入选 / 推荐 certificates: the programme they were decided in."""
    if certificate.programme_id is None:
        return ""
    programme = db.get_one(Programme, certificate.programme_id)
    return f" · 「{programme.name}」（{programme.year}）"


def _sheet(
    db: Session, settings: Settings, certificate_id: int, record: tuple[Certificate, ResourceVersion], facts: CertificateFacts
) -> CertificateSheet:
    certificate, version = record
    node = resources_crud.catalogue_node(session=db, version=version)
    return CertificateSheet(
        certificate_id=certificate_id,
        kind=facts.kind,
        level=facts.level,
        status="revoked" if facts.revoked_at else "issued",
        title=version.title,
        resource_label=f"资源 {version.resource_id} 第 {version.number} 版 · 链上资源 #{facts.resource_id}"
        + _programme_label(db, certificate),
        catalogue_path=node.path,
        authors=[
            f"{people_crud.label_text(people_crud.PersonLabel(a.address, a.name, a.institution, None))} ({a.share / 100:g}%)"
            for a in _authors(db, version)
        ],
        issuer_name=_issuer_name(db, facts),
        issued_on=datetime.fromtimestamp(facts.issued_at, UTC).astimezone(_CHINA).strftime("%Y年%m月%d日"),
        cid=version.root_cid,
        content_hash=version.content_hash,
        issued_tx=certificate.issued_tx or "",
        verify_url=f"{settings.BASE_URL}/certificates/{certificate_id}/verify",
    )


@router.get("/{certificate_id}/credential", response_model=dict[str, Any])
def read_certificate_credential(certificate_id: CertificateId, *, db: SessionDep) -> JSONResponse:
    """The certificate as a verifiable credential (OB 3.0 AchievementCredential issued by the bureau,
    anchored on chain, with a status entry that follows the certificate's revocation)."""
    record = _record(db, certificate_id)
    if record is None:
        raise ResourceNotFoundError(f"this registry issued no certificate {certificate_id}")
    if record[0].credential is None:
        raise ConflictError("the certificate's credential is being issued; try again in a moment", code="credential_pending")
    return JSONResponse(record[0].credential, headers={"Cache-Control": "no-cache"})


@router.get("/{certificate_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def read_certificate_pdf(certificate_id: CertificateId, *, db: SessionDep, ledger: LedgerDep, settings: SettingsDep) -> Response:
    """The certificate as a PDF, with a QR code that opens its verification page."""
    record = _record(db, certificate_id)
    if record is None:
        raise ResourceNotFoundError(f"this registry issued no certificate {certificate_id}")
    facts = CertificateReader.of(ledger).read(certificate_id)
    if not facts.exists:
        raise ConflictError(f"certificate {certificate_id} is not on chain yet")
    pdf = render_certificate_pdf(_sheet(db, settings, certificate_id, record, facts))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename=eduledger-certificate-{certificate_id}.pdf",
            "Cache-Control": "no-store",
        },
    )

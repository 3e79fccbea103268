"""Certificates: the chain's record, its verification (JSON, or a page for people who scan the QR
code), and the certificate as a PDF."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ledger_service.certificates import CertificateFacts, CertificateReader
from ledger_service.credentials import VerificationReport

from ...chain.certificates import CertificateChecker
from ...core.config import Settings
from ...core.labels import CERTIFICATE_NAMES, level_name
from ...core.errors import ConflictError, ResourceNotFoundError
from ...crud import certificates as certificates_crud
from ...crud import resources as resources_crud
from ...models import Certificate, Institution, ResourceVersion
from ...pages.html import render_page, wants_html
from ...pages.pdf import CertificateSheet, render_certificate_pdf
from ...workflows import authorship
from ..deps import LedgerDep, SessionDep, SettingsDep

router = APIRouter(prefix="/certificates", tags=["certificates"])

_CHINA = timezone(timedelta(hours=8))
CertificateId = Path(ge=1, le=2**63, description="the certificate's id on chain")


class RegistryRecord(BaseModel):
    resource_id: int
    version: int
    title: str
    catalogue_path: str
    authors: list[dict[str, Any]] = Field(description="the lead author and the co-authors who confirmed their share")
    cid: str
    content_hash: str
    issuer_name: str
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


def _issuer_name(db: Session, facts: CertificateFacts | None) -> str:
    if facts is None or not facts.exists:
        return ""
    institution = db.get(Institution, "0x" + facts.institution_id.hex())
    return institution.name if institution else "0x" + facts.institution_id.hex()


def _consenting(db: Session, version: ResourceVersion) -> list[dict[str, Any]]:
    """The authors a certificate names: the lead author and the co-authors who confirmed (on chain)."""
    return [{"address": a.address, "share": a.share} for a in authorship.authors(db, version) if a.status in ("lead", "confirmed")]


def _registry_record(db: Session, record: tuple[Certificate, ResourceVersion], facts: CertificateFacts | None) -> RegistryRecord:
    certificate, version = record
    return RegistryRecord(
        resource_id=version.resource_id, version=version.number, title=version.title,
        catalogue_path=resources_crud.catalogue_node(session=db, version=version).path, authors=_consenting(db, version), cid=version.root_cid,
        content_hash=version.content_hash, issuer_name=_issuer_name(db, facts), status=certificate.status,
        issued_tx=certificate.issued_tx, revoked_tx=certificate.revoked_tx,
    )


@router.get("/{certificate_id}", response_model=CertificatePublic)
def read_certificate(certificate_id: int = CertificateId, *, db: SessionDep, ledger: LedgerDep, settings: SettingsDep) -> CertificatePublic:
    """The certificate from the chain, with the registry's record of the certified resource."""
    facts = CertificateReader.of(ledger).read(certificate_id)
    record = _record(db, certificate_id)
    if not facts.exists and record is None:
        raise ResourceNotFoundError(f"no certificate {certificate_id} on chain")
    return CertificatePublic(
        id=certificate_id, chain=facts.as_dict(), registry=_registry_record(db, record, facts) if record else None,
        verify_url=f"{settings.BASE_URL}/certificates/{certificate_id}/verify", pdf_url=f"{settings.BASE_URL}/certificates/{certificate_id}/pdf",
    )


@router.get("/{certificate_id}/verify", response_model=CertificateVerification, responses={200: {"content": {"text/html": {}}}})
async def verify_certificate_route(
    request: Request, certificate_id: int = CertificateId, *, accept: str | None = Header(default=None),
    format: str | None = Query(default=None, pattern="^(json|html)$"),
) -> Response:
    """Check the certificate against the chain: exists, not revoked, content hash, issuer authorised, resource not withdrawn.
    Browsers (and ``?format=html``) get a page: this is where the certificate's QR code points."""
    checker: CertificateChecker = request.app.state.certificates
    report, facts = await checker.check(certificate_id)
    checks = [{"name": c.name, "result": c.result, "detail": c.detail} for c in report.checks]
    if wants_html(accept, format):
        page = await asyncio.to_thread(_verification_page, request, certificate_id, report, facts, checks)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
    # Facts read at an earlier block still hold at the head the monitor has processed: no event changed them.
    head = request.app.state.monitor.latest.head or 0
    body = {"certificate_id": certificate_id, "outcome": report.outcome, "checks": checks,
            "block_number": max(facts.block_number, head) if facts else None}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _verification_page(
    request: Request, certificate_id: int, report: VerificationReport, facts: CertificateFacts | None, checks: list[dict[str, str]]
) -> str:
    with request.app.state.sessions() as db:
        record = _record(db, certificate_id)
        sheet = _sheet(db, request.app.state.settings, certificate_id, record, facts) if record and facts and facts.exists else None
    return render_page(
        "certificate.html", certificate_id=certificate_id, outcome=report.outcome, failed=report.failed, checks=checks, facts=facts,
        kind_title=CERTIFICATE_NAMES[facts.kind].title if facts and facts.exists else "证书",
        record=sheet and {**sheet.__dict__, "level_title": level_name(sheet.level)},
        json_url=f"/certificates/{certificate_id}/verify?format=json", pdf_url=f"/certificates/{certificate_id}/pdf" if sheet else None,
    )


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
        resource_label=f"资源 {version.resource_id} 第 {version.number} 版 · 链上资源 #{facts.resource_id}",
        catalogue_path=node.path,
        authors=[f"{a['address']} ({a['share'] / 100:g}%)" for a in _consenting(db, version)],
        issuer_name=_issuer_name(db, facts),
        issued_on=datetime.fromtimestamp(facts.issued_at, UTC).astimezone(_CHINA).strftime("%Y年%m月%d日"),
        cid=version.root_cid,
        content_hash=version.content_hash,
        issued_tx=certificate.issued_tx or "",
        verify_url=f"{settings.BASE_URL}/certificates/{certificate_id}/verify",
    )


@router.get("/{certificate_id}/credential", response_model=dict[str, Any])
def read_certificate_credential(certificate_id: int = CertificateId, *, db: SessionDep) -> JSONResponse:
    """The certificate as a verifiable credential (OB 3.0 AchievementCredential issued by the bureau,
    anchored on chain, with a status entry that follows the certificate's revocation)."""
    record = _record(db, certificate_id)
    if record is None:
        raise ResourceNotFoundError(f"this registry issued no certificate {certificate_id}")
    if record[0].credential is None:
        raise ConflictError("the certificate's credential is being issued; try again in a moment", code="credential_pending")
    return JSONResponse(record[0].credential, headers={"Cache-Control": "no-cache"})


@router.get("/{certificate_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def read_certificate_pdf(certificate_id: int = CertificateId, *, db: SessionDep, ledger: LedgerDep, settings: SettingsDep) -> Response:
    """The certificate as a PDF, with a QR code that opens its verification page."""
    record = _record(db, certificate_id)
    if record is None:
        raise ResourceNotFoundError(f"this registry issued no certificate {certificate_id}")
    facts = CertificateReader.of(ledger).read(certificate_id)
    if not facts.exists:
        raise ConflictError(f"certificate {certificate_id} is not on chain yet")
    pdf = render_certificate_pdf(_sheet(db, settings, certificate_id, record, facts))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename=eduledger-certificate-{certificate_id}.pdf", "Cache-Control": "no-store",
    })

"""Recommendation packages for the national platform: export a programme's, verify or import one received."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...core.errors import PayloadTooLargeError, ResourceNotFoundError, UnsupportedMediaTypeError
from ...models import Programme
from ...workflows import packages
from ..deps import AdminUser, BureauDep, ContentDep, IssuingDep, LedgerDep, PackageSlot, SessionDep, SettingsDep
from ..params import MAX_INT

router = APIRouter(tags=["packages"])

_ZIP_BODY = {"requestBody": {"required": True, "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}


class CheckPublic(BaseModel):
    name: str
    result: str
    detail: str


class PackageVerification(BaseModel):
    outcome: str = Field(description="valid, invalid (see failed_check) or cannot_tell")
    failed_check: str | None
    checks: list[CheckPublic]


class PackageImport(PackageVerification):
    imported: list[str] = Field(description="the CIDs taken into the content store")


async def _package_body(request: Request, settings: SettingsDep, content_type: Annotated[str | None, Header()] = None) -> bytes:
    """The request body as a zip, read up to the upload limit."""
    if (content_type or "").split(";")[0].strip().lower() not in ("application/zip", "application/octet-stream"):
        raise UnsupportedMediaTypeError("send the package as the body with Content-Type: application/zip")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.MAX_UPLOAD_SIZE:
            raise PayloadTooLargeError(f"a package is at most {settings.MAX_UPLOAD_SIZE:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


PackageBody = Annotated[bytes, Depends(_package_body)]


def _verification(report: dict[str, Any]) -> PackageVerification:
    return PackageVerification(
        outcome=report["outcome"], failed_check=report["failed_check"], checks=[CheckPublic(**c) for c in report["checks"]]
    )


@router.get("/programmes/{programme_id}/package", response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def export_package(
    admin: AdminUser,
    db: SessionDep,
    store: ContentDep,
    bureau: BureauDep,
    ledger: LedgerDep,
    issuing: IssuingDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
) -> Response:
    """The programme's recommendations as a signed package for the national platform (zip)."""
    programme = db.get(Programme, programme_id)
    if programme is None:
        raise ResourceNotFoundError(f"no programme {programme_id}")
    data = packages.export_package(db, programme, store=store, bureau=bureau, ledger=ledger, issuing=issuing)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename=eduledger-recommendation-{programme.year}-{programme.id}.zip",
            "Cache-Control": "no-store",
        },
    )


_BUSY: dict[int | str, dict[str, Any]] = {
    429: {"description": "as many packages as the service verifies at once are in progress: {error, message, retry_after}"}
}


@router.post("/packages/verify", response_model=PackageVerification, openapi_extra=_ZIP_BODY, responses=_BUSY)
async def verify_package(
    _slot: PackageSlot,  # before the body: a busy service refuses an upload before reading it
    body: PackageBody,
    db: SessionDep,
    ledger: LedgerDep,
    issuing: IssuingDep,
    bureau: BureauDep,
) -> PackageVerification:
    """Verify a package end to end against the chain: signature and key, every member, every CID, every certificate and credential."""
    report = await anyio.to_thread.run_sync(lambda: packages.verify(body, ledger=ledger, session=db, issuing=issuing, bureau=bureau))
    return _verification(report.as_dict())


@router.post("/packages/import", response_model=PackageImport, openapi_extra=_ZIP_BODY, responses=_BUSY)
async def import_package(  # the administrator first: a stranger's upload is refused before a byte of it is read
    admin: AdminUser,
    _slot: PackageSlot,
    body: PackageBody,
    db: SessionDep,
    ledger: LedgerDep,
    issuing: IssuingDep,
    store: ContentDep,
    bureau: BureauDep,
) -> PackageImport:
    """Verify a package and take its content in (422 ``package_invalid`` naming the failed check: nothing taken in)."""
    imported = await anyio.to_thread.run_sync(
        lambda: packages.import_package(body, ledger=ledger, session=db, issuing=issuing, bureau=bureau, store=store)
    )
    verification = _verification(imported.report.as_dict())
    return PackageImport(**verification.model_dump(), imported=imported.cids)

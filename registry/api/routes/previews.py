"""In-page previews of a version's parts (its authors, assigned reviewers, administrators — as for
the content itself, :mod:`registry.workflows.content_access`): PDF, images, video and audio as
submitted; Word and PowerPoint parts converted to PDF in the background."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ledger_service.content import CID

from ...core.errors import ConflictError, PermissionDeniedError, ResourceNotFoundError
from ...crud import resources as resources_crud
from ...models import ResourceVersion
from ...workflows.content_access import ContentLinks, content_access
from ...workflows.previews import preview_kind
from ..deps import ContentLinksDep, CurrentUser, PreviewsDep, Principal, SessionDep
from ..params import ResourceId, VersionNumber

router = APIRouter(prefix="/resources/{resource_id}/versions/{number}/parts/{name}", tags=["resources"])


class PreviewPublic(BaseModel):
    part: str
    media_type: str
    kind: str = Field(description="pdf, image, video, audio, text (shown as submitted), converted (Word/PowerPoint → PDF), none")
    status: str = Field(description="ready; converting (ask again shortly); failed (message says why); unavailable (no preview)")
    url: str | None = Field(description="what the page shows, once ready")
    original_url: str = Field(description="the part exactly as submitted")
    message: str | None = None


def _part(db: SessionDep, principal: CurrentUser, resource_id: int, number: int, name: str) -> tuple[ResourceVersion, dict[str, str]]:
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    resources_crud.check_visible(version=version, address=principal.address, roles=principal.roles)
    part = next((p for p in version.parts if p["name"] == name), None)
    if part is None:
        raise ResourceNotFoundError(f"version {number} of resource {resource_id} has no part named {name!r}")
    try:
        content_access(db, CID.parse(part["cid"]), principal)
    except PermissionDeniedError:
        raise PermissionDeniedError(
            f"the content of version {number} of resource {resource_id} is for its authors, assigned reviewers and administrators: "
            "claim the version (or be assigned) to see it"
        ) from None
    return version, part


def _content_link(db: SessionDep, links: ContentLinks, principal: Principal, cid_text: str) -> str:
    """``&access=…`` for content not public that ``principal`` may read (a page's img, video and
    download links cannot send the bearer token); nothing for public content or a reader refused."""
    cid = CID.parse(cid_text)
    try:
        if content_access(db, cid, principal).public:
            return ""
    except (PermissionDeniedError, ResourceNotFoundError):
        return ""  # the link answers the refusal when the page follows it
    return "&access=" + quote(links.issue(cid, principal.address))


@router.get("/preview", response_model=PreviewPublic)
def read_preview(
    resource_id: ResourceId,
    number: VersionNumber,
    name: str,
    principal: CurrentUser,
    db: SessionDep,
    previews: PreviewsDep,
    links: ContentLinksDep,
) -> PreviewPublic:
    """How the part is previewed in the page; a Word or PowerPoint part's conversion to PDF starts on the first ask."""
    _, part = _part(db, principal, resource_id, number, name)
    original = f"/ipfs/{part['cid']}?filename={quote(name)}" + _content_link(db, links, principal, part["cid"])
    kind = preview_kind(name, part["media_type"])
    public = PreviewPublic(part=name, media_type=part["media_type"], kind=kind, status="unavailable", url=None, original_url=original)
    if kind == "none":
        return public
    if kind != "converted":
        return public.model_copy(update={"status": "ready", "url": original})
    preview = previews.request(part["cid"], name)
    url = f"/resources/{resource_id}/versions/{number}/parts/{quote(name)}/preview.pdf" if preview.status == "ready" else None
    return public.model_copy(update={"status": preview.status, "url": url, "message": preview.message})


@router.get("/preview.pdf", response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
def read_preview_pdf(
    resource_id: ResourceId, number: VersionNumber, name: str, principal: CurrentUser, db: SessionDep, previews: PreviewsDep
) -> FileResponse:
    """The PDF a Word or PowerPoint part was converted to (409 preview_not_ready until it is)."""
    _, part = _part(db, principal, resource_id, number, name)
    if preview_kind(name, part["media_type"]) != "converted":
        raise ResourceNotFoundError(f"part {name!r} is shown as submitted; it has no converted preview")
    if previews.status(part["cid"]).status != "ready":
        raise ConflictError(f"the preview of {name!r} is not ready (GET …/preview starts and follows it)", code="preview_not_ready")
    return FileResponse(
        previews.pdf_path(part["cid"]),
        media_type="application/pdf",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )

"""EduLedger's JSON-LD contexts, served at stable URLs: the bytes the library pins (and checks by
sha256) are the bytes served, so a verifier that fetches the context sees what issuers signed under."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ledger_service.credentials import EDULEDGER_CONTEXT, pinned_context_text

from ...core.errors import ResourceNotFoundError

router = APIRouter(tags=["credentials"])

# version -> the context's URL in documents; a published version is never changed, only added to.
_VERSIONS = {EDULEDGER_CONTEXT.rsplit("/", 1)[1]: EDULEDGER_CONTEXT}


@router.get(
    "/contexts/eduledger/{version}",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}, "description": "the JSON-LD context"}},
)
def read_context(version: str) -> Response:
    """An EduLedger JSON-LD context by version (``v1``): immutable, cacheable for ever."""
    url = _VERSIONS.get(version.removesuffix(".jsonld"))
    if url is None:
        raise ResourceNotFoundError(f"no EduLedger context {version[:20]!r}; published: {', '.join(_VERSIONS)}")
    return Response(
        pinned_context_text(url),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "Access-Control-Allow-Origin": "*"},
    )

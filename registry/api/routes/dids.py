"""Institutions as issuers that resolve: ``did:web:<host>:institutions:<id>`` and its DID document.

The document is built on each request from the keys this registry holds and the chain's word on
each (valid now or not): it never says more than the chain, and verifiers compare the two anyway.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...core.errors import InvalidRequestError
from ..deps import BureauDep, IssuingDep, SessionDep

router = APIRouter(tags=["credentials"])

_INSTITUTION_ID = re.compile(r"0x[0-9a-f]{64}")


@router.get(
    "/institutions/{institution_id}/did.json",
    response_class=JSONResponse,
    responses={
        200: {"content": {"application/did+json": {}}, "description": "the institution's DID document"},
        404: {"description": "the institution issues nothing here: {error, message}"},
    },
)
def read_did_document(institution_id: str, db: SessionDep, issuing: IssuingDep, bureau: BureauDep) -> JSONResponse:
    """The DID document of an institution's did:web: a Multikey per Ed25519 signing key, assertionMethod
    listing those the chain holds valid now."""
    if not _INSTITUTION_ID.fullmatch(institution_id):
        raise InvalidRequestError("an institution id is 0x and 64 lowercase hex digits")
    key = bureau.signing_key if institution_id == bureau.id_hex else None
    document: dict[str, Any] = issuing.did_document(db, institution_id, key)
    return JSONResponse(document, media_type="application/did+json", headers={"Cache-Control": "no-cache"})

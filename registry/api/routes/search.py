"""Search accepted resources: full text (Chinese without spaces, English), catalogue facets, pages."""

from __future__ import annotations

from datetime import datetime

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ...crud import search as search_crud
from ...workflows import authorship

router = APIRouter(prefix="/search", tags=["search"])


class SearchHit(BaseModel):
    resource_id: int
    version: int
    title: str
    description: str
    keywords: list[str]
    resource_type: str
    catalogue_node: str
    catalogue_path: str
    licence: str
    authors: list[str]
    cid: str
    accepted_at: datetime | None
    score: int


class FacetValue(BaseModel):
    value: str
    count: int


class SearchResults(BaseModel):
    query: str
    total: int
    page: int
    per_page: int
    pages: int
    items: list[SearchHit]
    facets: dict[str, list[FacetValue]]


@router.get("", response_model=SearchResults)
async def search_resources(
    request: Request,
    q: str = Query(default="", max_length=200, description="words or characters; Chinese needs no spaces"),
    node: str | None = Query(default=None, max_length=120, description="a catalogue node: it and everything under it"),
    stage: str | None = None,
    subject: str | None = None,
    grade: str | None = None,
    edition: str | None = None,
    volume: str | None = None,
    resource_type: str | None = None,
    licence: str | None = None,
    page: int = Query(default=1, ge=1, le=10_000),
    per_page: int = Query(default=20, ge=1, le=100),
) -> JSONResponse:
    """Accepted resources matching every query word, best first (ties: newest first), with facet counts."""
    filters = search_crud.SearchFilters(q=q, node=node, stage=stage, subject=subject, grade=grade, edition=edition, volume=volume,
                                        resource_type=resource_type, licence=licence)

    def run() -> dict[str, Any]:  # all database work in one trip off the event loop
        with request.app.state.sessions() as db:
            found = search_crud.search(session=db, filters=filters, page=page, per_page=per_page)
            named = authorship.confirmed_authors(db, [version for version, _, _ in found.items])
            items = [
                {"resource_id": version.resource_id, "version": version.number, "title": version.title,
                 "description": version.description[:300], "keywords": version.keywords, "resource_type": version.resource_type,
                 "catalogue_node": version.catalogue_node_id, "catalogue_path": node_row.path, "licence": version.licence,
                 "authors": named[version.id], "cid": version.root_cid,
                 "accepted_at": version.accepted_at.isoformat() if version.accepted_at else None, "score": score}
                for version, node_row, score in found.items
            ]
        return {
            "query": q, "total": found.total, "page": page, "per_page": per_page, "pages": -(-found.total // per_page), "items": items,
            "facets": {name: [{"value": v, "count": c} for v, c in values] for name, values in found.facets.items()},
        }

    return JSONResponse(await asyncio.to_thread(run))

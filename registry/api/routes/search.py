"""Search accepted resources: full text (Chinese words, English stems), catalogue facets, pages,
and suggestions as the user types."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ...core.errors import InvalidRequestError
from ...search import FACETS, MAX_RESULT_WINDOW
from ...workflows import authorship
from ..deps import SearchDep, SessionsDep

router = APIRouter(prefix="/search", tags=["search"])

_MAX_VALUES = 20  # values of one facet in one query
_MAX_VALUE_LENGTH = 120

Values = Annotated[list[str] | None, Query(description="one or more values (repeat the parameter): any of them matches")]


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
    score: float


class FacetValue(BaseModel):
    value: str
    count: int
    selected: bool


class SearchResults(BaseModel):
    query: str
    total: int
    page: int
    per_page: int
    pages: int
    items: list[SearchHit]
    facets: dict[str, list[FacetValue]]


class SuggestionOut(BaseModel):
    text: str
    kind: str
    nodes: list[str]


class Suggestions(BaseModel):
    query: str
    suggestions: list[SuggestionOut]


def _values(name: str, values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > _MAX_VALUES:
        raise InvalidRequestError(f"{name}: at most {_MAX_VALUES} values in one search")
    if any(len(value) > _MAX_VALUE_LENGTH for value in values):
        raise InvalidRequestError(f"{name}: a value is at most {_MAX_VALUE_LENGTH} characters")
    return tuple(dict.fromkeys(value for value in values if value))


@router.get("", response_model=SearchResults)
async def search_resources(
    service: SearchDep,
    sessions: SessionsDep,
    q: str = Query(default="", max_length=200, description="words or characters; Chinese needs no spaces"),
    node: Values = None,
    stage: Values = None,
    subject: Values = None,
    grade: Values = None,
    edition: Values = None,
    volume: Values = None,
    resource_type: Values = None,
    licence: Values = None,
    page: int = Query(default=1, ge=1, le=10_000),
    per_page: int = Query(default=20, ge=1, le=100),
) -> JSONResponse:
    """Accepted resources matching every query word, most relevant first (BM25, title > keywords >
    description; equal relevance: newest first), with facet counts. Values of one facet are
    alternatives (any matches); different facets must all match; ``node`` takes a catalogue
    subtree. The first 10,000 results can be paged through; pages past them are empty."""
    filters = {
        facet: _values(facet, value)
        for facet, value in zip(FACETS, (stage, subject, grade, edition, volume, resource_type, licence), strict=True)
    }
    nodes = _values("node", node)

    def run() -> dict[str, Any]:  # index and database work off the event loop
        found = service.search(text=q, filters=filters, nodes=nodes, offset=(page - 1) * per_page, limit=per_page)
        with sessions() as db:  # only authors who hold their share are named
            named = authorship.confirmed_authors(db, [hit for hit, _ in found.items])
        items = [
            {
                "resource_id": hit.resource_id,
                "version": hit.number,
                "title": hit.title,
                "description": hit.description[:300],
                "keywords": hit.keywords,
                "resource_type": hit.resource_type,
                "catalogue_node": hit.catalogue_node_id,
                "catalogue_path": hit.path,
                "licence": hit.licence,
                "authors": named[hit.id],
                "cid": hit.root_cid,
                "accepted_at": hit.accepted_at.isoformat() if hit.accepted_at else None,
                "score": round(score, 4),
            }
            for hit, score in found.items
        ]
        return {
            "query": q,
            "total": found.total,
            "page": page,
            "per_page": per_page,
            "pages": -(-min(found.total, MAX_RESULT_WINDOW) // per_page),
            "items": items,
            "facets": {
                name: [{"value": v, "count": c, "selected": v in filters[name]} for v, c in values] for name, values in found.facets.items()
            },
        }

    return JSONResponse(await asyncio.to_thread(run))


@router.get("/suggest", response_model=Suggestions)
async def suggest_completions(
    service: SearchDep,
    q: str = Query(default="", max_length=50, description="what has been typed so far"),
    limit: int = Query(default=10, ge=1, le=20),
) -> JSONResponse:
    """Completions of what is being typed: knowledge points of the catalogue (chapters and lessons)
    whose name begins with it, then titles of accepted resources completing it."""
    if not q.strip():
        return JSONResponse({"query": q, "suggestions": []})

    def run() -> dict[str, Any]:
        found = service.suggest(q, limit=limit)
        return {"query": q, "suggestions": [{"text": s.text, "kind": s.kind, "nodes": list(s.nodes)} for s in found]}

    return JSONResponse(await asyncio.to_thread(run))

"""Search over accepted resources: full text in Chinese and English, facets with counts, pages.

The index is one table of tokens, the same on SQLite and PostgreSQL. Chinese needs no spaces:
each run of CJK characters is indexed by its single characters and its character bigrams, and a
query run of two or more characters must match all of its bigrams (so 分数 finds 认识分数, and
分数的认识 does not find it). English words are lower-cased and stemmed (fractions → fraction).
Every query token must match; the score sums the field weights (title 8, keywords 4, description 1)
of the matched tokens; ties are broken by acceptance time, then id, so the order is stable.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, desc, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from ..models import CatalogueNode, ResourceVersion, SearchToken

__all__ = ["FACETS", "SearchFilters", "SearchPage", "index_version", "query_tokens", "search", "tokens_of", "unindex_version"]

_WEIGHTS = {"title": 8, "keywords": 4, "description": 1}
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_STOPWORDS = frozenset({"a", "an", "and", "are", "as", "at", "be", "by", "for", "in", "is", "it", "of", "on", "or", "the", "to", "with"})
FACETS = ("stage", "subject", "grade", "edition", "volume", "resource_type", "licence")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_cjk(run: str) -> bool:
    return not run[0].isascii()


def tokens_of(text: str) -> list[str]:
    """Index tokens of ``text``: CJK characters and bigrams, English stems (stop words dropped)."""
    tokens: list[str] = []
    for run in _RUNS.findall(_normalise(text)):
        if _is_cjk(run):
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        elif run not in _STOPWORDS:
            tokens.append(_stem(run)[:64])
    return tokens


def query_tokens(text: str) -> list[str]:
    """What a query must match: a one-character CJK run itself, longer runs by their bigrams."""
    wanted: list[str] = []
    for run in _RUNS.findall(_normalise(text)):
        if _is_cjk(run):
            wanted.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        elif run not in _STOPWORDS:
            wanted.append(_stem(run)[:64])
    return list(dict.fromkeys(wanted))


def index_version(*, session: Session, version: ResourceVersion) -> None:
    """(Re)index an accepted version's title, keywords and description."""
    unindex_version(session=session, version_id=version.id)
    weights: Counter[str] = Counter()
    for field, text in (("title", version.title), ("keywords", " ".join(version.keywords)), ("description", version.description)):
        for token in set(tokens_of(text)):
            weights[token] += _WEIGHTS[field]
    session.add_all(SearchToken(version_id=version.id, token=token, weight=weight) for token, weight in weights.items())
    session.flush()


def unindex_version(*, session: Session, version_id: int) -> None:
    session.execute(delete(SearchToken).where(SearchToken.version_id == version_id))


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    node: str | None = None  # a catalogue node: it and everything under it
    stage: str | None = None
    subject: str | None = None
    grade: str | None = None
    edition: str | None = None
    volume: str | None = None
    resource_type: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class SearchPage:
    total: int
    page: int
    per_page: int
    items: list[tuple[ResourceVersion, CatalogueNode, int]]  # version, its catalogue node, score
    facets: dict[str, list[tuple[str, int]]]


def _filtered(query: Select[Any], filters: SearchFilters) -> Select[Any]:
    if filters.node:
        query = query.where(or_(CatalogueNode.id == filters.node, CatalogueNode.id.like(filters.node.replace("%", "") + ".%")))
    for facet in ("stage", "subject", "grade", "edition", "volume"):
        value = getattr(filters, facet)
        if value:
            query = query.where(getattr(CatalogueNode, facet) == value)
    if filters.resource_type:
        query = query.where(ResourceVersion.resource_type == filters.resource_type)
    if filters.licence:
        query = query.where(ResourceVersion.licence == filters.licence)
    return query


def search(*, session: Session, filters: SearchFilters, page: int = 1, per_page: int = 20) -> SearchPage:
    """Accepted versions matching ``filters``, best first, one page; facet counts over all matches."""
    wanted = query_tokens(filters.q)
    matches = None
    if wanted:
        matches = (
            select(SearchToken.version_id.label("version_id"), func.sum(SearchToken.weight).label("score"))
            .where(SearchToken.token.in_(wanted))
            .group_by(SearchToken.version_id)
            .having(func.count(SearchToken.token) == len(wanted))
            .subquery()
        )
    score: Any = matches.c.score if matches is not None else literal(0)
    base = select(ResourceVersion, CatalogueNode, score).join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
    if matches is not None:
        base = base.join(matches, matches.c.version_id == ResourceVersion.id)
    base = _filtered(base.where(ResourceVersion.state == "ACCEPTED"), filters)
    order = [desc(score)] if matches is not None else []
    rows = session.execute(
        base.order_by(*order, desc(ResourceVersion.accepted_at), desc(ResourceVersion.id))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    # Every facet counted in one statement (one round trip); every version has a type, so the
    # type counts also add up to the total.
    ids = select(base.with_only_columns(ResourceVersion.id).subquery().c.id)
    counts = []
    for facet in FACETS:
        column = getattr(ResourceVersion if facet in ("resource_type", "licence") else CatalogueNode, facet)
        counts.append(
            select(literal(facet).label("facet"), column.label("value"), func.count().label("n"))
            .select_from(ResourceVersion)
            .join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
            .where(ResourceVersion.id.in_(ids), column.is_not(None))
            .group_by(column)
        )
    facets: dict[str, list[tuple[str, int]]] = {facet: [] for facet in FACETS}
    for facet, value, count in session.execute(union_all(*counts)).all():
        facets[facet].append((str(value), int(count)))
    for values in facets.values():
        values.sort(key=lambda item: (-item[1], item[0]))
    total = sum(count for _, count in facets["resource_type"])
    return SearchPage(total=int(total), page=page, per_page=per_page,
                      items=[(version, node, int(s or 0)) for version, node, s in rows], facets=facets)

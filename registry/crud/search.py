"""Search's side of the database: the change log the index follows, and what the index is fed.

The workflows call :func:`record_version_change` (a version was accepted, superseded, withdrawn
or reinstated) and :func:`record_catalogue_change` (catalogue nodes were added or renamed) inside
their own transactions, so a change and its log row commit together or not at all. Everything
else here is read by :mod:`registry.search.service`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Row, delete, func, or_, select
from sqlalchemy.orm import Session

from ..models import CatalogueNode, ResourceVersion, SearchChange
from ..search.index import SearchDocument

__all__ = [
    "accepted_documents",
    "accepted_version_count",
    "catalogue_nodes",
    "change_bounds",
    "changes_after",
    "newest_change_before",
    "prune_changes",
    "read_hits",
    "record_catalogue_change",
    "record_version_change",
    "versions_under",
]

_ACCEPTED = "ACCEPTED"


# -- the change log (written by the workflows) ---------------------------------------------------


def record_version_change(session: Session, version_id: int) -> None:
    """The searchable state of ``version_id`` may have changed: the index looks at it again."""
    session.add(SearchChange(version_id=version_id))


def record_catalogue_change(session: Session, node_ids: Iterable[str]) -> None:
    """Catalogue nodes were added or renamed: their subtrees' versions and the vocabulary change.
    A node under another one named here is covered by it and not logged again."""
    wanted = sorted(set(node_ids))
    kept: list[str] = []
    for node_id in wanted:  # sorted: an ancestor comes before its descendants
        if not any(node_id.startswith(ancestor + ".") for ancestor in kept):
            kept.append(node_id)
    session.add_all(SearchChange(node_id=node_id) for node_id in kept)


def changes_after(session: Session, watermark: int, *, limit: int) -> list[SearchChange]:
    return list(session.scalars(select(SearchChange).where(SearchChange.id > watermark).order_by(SearchChange.id).limit(limit)))


def change_bounds(session: Session) -> tuple[int | None, int | None]:
    """The smallest and largest id in the log (``None`` when it is empty)."""
    low, high = session.execute(select(func.min(SearchChange.id), func.max(SearchChange.id))).one()
    return low, high


def newest_change_before(session: Session, moment: datetime) -> int:
    return int(session.scalar(select(func.max(SearchChange.id)).where(SearchChange.created_at < moment)) or 0)


def prune_changes(session: Session, *, before: datetime) -> int:
    """Remove rows older than ``before``, always keeping the newest row (it tells an index that
    stayed away longer how far the log no longer reaches)."""
    newest = session.scalar(select(func.max(SearchChange.id)))
    if newest is None:
        return 0
    result = session.execute(delete(SearchChange).where(SearchChange.created_at < before, SearchChange.id < newest))
    return int(getattr(result, "rowcount", 0) or 0)


# -- what the index is fed -----------------------------------------------------------------------


def _node_path(node_id: str) -> tuple[str, ...]:
    parts = node_id.split(".")
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))


_DOCUMENT_COLUMNS = (
    ResourceVersion.id,
    ResourceVersion.title,
    ResourceVersion.keywords,
    ResourceVersion.description,
    ResourceVersion.resource_type,
    ResourceVersion.licence,
    ResourceVersion.accepted_at,
    ResourceVersion.updated_at,
    CatalogueNode.id,
    CatalogueNode.stage,
    CatalogueNode.subject,
    CatalogueNode.grade,
    CatalogueNode.edition,
    CatalogueNode.volume,
)


def _document(row: Row[Unpack[tuple[Any, ...]]]) -> SearchDocument:
    (
        version_id,
        title,
        keywords,
        description,
        resource_type,
        licence,
        accepted_at,
        updated_at,
        node_id,
        stage,
        subject,
        grade,
        edition,
        volume,
    ) = row
    facets = {
        "stage": stage,
        "subject": subject,
        "grade": grade,
        "edition": edition,
        "volume": volume,
        "resource_type": resource_type,
        "licence": licence,
    }
    return SearchDocument(
        version_id=version_id,
        title=title,
        keywords=tuple(keywords),
        description=description,
        facets={facet: value for facet, value in facets.items() if value},
        node_path=_node_path(node_id),
        accepted_at=accepted_at or updated_at,
    )


def accepted_documents(session: Session, version_ids: Sequence[int] | None = None, *, batch: int = 2000) -> Iterator[SearchDocument]:
    """Documents of the accepted versions among ``version_ids`` (all of them when ``None``), read
    ``batch`` rows at a time, by id (columns only: a rebuild reads every accepted row once)."""
    query = (
        select(*_DOCUMENT_COLUMNS)
        .join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
        .where(ResourceVersion.state == _ACCEPTED)
        .order_by(ResourceVersion.id)
    )
    if version_ids is not None:
        ids = sorted(set(version_ids))
        for start in range(0, len(ids), batch):
            for row in session.execute(query.where(ResourceVersion.id.in_(ids[start : start + batch]))).all():
                yield _document(row)
        return
    last = 0
    while True:
        rows = session.execute(query.where(ResourceVersion.id > last).limit(batch)).all()
        for row in rows:
            yield _document(row)
        if len(rows) < batch:
            return
        last = rows[-1][0]


def accepted_version_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ResourceVersion).where(ResourceVersion.state == _ACCEPTED)) or 0)


def versions_under(session: Session, node_ids: Iterable[str]) -> list[int]:
    """Every version filed under any of ``node_ids`` or below (accepted or not: the index decides)."""
    conditions = []
    for node_id in node_ids:
        conditions.extend(
            [ResourceVersion.catalogue_node_id == node_id, ResourceVersion.catalogue_node_id.startswith(node_id + ".", autoescape=True)]
        )
    if not conditions:
        return []
    return list(session.scalars(select(ResourceVersion.id).where(or_(*conditions))))


def catalogue_nodes(session: Session) -> list[CatalogueNode]:
    return list(session.scalars(select(CatalogueNode).order_by(CatalogueNode.id)))


_HIT_COLUMNS = (
    ResourceVersion.id,
    ResourceVersion.resource_id,
    ResourceVersion.number,
    ResourceVersion.state,
    ResourceVersion.title,
    ResourceVersion.description,
    ResourceVersion.keywords,
    ResourceVersion.resource_type,
    ResourceVersion.catalogue_node_id,
    ResourceVersion.licence,
    ResourceVersion.authors,
    ResourceVersion.root_cid,
    ResourceVersion.accepted_at,
    CatalogueNode.path,
)


def read_hits(session: Session, version_ids: Sequence[int]) -> tuple[dict[int, Row[Unpack[tuple[Any, ...]]]], int]:
    """What a result page shows of the accepted versions among ``version_ids``, by id — rows with
    the version's columns by name and its catalogue ``path``, found by primary key only (so the
    plan never depends on how many versions are accepted) — and, in the same statement, the
    newest change-log id (0 when the log is empty): one round trip for both."""
    newest = select(func.coalesce(func.max(SearchChange.id), 0)).scalar_subquery()
    if not version_ids:
        return {}, int(session.scalar(select(newest)) or 0)
    rows = session.execute(
        select(*_HIT_COLUMNS, newest.label("newest_change"))
        .join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
        .where(ResourceVersion.id.in_(list(version_ids)))
    ).all()
    if not rows:
        return {}, int(session.scalar(select(newest)) or 0)
    return {row.id: row for row in rows if row.state == _ACCEPTED}, int(rows[0].newest_change)

"""Accepted resource versions written straight into the database (no chain, no review), for the
search tests and bench/search.py; each one logged for the index as acceptance logs it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from registry.models import Resource, ResourceVersion, SearchChange

__all__ = ["NewVersion", "seed_versions"]

_AUTHOR = "0x" + "ab" * 20


@dataclass(frozen=True)
class NewVersion:
    title: str
    node: str
    description: str = ""
    keywords: Sequence[str] = ()
    resource_type: str = "教学设计"
    licence: str = "CC-BY-4.0"
    accepted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    state: str = "ACCEPTED"


def seed_versions(session: Session, versions: Sequence[NewVersion], *, log_changes: bool = True) -> list[int]:
    """Insert one resource (version 1) per entry; returns the version ids, in order. The caller commits."""
    first = int(session.scalar(select(func.max(ResourceVersion.id))) or 0) + 1
    first_resource = int(session.scalar(select(func.max(Resource.id))) or 0) + 1
    ids = list(range(first, first + len(versions)))
    session.execute(
        insert(Resource), [{"id": first_resource + i, "owner": _AUTHOR, "created_at": v.accepted_at} for i, v in enumerate(versions)]
    )
    rows = []
    for i, v in enumerate(versions):
        digest = hashlib.sha256(f"{ids[i]}:{v.title}".encode()).hexdigest()
        rows.append(
            {
                "id": ids[i],
                "resource_id": first_resource + i,
                "number": 1,
                "author": _AUTHOR,
                "title": v.title[:200],
                "description": v.description,
                "keywords": list(v.keywords),
                "resource_type": v.resource_type,
                "catalogue_node_id": v.node,
                "licence": v.licence,
                "authors": [{"address": _AUTHOR, "share": 10000}],
                "parts": [],
                "root_cid": "bafy" + digest[:20],
                "content_hash": "0x" + digest,
                "metadata_hash": "0x" + digest,
                "signature": "0x",
                "nonce": ids[i],
                "deadline": 0,
                "state": v.state,
                "round": 1,
                "lock_version": 1,
                "near_duplicates": [],
                "created_at": v.accepted_at,
                "updated_at": v.accepted_at,
                "accepted_at": v.accepted_at if v.state == "ACCEPTED" else None,
                "chain_status": "confirmed",
            }
        )
    for start in range(0, len(rows), 5000):
        session.execute(insert(ResourceVersion), rows[start : start + 5000])
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("resources", "resource_versions"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    if log_changes:
        session.execute(insert(SearchChange), [{"version_id": version_id, "created_at": datetime.now(UTC)} for version_id in ids])
    return ids

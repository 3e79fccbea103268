"""The catalogue as data: load a taxonomy file (JSON) into the database, read it back as a tree.

A file is a tree of nodes ``{"key", "name", "level"?, "children"?}``. Levels run 学段 (stage) →
学科 (subject) → 年级 (grade) → 版本 (edition) → 册次 (volume) → 章节 (chapter, nesting freely).
A node's id is its ancestors' keys and its own joined by dots (``primary.math.g1.pep.vol1.c3``).
Loading adds and renames nodes; it never deletes one, since resources may point at it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequestError, ResourceNotFoundError
from ..models import CatalogueNode
from . import search as search_crud

__all__ = ["LEVELS", "SAMPLE_CATALOGUE", "catalogue_tree", "get_node", "is_empty", "load_catalogue", "read_catalogue_file"]

LEVELS = ("stage", "subject", "grade", "edition", "volume", "chapter")
SAMPLE_CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "catalogue-sample.json"
_KEY = re.compile(r"^[a-z0-9_-]{1,30}$")
_FACETS = ("stage", "subject", "grade", "edition", "volume")
_MAX_NODES = 100_000


def read_catalogue_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRequestError(f"cannot read the catalogue file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{path}: a catalogue is a JSON object with 'children'")
    return data


def _flatten(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def walk(node: Any, where: str, parent: dict[str, Any] | None, depth: int, position: int) -> None:
        if not isinstance(node, dict):
            raise InvalidRequestError(f"{where}: a node is an object with 'key' and 'name'")
        key, name = node.get("key"), node.get("name")
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidRequestError(f"{where}: 'key' must be 1–30 of a-z, 0-9, '_' or '-' (got {key!r})")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidRequestError(f"{where}: 'name' must be a non-empty string of at most 200 characters")
        level = LEVELS[min(depth, len(LEVELS) - 1)]
        if node.get("level", level) != level:
            raise InvalidRequestError(f"{where}: a node at depth {depth + 1} is a {level!r}, not {node.get('level')!r}")
        node_id = f"{parent['id']}.{key}" if parent else key
        if len(node_id) > 120:
            raise InvalidRequestError(f"{where}: the node id {node_id!r} is longer than 120 characters")
        row: dict[str, Any] = {
            "id": node_id,
            "parent_id": parent["id"] if parent else None,
            "level": level,
            "name": name.strip(),
            "position": position,
            "path": f"{parent['path']} / {name.strip()}" if parent else name.strip(),
        }
        for facet in _FACETS:
            row[facet] = row["name"] if level == facet else (parent[facet] if parent else None)
        rows.append(row)
        if len(rows) > _MAX_NODES:
            raise InvalidRequestError(f"a catalogue has at most {_MAX_NODES} nodes")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise InvalidRequestError(f"{where}: 'children' must be a list")
        keys = [child.get("key") for child in children if isinstance(child, dict)]
        if len(keys) != len(set(keys)):
            raise InvalidRequestError(f"{where}: two children share a key")
        for index, child in enumerate(children):
            walk(child, f"{where}.children[{index}]", row, depth + 1, index)

    top = data.get("children")
    if not isinstance(top, list) or not top:
        raise InvalidRequestError("a catalogue needs a non-empty 'children' list of 学段 (stage) nodes")
    keys = [child.get("key") for child in top if isinstance(child, dict)]
    if len(keys) != len(set(keys)):
        raise InvalidRequestError("two stages share a key")
    for index, child in enumerate(top):
        walk(child, f"children[{index}]", None, 0, index)
    return rows


def load_catalogue(*, session: Session, data: dict[str, Any]) -> dict[str, int]:
    """Add or rename the nodes of ``data`` (validated whole first); returns counts."""
    rows = _flatten(data)
    existing = {node.id: node for node in session.scalars(select(CatalogueNode))}
    added = updated = 0
    changed: list[str] = []
    for row in rows:  # parents come before their children
        node = existing.get(row["id"])
        if node is None:
            session.add(CatalogueNode(**row))
            added += 1
            changed.append(row["id"])
        elif any(getattr(node, field) != value for field, value in row.items()):
            for field, value in row.items():
                setattr(node, field, value)
            updated += 1
            changed.append(row["id"])
        session.flush()
    search_crud.record_catalogue_change(session, changed)  # new names, and renamed facets and paths
    return {"added": added, "updated": updated, "unchanged": len(rows) - added - updated}


def is_empty(*, session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(CatalogueNode))


def get_node(*, session: Session, node_id: str) -> CatalogueNode:
    node = session.get(CatalogueNode, node_id)
    if node is None:
        raise ResourceNotFoundError(f"no catalogue node {node_id!r}")
    return node


def catalogue_tree(*, session: Session, root: str | None = None) -> list[dict[str, Any]]:
    """The catalogue (or the subtree under ``root``) as nested ``{id, name, level, children}``."""
    nodes = list(session.scalars(select(CatalogueNode).order_by(CatalogueNode.position, CatalogueNode.id)))
    children: dict[str | None, list[CatalogueNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)

    def build(node: CatalogueNode) -> dict[str, Any]:
        return {"id": node.id, "name": node.name, "level": node.level, "children": [build(c) for c in children.get(node.id, [])]}

    if root is not None:
        return [build(get_node(session=session, node_id=root))]
    return [build(node) for node in children.get(None, [])]

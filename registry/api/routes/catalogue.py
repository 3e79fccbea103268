"""The resource catalogue: 学段 / 学科 / 年级 / 版本 / 册次 / 章节, read as a tree, loaded from a JSON file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...crud import catalogue as catalogue_crud
from ..deps import AdminUser, SessionDep

router = APIRouter(prefix="/catalogue", tags=["catalogue"])


class NodePublic(BaseModel):
    id: str
    name: str
    level: str
    children: list[NodePublic]


class LoadResult(BaseModel):
    added: int
    updated: int
    unchanged: int


@router.get("", response_model=list[NodePublic])
def read_catalogue(db: SessionDep, root: str | None = None) -> list[dict[str, Any]]:
    """The whole catalogue, or the subtree under ``root``."""
    return catalogue_crud.catalogue_tree(session=db, root=root)


@router.put("", response_model=LoadResult)
def load_catalogue(data: dict[str, Any], admin: AdminUser, db: SessionDep) -> LoadResult:
    """Load a taxonomy (the format of registry/data/catalogue-sample.json): adds and renames, never deletes."""
    counts = catalogue_crud.load_catalogue(session=db, data=data)
    db.commit()
    return LoadResult(**counts)

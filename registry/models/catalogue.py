"""The resource catalogue (资源分类目录): 学段 / 学科 / 年级 / 版本 / 册次 and chapter trees, as data."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["CatalogueNode"]


class CatalogueNode(Base):
    """One node. The facet columns repeat the names of the node's ancestors, so search can count
    resources per 学段/学科/年级/版本/册次 without walking the tree."""

    __tablename__ = "catalogue_nodes"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("catalogue_nodes.id"), default=None, index=True)
    level: Mapped[str] = mapped_column(String(20))  # stage, subject, grade, edition, volume, chapter
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str | None] = mapped_column(String(50), default=None)
    subject: Mapped[str | None] = mapped_column(String(50), default=None)
    grade: Mapped[str | None] = mapped_column(String(50), default=None)
    edition: Mapped[str | None] = mapped_column(String(50), default=None)
    volume: Mapped[str | None] = mapped_column(String(50), default=None)
    path: Mapped[str] = mapped_column(String(1000))  # names from the root, " / "-separated

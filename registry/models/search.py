"""The search index: tokens of accepted versions (CJK bigrams and single characters, English word stems)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["SearchToken"]


class SearchToken(Base):
    __tablename__ = "search_tokens"

    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    weight: Mapped[int] = mapped_column(Integer)  # title 8, keywords 4, description 1, summed

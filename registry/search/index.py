"""What the registry needs from a search engine: one interface, an embedded implementation.

:class:`SearchIndex` is the whole contract between the registry and an engine. The registry owns
the truth (the database) and hands the index whole documents to upsert, ids to delete, and a
watermark (the last change-log row the index reflects) that the index keeps *with* its data, so
that after a crash the registry knows where to resume. Queries come as :class:`SearchQuery` and go
back as version ids with scores, a total and facet counts; the registry reads the rows itself.

The embedded implementation is :class:`~registry.search.tantivy_index.TantivyIndex`. A search
cluster (OpenSearch / Elasticsearch) fits the same interface; README.md ("Search") says how.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["FACETS", "FacetCounts", "SearchDocument", "SearchHits", "SearchIndex", "SearchQuery"]

# The facets, in the order pages show them: five from the catalogue, two from the version.
FACETS = ("stage", "subject", "grade", "edition", "volume", "resource_type", "licence")

FacetCounts = dict[str, list[tuple[str, int]]]  # facet → [(value, count)], most first


@dataclass(frozen=True)
class SearchDocument:
    """One accepted resource version as the index sees it."""

    version_id: int
    title: str
    keywords: tuple[str, ...]
    description: str
    facets: Mapping[str, str]  # facet → value; a facet without a value is absent
    node_path: tuple[str, ...]  # the catalogue node's id and its ancestors' (for the subtree filter)
    accepted_at: datetime


@dataclass(frozen=True)
class SearchQuery:
    """Text (may be empty: facets only), filters and one page.

    ``filters`` maps a facet to the values any of which may match (multi-select within a facet);
    facets combine with AND. ``nodes``: catalogue nodes, a version under any of them matches.
    """

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    nodes: tuple[str, ...] = ()
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class SearchHits:
    total: int
    hits: list[tuple[int, float]]  # (version id, score), best first; ties: newer first
    facets: FacetCounts  # for a facet with a selection, counted as if it had none (the other choices)


class SearchIndex(ABC):
    """An index of accepted resource versions."""

    @property
    @abstractmethod
    def watermark(self) -> int:
        """The id of the last change-log row the index reflects (0: none)."""

    @abstractmethod
    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[int], *, watermark: int) -> None:
        """Replace or add ``upserts``, remove the versions ``deletes``, and record ``watermark`` —
        durable together when this returns (a crash before then leaves the older watermark)."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchHits:
        """Matching versions, best first, one page; totals and facet counts over all matches."""

    @abstractmethod
    def suggest_titles(self, text: str, limit: int) -> list[str]:
        """Titles completing ``text`` as typed (its last word may be unfinished), best first."""

    @abstractmethod
    def document_count(self) -> int:
        """How many versions the index holds."""

    @abstractmethod
    def close(self) -> None:
        """Finish background work and release the index."""

"""Search for the registry: the index kept in step with the database, queries, suggestions.

The database is the truth; the index is derived from it and can always be rebuilt. The
workflows log every change that matters to search (``search_changes``, in the transaction that
makes the change). :meth:`SearchService.catch_up` reads the log past the index's watermark,
re-reads each named version (or every version under a renamed catalogue node) and upserts it if
it is accepted, deletes it otherwise — so applying a row twice or late is harmless — then commits
the index and its new watermark together. It runs when the service starts and whenever a query
finds the log moved: the newest log id comes back in the same statement as the page's rows, and
if it is past the watermark the changes are applied and the query asked again. So a search sees
every change committed before it began, in this process or in any other replica, for one round
trip to the database.

Crash safety: the watermark is written after the index commit, so a crash between the two
replays a few rows (harmless). On PostgreSQL a log id can become visible after a higher one (two
transactions committing out of order): the watermark stops below such a gap and the rows beyond
it are applied but remembered, until the gap fills or has stayed open for ``GAP_GRACE`` seconds
(a rolled-back transaction leaves a gap forever). Rows older than ``RETENTION`` are pruned; an
index whose watermark the log no longer reaches, a missing or damaged index, or one of another
schema is rebuilt from the database at start (or by ``python -m registry reindex``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ..crud import search as search_crud
from ..models import CatalogueNode
from ..workflows.resource_types import RESOURCE_TYPES
from .analysis import Analyzer, normalise, vocabulary_words
from .index import FacetCounts, SearchDocument, SearchQuery
from .tantivy_index import IndexUnavailableError, TantivyIndex

__all__ = ["GAP_GRACE", "RETENTION", "SearchPage", "SearchService", "Suggestion"]

log = logging.getLogger("registry.search")

GAP_GRACE = 60.0  # seconds a hole in the change log is waited for before it is taken as a rollback
RETENTION = timedelta(days=30)  # change-log rows kept; an index away longer is rebuilt
_BATCH = 500  # change-log rows per index commit
_PRUNE_EVERY = 3600.0

Progress = Callable[[int, int], None]  # (done, total)


@lru_cache(maxsize=4)
def _analyzer(vocabulary: tuple[str, ...]) -> Analyzer:
    return Analyzer(vocabulary)


@dataclass(frozen=True)
class SearchPage:
    total: int
    items: list[tuple[Any, float]]  # (a row of crud.search.read_hits: the version's columns and its node's path, score)
    facets: FacetCounts


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "knowledge_point" (a chapter or lesson of the catalogue) or "title"
    nodes: tuple[str, ...] = ()  # for a knowledge point: the catalogue nodes of that name


class _KnowledgePoints:
    """Chapter and lesson names of the catalogue, sorted for prefix look-ups (bisect): by the name,
    and by its pinyin spelt out or by initials (fenshu, fsd → 分数的初步认识), as Chinese users type."""

    def __init__(self, nodes: Sequence[CatalogueNode]) -> None:
        by_name: dict[str, list[str]] = {}
        display: dict[str, str] = {}
        for node in nodes:
            if node.level == "chapter":
                key = normalise(node.name)
                by_name.setdefault(key, []).append(node.id)
                display.setdefault(key, node.name)
        self._keys = sorted(by_name)
        self._pinyin = sorted((spelling, key) for key in by_name for spelling in _pinyin_spellings(key))
        self._nodes = by_name
        self._display = display

    def completing(self, text: str, limit: int) -> list[Suggestion]:
        prefix = normalise(text).strip()
        if not prefix:
            return []
        found: list[str] = []
        for key in self._keys[bisect_left(self._keys, prefix) :]:
            if not key.startswith(prefix):
                break
            found.append(key)
        found.sort(key=lambda key: (len(key), key))  # the shortest completion first: 分数 → 分数乘法 before 分数的意义和性质
        if _LETTERS.match(prefix):
            spelt = []
            for spelling, key in self._pinyin[bisect_left(self._pinyin, (prefix, "")) :]:
                if not spelling.startswith(prefix):
                    break
                if key not in found and key not in spelt:
                    spelt.append(key)
            found.extend(sorted(spelt, key=lambda key: (len(key), key)))
        return [Suggestion(self._display[key], "knowledge_point", tuple(self._nodes[key][:10])) for key in found[:limit]]


_LETTERS = re.compile(r"^[a-z]+$")


def _pinyin_spellings(name: str) -> tuple[str, ...]:
    """``fenshudechuburenshi`` and ``fsdcbrs`` for 分数的初步认识; nothing for a name without Chinese."""
    from pypinyin import lazy_pinyin  # imported on first use: its dictionaries take a moment to load

    syllables = [syllable for syllable in lazy_pinyin(name, errors="ignore") if syllable.isalpha()]
    if not syllables:
        return ()
    return ("".join(syllables), "".join(syllable[0] for syllable in syllables))


def _vocabulary(nodes: Sequence[CatalogueNode]) -> tuple[str, ...]:
    return tuple(vocabulary_words([*(node.name for node in nodes), *RESOURCE_TYPES]))


class SearchService:
    """One per process. Thread-safe: queries run in request threads; one catch-up at a time."""

    def __init__(self, root: Path, sessions: sessionmaker[Session], *, gap_grace: float = GAP_GRACE) -> None:
        self.root = root
        self._sessions = sessions
        self._gap_grace = gap_grace
        self._lock = threading.RLock()
        self._index: TantivyIndex | None = None
        self._marker: int | None = None
        self._beyond: set[int] = set()  # applied rows past the watermark (behind a gap)
        self._gaps: dict[int, float] = {}  # missing id → when first seen (monotonic)
        self._pruned_at = 0.0
        self._knowledge_points = _KnowledgePoints([])

    # -- opening, rebuilding ---------------------------------------------------------------

    def open(self, progress: Progress | None = None) -> None:
        """Open the current index (rebuilding it when it is missing, damaged, of another schema or
        too far behind), then catch up with the log."""
        with self._lock:
            with self._sessions() as session:
                nodes = search_crud.catalogue_nodes(session)
                low, high = search_crud.change_bounds(session)
            self._knowledge_points = _KnowledgePoints(nodes)
            analyzer = _analyzer(_vocabulary(nodes))
            marker = TantivyIndex.current_marker(self.root)
            try:
                index = TantivyIndex.open_current(self.root, analyzer)
            except IndexUnavailableError as exc:
                log.info("search index: %s; rebuilding from the database", exc)
                self.rebuild(progress)
                return
            if high is not None and low is not None and index.watermark < high and index.watermark + 1 < low:
                log.info("search index at change %d, the log now starts at %d: rebuilding", index.watermark, low)
                index.close()
                self.rebuild(progress)
                return
            if tuple(index.read_vocabulary()) != analyzer.vocabulary:
                index.set_analyzer(analyzer)
            self._replace(index, marker)
        self.catch_up()

    def rebuild(self, progress: Progress | None = None) -> int:
        """A new generation of the index from every accepted version; returns how many."""
        started = datetime.now(UTC)
        with self._sessions() as session:
            nodes = search_crud.catalogue_nodes(session)
            # Rows younger than the grace may belong to transactions still open: start before them
            # and let catch_up re-apply what the rebuild already saw (harmless).
            watermark = search_crud.newest_change_before(session, started - timedelta(seconds=self._gap_grace))
            total = search_crud.accepted_version_count(session)
            analyzer = _analyzer(_vocabulary(nodes))
            index = TantivyIndex.create_generation(self.root, analyzer)
            done = 0

            def counted() -> Iterator[SearchDocument]:
                nonlocal done
                for document in search_crud.accepted_documents(session):
                    yield document
                    done += 1
                    if progress is not None and done % 1000 == 0:
                        progress(done, total)

            try:
                count = index.add_all(counted(), watermark=watermark)
            except BaseException:
                index.close()
                raise
        if progress is not None:
            progress(count, max(total, count))
        with self._lock:
            index.publish()
            self._knowledge_points = _KnowledgePoints(nodes)
            self._replace(index, TantivyIndex.current_marker(self.root))
        log.info("search index rebuilt: %d accepted versions in %.1f s", count, (datetime.now(UTC) - started).total_seconds())
        self.catch_up()
        return count

    def _replace(self, index: TantivyIndex, marker: int | None) -> None:
        old, self._index, self._marker = self._index, index, marker
        self._beyond.clear()
        self._gaps.clear()
        if old is not None and old is not index:
            old.close()

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    @property
    def index(self) -> TantivyIndex:
        index = self._index
        if index is None:
            raise RuntimeError("the search service is not open")
        return index

    # -- following the database ------------------------------------------------------------

    def catch_up(self, session: Session | None = None) -> int:
        """Apply what the log holds past the watermark; returns the rows applied. ``session``: look
        at the log through it (a query's own session: one connection, one round trip fewer)."""
        self._follow_published_generation()
        if session is None:
            with self._sessions() as own:
                _, high = search_crud.change_bounds(own)
        else:
            _, high = search_crud.change_bounds(session)
        if high is None or (high <= self.index.watermark and not self._beyond):
            return 0
        applied = 0
        with self._lock:
            try:
                while True:
                    count, more = self._apply_batch()
                    applied += count
                    if not more:
                        break
            except (OSError, ValueError) as exc:  # the index cannot be written (e.g. another process holds its
                # writer lock): answer from it as it is; the log keeps the changes for the next try, and
                # rows a page shows are read from the database, which never shows what is no longer accepted
                log.warning("search index not updated (%s: %s); serving it as it is", type(exc).__name__, exc)
                return applied
            self._prune()
        return applied

    def _follow_published_generation(self) -> None:
        if TantivyIndex.current_marker(self.root) == self._marker:
            return
        with self._lock:  # another process (python -m registry reindex) switched generations
            marker = TantivyIndex.current_marker(self.root)
            if marker != self._marker:
                try:
                    self._replace(TantivyIndex.open_current(self.root, self.index.analyzer), marker)
                    log.info("search index: opened the generation another process published")
                except IndexUnavailableError as exc:
                    self._marker = marker  # keep the one open; the next start rebuilds
                    log.warning("search index: the published generation cannot be opened (%s); keeping this one", exc)

    def _apply_batch(self) -> tuple[int, bool]:
        index = self.index
        watermark = index.watermark
        with self._sessions() as session:
            rows = search_crud.changes_after(session, watermark, limit=_BATCH)
            fresh = [row for row in rows if row.id not in self._beyond]
            node_ids = {row.node_id for row in fresh if row.node_id}
            version_ids = {row.version_id for row in fresh if row.version_id is not None}
            if node_ids:
                nodes = search_crud.catalogue_nodes(session)
                self._knowledge_points = _KnowledgePoints(nodes)
                analyzer = _analyzer(_vocabulary(nodes))
                if analyzer.vocabulary != index.analyzer.vocabulary:
                    index.set_analyzer(analyzer)
                version_ids.update(search_crud.versions_under(session, node_ids))
            documents = list(search_crud.accepted_documents(session, sorted(version_ids)))
        deletes = sorted(version_ids - {doc.version_id for doc in documents})
        # The watermark moves over consecutive ids only; a gap is waited for (see the module doc).
        now = time.monotonic()
        expected = watermark + 1
        blocked = False
        for row in rows:
            if blocked:
                break
            missing = range(expected, row.id)
            for missing_id in missing:
                self._gaps.setdefault(missing_id, now)
            if all(now - self._gaps[missing_id] >= self._gap_grace for missing_id in missing):
                expected = row.id + 1
            else:
                blocked = True
        new_watermark = expected - 1
        if documents or deletes:
            index.apply(documents, deletes, watermark=new_watermark)
        else:
            index.set_watermark(new_watermark)
        self._beyond = {row.id for row in rows if row.id > new_watermark} | {i for i in self._beyond if i > new_watermark}
        self._gaps = {i: t for i, t in self._gaps.items() if i > new_watermark}
        return len(fresh), len(rows) == _BATCH and not blocked

    def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        with self._sessions() as session:
            removed = search_crud.prune_changes(session, before=datetime.now(UTC) - RETENTION)
            session.commit()
        if removed:
            log.info("search change log: %d rows older than %s pruned", removed, RETENTION)

    # -- queries ---------------------------------------------------------------------------

    def search(self, *, text: str, filters: Mapping[str, tuple[str, ...]], nodes: tuple[str, ...], offset: int, limit: int) -> SearchPage:
        query = SearchQuery(text=text, filters=filters, nodes=nodes, offset=offset, limit=limit)
        self._follow_published_generation()
        with self._sessions() as session:
            found = self.index.search(query)
            rows, newest = search_crud.read_hits(session, [version_id for version_id, _ in found.hits])
            if newest > self.index.watermark or self._beyond:  # changes came in: apply them, ask again
                self.catch_up(session)
                found = self.index.search(query)
                rows, _ = search_crud.read_hits(session, [version_id for version_id, _ in found.hits])
        items = [(rows[version_id], score) for version_id, score in found.hits if version_id in rows]
        return SearchPage(total=found.total, items=items, facets=found.facets)

    def suggest(self, text: str, *, limit: int = 10) -> list[Suggestion]:
        """Knowledge points whose name begins with ``text``, then titles completing it."""
        self.catch_up()
        points = self._knowledge_points.completing(text, limit)
        titles = [Suggestion(title, "title") for title in self.index.suggest_titles(text, limit)]
        # at most half knowledge points when both kinds have enough to show
        half = max(limit // 2, limit - len(titles))
        return [*points[:half], *titles][:limit]

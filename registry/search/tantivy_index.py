"""The embedded search index: tantivy (Rust, in process) over pre-segmented text.

Each field of a document is indexed as words and as CJK grams (:mod:`.analysis`), joined by
spaces and split again by tantivy's whitespace tokenizer, so tantivy never needs to know Chinese.
Ranking is tantivy's BM25 per field with boosts (title 3, keywords 2, description 1; a word match
counts twice a gram match); among equal scores the newest acceptance comes first (exactly, for tie
groups of up to ``TIE_GROUP_MAX``; a larger group keeps the index's own order). Either way the
order is one fixed order, so pages never repeat or skip a hit. Facet counts are tantivy terms
aggregations over columnar fast fields, inside the engine (measured in bench/search.py).

On disk, under ``root``: ``CURRENT`` names the generation in use; each generation is a directory
holding tantivy's files, ``userdict.txt`` (the vocabulary it was built with) and
``eduledger-search.json`` (schema version and watermark, replaced atomically after each commit).
A rebuild writes a new generation beside the old one and switches ``CURRENT`` with one rename, so
a crash leaves either the old index or the new one, never half of one; a running service sees the
switch and opens the new generation.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from .analysis import Analyzer, QueryTerm
from .index import FACETS, FacetCounts, SearchDocument, SearchHits, SearchIndex, SearchQuery

__all__ = ["MAX_RESULT_WINDOW", "SCHEMA_VERSION", "TIE_GROUP_MAX", "IndexUnavailableError", "TantivyIndex"]

log = logging.getLogger("registry.search")

SCHEMA_VERSION = 1  # bump when the schema or the analysis changes: the service rebuilds at start
MAX_RESULT_WINDOW = 10_000  # hits a query can page through (as Elasticsearch's max_result_window)
TIE_GROUP_MAX = 10_000  # hits of one equal score put in acceptance order (newest first)
_TIE_PEEK = 64  # hits fetched past the page to see whether its last tie group ends there
_TOTAL = "__total"
_FIELDS = {"title": 3.0, "keywords": 2.0, "description": 1.0}
_WORD_BOOST = 2.0
_META = "eduledger-search.json"
_VOCABULARY = "userdict.txt"
_FACET_VALUES = 1000  # buckets per facet (the catalogue has far fewer values)
_Occur = tantivy.Occur


class IndexUnavailableError(Exception):
    """The index on disk cannot be used (missing, another schema, damaged): rebuild it."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("rank", fast=True)  # accepted_at in seconds << 32 | version id
    builder.add_text_field("title", stored=True, tokenizer_name="raw")
    for field in _FIELDS:
        builder.add_text_field(f"{field}_w", tokenizer_name="spaces", index_option="freq")
        builder.add_text_field(f"{field}_g", tokenizer_name="spaces", index_option="freq")
    for facet in FACETS:
        builder.add_text_field(facet, tokenizer_name="raw", fast=True)
    builder.add_text_field("node", tokenizer_name="raw", index_option="basic")
    return builder.build()


def _register_tokenizers(index: tantivy.Index) -> None:
    spaces = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.remove_long(200)).build()
    index.register_tokenizer("spaces", spaces)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class TantivyIndex(SearchIndex):
    """One generation of the index, opened for reading and (lazily) writing."""

    def __init__(self, directory: Path, analyzer: Analyzer, *, create: bool = False) -> None:
        self.directory = directory
        self.analyzer = analyzer
        meta_path = directory / _META
        if create:
            directory.mkdir(parents=True)
            self._index = tantivy.Index(_schema(), path=str(directory), reuse=False)
            self._watermark = 0
            self._write_meta()
        else:
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if meta.get("schema") != SCHEMA_VERSION:
                    raise IndexUnavailableError(f"{directory} has schema {meta.get('schema')}, this code {SCHEMA_VERSION}")
                self._index = tantivy.Index.open(str(directory))
            except (OSError, ValueError) as exc:  # json errors are ValueErrors, as are tantivy's
                raise IndexUnavailableError(f"cannot open the search index in {directory}: {exc}") from exc
            self._watermark = int(meta["watermark"])
        _register_tokenizers(self._index)
        self._schema = self._index.schema
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = threading.Lock()

    # -- generations on disk ---------------------------------------------------------------

    @staticmethod
    def current_generation(root: Path) -> Path | None:
        try:
            name = (root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return root / name if name else None

    @staticmethod
    def current_marker(root: Path) -> int | None:
        """Changes when another process switches the generation (a cheap check per query)."""
        try:
            return (root / "CURRENT").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    @classmethod
    def open_current(cls, root: Path, analyzer: Analyzer) -> TantivyIndex:
        directory = cls.current_generation(root)
        if directory is None:
            raise IndexUnavailableError(f"no search index under {root}")
        return cls(directory, analyzer)

    @classmethod
    def create_generation(cls, root: Path, analyzer: Analyzer) -> TantivyIndex:
        """A new, empty generation beside the current one; :meth:`publish` makes it current."""
        root.mkdir(parents=True, exist_ok=True)
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        index = cls(root / name, analyzer, create=True)
        _write_atomically(index.directory / _VOCABULARY, "".join(f"{word}\n" for word in analyzer.vocabulary))
        return index

    def publish(self) -> None:
        """Make this generation the current one and remove the others."""
        root = self.directory.parent
        _write_atomically(root / "CURRENT", self.directory.name + "\n")
        for other in root.iterdir():
            if other.is_dir() and other != self.directory:
                shutil.rmtree(other, ignore_errors=True)

    def read_vocabulary(self) -> list[str]:
        try:
            return (self.directory / _VOCABULARY).read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return []

    def set_analyzer(self, analyzer: Analyzer) -> None:
        """A new vocabulary: written beside the index, used for what is indexed and asked from now on."""
        _write_atomically(self.directory / _VOCABULARY, "".join(f"{word}\n" for word in analyzer.vocabulary))
        self.analyzer = analyzer

    # -- writing ---------------------------------------------------------------------------

    @property
    def watermark(self) -> int:
        return self._watermark

    def _write_meta(self) -> None:
        _write_atomically(self.directory / _META, json.dumps({"schema": SCHEMA_VERSION, "watermark": self._watermark}))

    def _document(self, source: SearchDocument) -> tantivy.Document:
        document = tantivy.Document()
        document.add_unsigned("id", source.version_id)
        document.add_unsigned("rank", (int(source.accepted_at.timestamp()) << 32) | (source.version_id & 0xFFFFFFFF))
        document.add_text("title", source.title)
        for field, text in (("title", source.title), ("keywords", " ".join(source.keywords)), ("description", source.description)):
            terms = self.analyzer.field_terms(text)
            document.add_text(f"{field}_w", " ".join(terms.words))
            document.add_text(f"{field}_g", " ".join(terms.grams))
        for facet, value in source.facets.items():
            document.add_text(facet, value)
        for node in source.node_path:
            document.add_text("node", node)
        return document

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[int], *, watermark: int, heap_size: int = 32_000_000) -> None:
        with self._write_lock:
            if self._writer is None:
                self._writer = self._index.writer(heap_size=heap_size, num_threads=1)
            writer = self._writer
            try:
                replaced = sorted({*deletes, *(doc.version_id for doc in upserts)})
                if replaced:  # (a term query: deleting by a bare integer term misses unsigned fields)
                    writer.delete_documents_by_query(tantivy.Query.term_set_query(self._schema, "id", replaced))
                for doc in upserts:
                    writer.add_document(self._document(doc))
                writer.commit()
            except BaseException:
                self._writer = None  # a failed writer may be unusable: the next apply opens a new one
                try:
                    writer.rollback()
                finally:
                    del writer
                raise
            self._watermark = max(self._watermark, watermark)
            self._write_meta()
            self._index.reload()

    def add_all(self, documents: Iterable[SearchDocument], *, watermark: int) -> int:
        """Bulk load into a fresh generation (a rebuild): one commit at the end."""
        count = 0
        with self._write_lock:
            writer = self._index.writer(heap_size=128_000_000, num_threads=1)
            for doc in documents:
                writer.add_document(self._document(doc))
                count += 1
            writer.commit()
            writer.wait_merging_threads()
            self._watermark = watermark
            self._write_meta()
            self._index.reload()
        return count

    def set_watermark(self, watermark: int) -> None:
        with self._write_lock:
            if watermark > self._watermark:
                self._watermark = watermark
                self._write_meta()

    def close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                writer.wait_merging_threads()

    # -- reading ---------------------------------------------------------------------------

    def document_count(self) -> int:
        return int(self._index.searcher().num_docs)

    def _any_field(self, kind: str, term: str, boost: float, fields: Iterable[str] = _FIELDS) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (_Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, f"{f}_{kind}", term), boost * _FIELDS[f]))
                for f in fields
            ]
        )

    def _text_clauses(self, terms: Sequence[QueryTerm], fields: Iterable[str] = _FIELDS) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        fields = tuple(fields)
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for term in terms:
            if term.grams:
                clauses.extend((_Occur.Must, self._any_field("g", gram, 1.0, fields)) for gram in dict.fromkeys(term.grams))
                clauses.append((_Occur.Should, self._any_field("w", term.word, _WORD_BOOST, fields)))
            else:
                clauses.append((_Occur.Must, self._any_field("w", term.word, _WORD_BOOST, fields)))
        return clauses

    def _filter_clauses(self, query: SearchQuery, *, leave_out: str | None = None) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses = []
        for facet, values in query.filters.items():
            if facet != leave_out and values:
                clauses.append(
                    (_Occur.Must, tantivy.Query.const_score_query(tantivy.Query.term_set_query(self._schema, facet, list(values)), 0.0))
                )
        if query.nodes:
            clauses.append(
                (_Occur.Must, tantivy.Query.const_score_query(tantivy.Query.term_set_query(self._schema, "node", list(query.nodes)), 0.0))
            )
        return clauses

    @staticmethod
    def _combine(clauses: list[tuple[tantivy.Occur, tantivy.Query]]) -> tantivy.Query:
        if not any(occur == _Occur.Must for occur, _ in clauses):
            clauses = [(_Occur.Must, tantivy.Query.all_query()), *clauses]
        return tantivy.Query.boolean_query(clauses)

    def _count_facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query, facets: Sequence[str], *, total: bool = False
    ) -> tuple[FacetCounts, int]:
        """Terms aggregations of ``facets`` over the matches of ``query`` (and, with ``total``, the
        number of matches, counted in the same pass: every document has a ``rank``)."""
        wanted: dict[str, Any] = {facet: {"terms": {"field": facet, "size": _FACET_VALUES}} for facet in facets}
        if total:
            wanted[_TOTAL] = {"value_count": {"field": "rank"}}
        answer = searcher.aggregate(query, wanted)
        counts: FacetCounts = {}
        for facet in facets:
            buckets = answer.get(facet, {}).get("buckets", [])
            counts[facet] = sorted(((str(b["key"]), int(b["doc_count"])) for b in buckets), key=lambda item: (-item[1], item[0]))
        return counts, int(answer.get(_TOTAL, {}).get("value") or 0)

    @staticmethod
    def _newest_first_among_equals(
        searcher: tantivy.Searcher, hits: list[tuple[float, tantivy.DocAddress]], *, start: int, end: int, complete: bool
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """``hits[start:end]`` with each group of equal scores that reaches into it in acceptance
        order, newest first — when the whole group is known (``complete``: ``hits`` holds every
        match, or a lower score follows it) and has at most TIE_GROUP_MAX members. A group cut off
        by the end of ``hits`` that reaches into the page has more than that many (``hits`` runs
        TIE_GROUP_MAX past the page), so every page decides alike for a group: one order."""
        ordered = list(hits)
        i = 0
        while i < min(end, len(hits)):
            j = i + 1
            while j < len(hits) and hits[j][0] == hits[i][0]:
                j += 1
            if j > start and 1 < j - i <= TIE_GROUP_MAX and (j < len(hits) or complete):
                ranks = searcher.fast_field_values("rank", [address for _, address in hits[i:j]])
                ordered[i:j] = [hit for _, hit in sorted(zip(ranks, hits[i:j], strict=True), key=lambda pair: -int(pair[0] or 0))]
            i = j
        return ordered[start:end]

    def search(self, query: SearchQuery) -> SearchHits:
        terms = self.analyzer.query_terms(query.text)
        if query.text.strip() and not terms:  # only punctuation, emoji, symbols: nothing can match
            return SearchHits(total=0, hits=[], facets={facet: [] for facet in FACETS})
        searcher = self._index.searcher()
        text = self._text_clauses(terms)
        full = self._combine([*text, *self._filter_clauses(query)])
        start = min(query.offset, MAX_RESULT_WINDOW)
        end = min(query.offset + query.limit, MAX_RESULT_WINDOW)
        # The top hits without counting every match (so tantivy can skip what cannot make the page);
        # the count comes with the facets, from one pass over the matches.
        page: list[tuple[float, tantivy.DocAddress]] = []
        if terms and start < end:
            for limit in sorted({end + min(_TIE_PEEK, TIE_GROUP_MAX), end + min(1000, TIE_GROUP_MAX), end + TIE_GROUP_MAX}):
                hits = list(searcher.search(full, limit=limit, count=False).hits)
                complete = len(hits) < limit
                if complete or hits[-1][0] != hits[end - 1][0]:
                    break  # the page's last tie group ends inside what was fetched
            page = self._newest_first_among_equals(searcher, hits, start=start, end=end, complete=complete)
        elif start < end:  # browsing: newest first, one field decides
            found = searcher.search(full, limit=end - start, offset=start, count=False, order_by_field="rank")
            page = [(0.0, address) for _, address in found.hits]
        ids = searcher.fast_field_values("id", [address for _, address in page]) if page else []
        # Facets: those without a selection counted over all matches at once; each selected facet
        # over the matches of everything else, so its other values show what choosing them adds.
        selected = [facet for facet in FACETS if query.filters.get(facet)]
        facets, total = self._count_facets(searcher, full, [facet for facet in FACETS if facet not in selected], total=True)
        for facet in selected:
            others = self._combine([*text, *self._filter_clauses(query, leave_out=facet)])
            facets.update(self._count_facets(searcher, others, [facet])[0])
        return SearchHits(
            total=total,
            hits=[(int(i), float(score)) for i, (score, _) in zip(ids, page, strict=True) if i is not None],
            facets={facet: facets[facet] for facet in FACETS},
        )

    def suggest_titles(self, text: str, limit: int) -> list[str]:
        terms = self.analyzer.query_terms(text)
        partial = self.analyzer.unfinished_word(text)
        if partial is not None:  # the last English word may be unfinished: its stem or any word it begins
            terms = [term for term in terms if term.word != self.analyzer.stem(partial)]
        clauses = self._text_clauses(terms, fields=("title",))
        if partial is not None:
            clauses.append(
                (
                    _Occur.Must,
                    tantivy.Query.boolean_query(
                        [
                            (_Occur.Should, tantivy.Query.term_query(self._schema, "title_w", self.analyzer.stem(partial))),
                            (_Occur.Should, tantivy.Query.regex_query(self._schema, "title_w", f"{partial}.*")),
                        ]
                    ),
                )
            )
        if not clauses:
            return []
        searcher = self._index.searcher()
        found = searcher.search(tantivy.Query.boolean_query(clauses), limit=limit * 4, count=False)
        titles: list[str] = []
        for _, address in found.hits:
            title = searcher.doc(address)["title"][0]
            if title not in titles:
                titles.append(str(title))
            if len(titles) == limit:
                break
        return titles

    def stored_ids(self) -> set[int]:
        """Every version id in the index (tests and consistency checks; reads all of it)."""
        searcher = self._index.searcher()
        found = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs), count=False, order_by_field="rank")
        return {int(i) for i in searcher.fast_field_values("id", [address for _, address in found.hits]) if i is not None}

"""Benchmark: which embedded index — tantivy, SQLite FTS5 or PostgreSQL tsvector + GIN — for search.

The same generated corpus (bench/search_corpus.py), cut by the same analyzer (registry.search:
jieba words with the catalogue as user dictionary, CJK characters and bigrams, Snowball stems),
goes into each candidate, fed pre-segmented tokens joined by spaces (FTS5's ``ascii`` tokenizer,
PostgreSQL's ``simple`` configuration, tantivy's whitespace tokenizer). Each answers the same
queries the way search needs them: every query word matched (CJK by its bigrams), ranked by the
engine's relevance with field weights (title > keywords > description), the top 20, the number of
matches and the counts of seven facets. Times are per query, p50 and p99 over repetitions.

    python bench/search_engines.py [--sizes 10000,100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpus import city_catalogue, leaf_nodes, resources  # noqa: E402

from registry.search.analysis import Analyzer, QueryTerm, vocabulary_words  # noqa: E402

POSTGRES = os.environ.get("EDULEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FACETS = ("stage", "subject", "grade", "edition", "volume", "resource_type", "licence")
FIELDS = ("title", "keywords", "description")
WEIGHTS = {"title": 3.0, "keywords": 2.0, "description": 1.0}
QUERIES: list[tuple[str, str, dict[str, str]]] = [  # label, text, filters
    ("common term (学生, ~85% of all)", "学生", {}),
    ("common term (数学, ~25%)", "数学", {}),
    ("multi-word Chinese", "分数的初步认识", {}),
    ("two words", "几分之一 课堂练习", {}),
    ("English", "colours games", {}),
    ("text + facet", "教学设计", {"subject": "数学"}),
]

Doc = dict[str, Any]


def documents(count: int, analyzer: Analyzer) -> list[Doc]:
    catalogue = city_catalogue()
    nodes = {node.id: node for node in leaf_nodes(catalogue)}
    docs = []
    for i, resource in enumerate(resources(count, catalogue), start=1):
        node = nodes[resource.node_id]
        doc: Doc = {
            "id": i,
            "rank": int(resource.accepted_at.timestamp()) * 10**9 + i,
            "node": resource.node_id,
            "stage": node.stage,
            "subject": node.subject,
            "grade": node.grade,
            "edition": node.edition,
            "volume": node.volume,
            "resource_type": resource.resource_type,
            "licence": resource.licence,
        }
        for field, text in (("title", resource.title), ("keywords", " ".join(resource.keywords)), ("description", resource.description)):
            terms = analyzer.field_terms(text)
            doc[f"{field}_w"], doc[f"{field}_g"] = " ".join(terms.words), " ".join(terms.grams)
        docs.append(doc)
    return docs


# --------------------------------------------------------------------------------------------
# tantivy
# --------------------------------------------------------------------------------------------


class Tantivy:
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
        builder.add_unsigned_field("rank", fast=True)
        for field in FIELDS:
            for kind in ("w", "g"):
                builder.add_text_field(f"{field}_{kind}", tokenizer_name="ws", index_option="freq")
        for facet in FACETS:
            builder.add_text_field(facet, tokenizer_name="raw", fast=True)
        builder.add_text_field("node", tokenizer_name="raw")
        self.index = tantivy.Index(builder.build(), path=str(path))
        self.index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())

    def load(self, docs: list[Doc]) -> None:
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        for doc in docs:
            document = tantivy.Document()
            document.add_unsigned("id", doc["id"])
            document.add_unsigned("rank", doc["rank"])
            for field in FIELDS:
                document.add_text(f"{field}_w", doc[f"{field}_w"])
                document.add_text(f"{field}_g", doc[f"{field}_g"])
            for facet in FACETS:
                document.add_text(facet, doc[facet])
            parts = doc["node"].split(".")
            for i in range(len(parts)):
                document.add_text("node", ".".join(parts[: i + 1]))
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def query(self, terms: list[QueryTerm], filters: dict[str, str]) -> tantivy.Query:
        O = tantivy.Occur  # noqa: N806
        schema = self.index.schema
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for term in terms:
            if term.grams:
                for gram in term.grams:
                    clauses.append(
                        (
                            O.Must,
                            tantivy.Query.boolean_query(
                                [
                                    (O.Should, tantivy.Query.boost_query(tantivy.Query.term_query(schema, f"{f}_g", gram), WEIGHTS[f]))
                                    for f in FIELDS
                                ]
                            ),
                        )
                    )
                clauses.append(
                    (
                        O.Should,
                        tantivy.Query.boolean_query(
                            [
                                (O.Should, tantivy.Query.boost_query(tantivy.Query.term_query(schema, f"{f}_w", term.word), 2 * WEIGHTS[f]))
                                for f in FIELDS
                            ]
                        ),
                    )
                )
            else:
                clauses.append(
                    (
                        O.Must,
                        tantivy.Query.boolean_query(
                            [
                                (O.Should, tantivy.Query.boost_query(tantivy.Query.term_query(schema, f"{f}_w", term.word), 2 * WEIGHTS[f]))
                                for f in FIELDS
                            ]
                        ),
                    )
                )
        for facet, value in filters.items():
            clauses.append((O.Must, tantivy.Query.const_score_query(tantivy.Query.term_query(schema, facet, value), 0.0)))
        return tantivy.Query.boolean_query(clauses) if clauses else tantivy.Query.all_query()

    def search(self, terms: list[QueryTerm], filters: dict[str, str], page: int) -> tuple[list[int], int, dict[str, Any]]:
        searcher = self.index.searcher()
        query = self.query(terms, filters)
        if terms:
            found = searcher.search(query, limit=20, offset=(page - 1) * 20, count=True)
        else:
            found = searcher.search(query, limit=20, offset=(page - 1) * 20, count=True, order_by_field="rank")
        ids = searcher.fast_field_values("id", [address for _, address in found.hits])
        aggregations = {facet: {"terms": {"field": facet, "size": 200}} for facet in FACETS}
        facets = searcher.aggregate(query, aggregations)
        return [int(i) for i in ids], int(found.count or 0), facets


# --------------------------------------------------------------------------------------------
# SQLite FTS5
# --------------------------------------------------------------------------------------------


def _fts5_match(terms: list[QueryTerm]) -> str:
    grams_cols = "{" + " ".join(f"{f}_g" for f in FIELDS) + "}"
    words_cols = "{" + " ".join(f"{f}_w" for f in FIELDS) + "}"
    parts = []
    for term in terms:
        if term.grams:
            must = " AND ".join(f'{grams_cols}: "{gram}"' for gram in term.grams)
            parts.append(f'({must} AND ({words_cols}: "{term.word}" OR {must}))')
        else:
            parts.append(f'{words_cols}: "{term.word}"')
    return " AND ".join(parts)


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path / "fts.sqlite3")
        self.db.execute("PRAGMA journal_mode=WAL")
        columns = ", ".join(f"{f}_{k}" for f in FIELDS for k in ("w", "g"))
        self.db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({columns}, content='', tokenize='ascii', detail='column')")
        self.db.execute(
            "CREATE TABLE docs (id INTEGER PRIMARY KEY, rank INTEGER, node TEXT, " + ", ".join(f"{f} TEXT" for f in FACETS) + ")"
        )
        for facet in FACETS:
            self.db.execute(f"CREATE INDEX ix_{facet} ON docs({facet}, rank)")
        self.db.execute("CREATE INDEX ix_rank ON docs(rank)")

    def load(self, docs: list[Doc]) -> None:
        cols = [f"{f}_{k}" for f in FIELDS for k in ("w", "g")]
        self.db.executemany(
            f"INSERT INTO fts(rowid, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
            [(d["id"], *(d[c] for c in cols)) for d in docs],
        )
        self.db.executemany(
            f"INSERT INTO docs VALUES (?, ?, ?, {', '.join('?' * len(FACETS))})",
            [(d["id"], d["rank"], d["node"], *(d[f] for f in FACETS)) for d in docs],
        )
        self.db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        self.db.commit()

    def search(self, terms: list[QueryTerm], filters: dict[str, str], page: int) -> tuple[list[int], int, dict[str, Any]]:
        where = " AND ".join(f"d.{facet} = ?" for facet in filters) or "1"
        args = list(filters.values())
        weights = ", ".join(str(WEIGHTS[f] * k) for f in FIELDS for k in (2, 1))
        if terms:
            matches = f"SELECT rowid AS id, bm25(fts, {weights}) AS score FROM fts WHERE fts MATCH ?"
            args = [_fts5_match(terms), *args]
            base = f"FROM ({matches}) m JOIN docs d ON d.id = m.id WHERE {where}"
            order = "m.score, d.rank DESC"
        else:
            base = f"FROM docs d WHERE {where}"
            order = "d.rank DESC"
        ids = [row[0] for row in self.db.execute(f"SELECT d.id {base} ORDER BY {order} LIMIT 20 OFFSET {(page - 1) * 20}", args)]
        facets: dict[str, Any] = {}
        total = 0
        for facet in FACETS:
            facets[facet] = self.db.execute(f"SELECT d.{facet}, count(*) {base} GROUP BY d.{facet}", args).fetchall()
            total = total or sum(n for _, n in facets[facet])
        return ids, total, facets


# --------------------------------------------------------------------------------------------
# PostgreSQL tsvector + GIN
# --------------------------------------------------------------------------------------------


def _tsquery(terms: list[QueryTerm]) -> str:
    parts = []
    for term in terms:
        parts.append("(" + " & ".join(term.grams) + ")" if term.grams else term.word)
    return " & ".join(parts)


class Postgres:
    name = "PostgreSQL tsvector + GIN"

    def __init__(self, url: str) -> None:
        self.db = psycopg.connect(url, autocommit=True)
        self.db.execute("DROP TABLE IF EXISTS bench_search_docs")
        self.db.execute(
            "CREATE TABLE bench_search_docs (id bigint PRIMARY KEY, rank bigint, node text, tsv tsvector, "
            + ", ".join(f"{f} text" for f in FACETS)
            + ")"
        )

    def load(self, docs: list[Doc]) -> None:
        with (
            self.db.cursor() as cursor,
            cursor.copy(f"COPY bench_search_docs (id, rank, node, tsv, {', '.join(FACETS)}) FROM STDIN") as copy,
        ):
            for d in docs:
                # the words weigh in twice over the grams within a field, as in the other engines
                tsv = (
                    f"{d['title_w']} {d['title_w']} {d['title_g']}",
                    f"{d['keywords_w']} {d['keywords_w']} {d['keywords_g']}",
                    f"{d['description_w']} {d['description_w']} {d['description_g']}",
                )
                copy.write_row((d["id"], d["rank"], d["node"], "|".join(tsv), *(d[f] for f in FACETS)))
        self.db.execute(
            "UPDATE bench_search_docs SET tsv = setweight(to_tsvector('simple', split_part(tsv::text, '|', 1)), 'A') || "
            "setweight(to_tsvector('simple', split_part(tsv::text, '|', 2)), 'B') || "
            "setweight(to_tsvector('simple', split_part(tsv::text, '|', 3)), 'C')"
        )
        self.db.execute("CREATE INDEX ix_bench_search_tsv ON bench_search_docs USING gin (tsv)")
        for facet in FACETS:
            self.db.execute(f"CREATE INDEX ix_bench_search_{facet} ON bench_search_docs ({facet}, rank)")
        self.db.execute("CREATE INDEX ix_bench_search_rank ON bench_search_docs (rank)")
        self.db.execute("VACUUM ANALYZE bench_search_docs")

    def search(self, terms: list[QueryTerm], filters: dict[str, str], page: int) -> tuple[list[int], int, dict[str, Any]]:
        where = ["true", *(f"{facet} = %s" for facet in filters)]
        args: list[Any] = list(filters.values())
        if terms:
            where.append("tsv @@ to_tsquery('simple', %s)")
            args.append(_tsquery(terms))
            order = "ts_rank('{0.03, 0.33, 0.67, 1.0}', tsv, to_tsquery('simple', %s)) DESC, rank DESC"
            order_args = [_tsquery(terms)]
        else:
            order, order_args = "rank DESC", []
        base = f"FROM bench_search_docs WHERE {' AND '.join(where)}"
        ids = [
            row[0] for row in self.db.execute(f"SELECT id {base} ORDER BY {order} LIMIT 20 OFFSET {(page - 1) * 20}", [*args, *order_args])
        ]
        rows = self.db.execute(f"SELECT {', '.join(FACETS)}, count(*) {base} GROUP BY GROUPING SETS ({', '.join(FACETS)})", args).fetchall()
        facets: dict[str, Any] = {facet: {} for facet in FACETS}
        for row in rows:
            for i, facet in enumerate(FACETS):
                if row[i] is not None:
                    facets[facet][row[i]] = row[-1]
        total = sum(facets["resource_type"].values())
        return ids, total, facets

    def close(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS bench_search_docs")
        self.db.close()


# --------------------------------------------------------------------------------------------


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    call()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def compare_segmenters(texts: list[str]) -> dict[str, float]:
    """rjieba (jieba-rs: jieba's dictionary and algorithm in Rust, what the registry uses) against
    jieba 0.42.1 (pure Python) in search mode over the CJK runs of the same texts (what the analyzer
    gives the segmenter), when jieba is installed."""
    import re

    import rjieba

    texts = [run for text in texts for run in re.findall("[\u4e00-\u9fff]+", text)]
    try:
        import jieba
    except ImportError:
        print("segmenters: jieba not installed (pip install jieba==0.42.1 to compare it with rjieba)")
        return {}
    jieba.setLogLevel(60)
    jieba.initialize()
    rust = rjieba.Jieba()
    characters = sum(len(text) for text in texts)
    rates = {}
    for name, cut in (("jieba", lambda text: list(jieba.cut_for_search(text))), ("rjieba", lambda text: rust.cut_for_search(text, True))):
        start = time.perf_counter()
        for text in texts:
            cut(text)
        rates[name] = characters / (time.perf_counter() - start)
    same = sum(list(jieba.cut_for_search(text)) == rust.cut_for_search(text, True) for text in texts)
    print(
        f"segmenters, {len(texts):,} runs of Chinese: jieba {rates['jieba']:,.0f} chars/s, rjieba {rates['rjieba']:,.0f} chars/s "
        f"(×{rates['rjieba'] / rates['jieba']:.1f}); the same words for {same:,} of {len(texts):,} runs"
    )
    return {"segmenter_speedup_rjieba": round(rates["rjieba"] / rates["jieba"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
    catalogue = city_catalogue()
    names = []

    def walk(node: dict[str, Any]) -> None:
        names.append(node["name"])
        for child in node.get("children", []):
            walk(child)

    for stage in catalogue["children"]:
        walk(stage)
    analyzer = Analyzer(vocabulary_words(names))
    result: dict[str, Any] = {"bench": "search_engines"}
    result.update(compare_segmenters([r.title + r.description for r in resources(20_000, catalogue)]))
    for size in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        docs = documents(size, analyzer)
        print(f"\n{size:,} resources: generated and segmented in {time.perf_counter() - start:.1f} s")
        with tempfile.TemporaryDirectory(prefix="search-engines-") as tmp:
            (Path(tmp) / "tantivy").mkdir()
            engines: list[Any] = [Tantivy(Path(tmp) / "tantivy"), Fts5(Path(tmp))]
            try:
                engines.append(Postgres(POSTGRES))
            except psycopg.OperationalError as exc:
                print(f"PostgreSQL skipped: {exc}")
            for engine in engines:
                start = time.perf_counter()
                engine.load(docs)
                build = time.perf_counter() - start
                print(f"{engine.name}: loaded in {build:.1f} s")
                worst = 0.0
                for label, text, filters in [
                    *QUERIES,
                    ("facet-only (数学, 三年级)", "", {"subject": "数学", "grade": "三年级"}),
                    ("deep page 50 of 学生", "学生", {}),
                ]:
                    terms = analyzer.query_terms(text)
                    page = 50 if label.startswith("deep") else 1
                    ids, total, _ = engine.search(terms, filters, page)
                    p50, p99 = timed(lambda e=engine, t=terms, f=filters, p=page: e.search(t, f, p), args.repeat)
                    worst = max(worst, p99)
                    print(f"  {label:34} {total:7,} matches  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
                key = engine.name.split()[0].lower()
                result[f"worst_p99_ms_{size // 1000}k_{key}"] = round(worst, 1)
                result[f"build_s_{size // 1000}k_{key}"] = round(build, 1)
                if isinstance(engine, Postgres):
                    engine.close()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

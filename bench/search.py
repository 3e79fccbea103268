"""Benchmark: search at city scale — 10,000 and 100,000 accepted resources, SQLite and PostgreSQL.

For each database: a fresh database migrated as the service does, the city catalogue of
bench/search_corpus.py (全学段, ~4,000 nodes) loaded, then 10,000 realistic accepted resource
versions (titles, keywords and descriptions generated from the catalogue and word lists) written
straight into the database (no chain), the index rebuilt from the database (index build time),
the query mix measured; then 90,000 more, rebuilt and measured again. Each query runs through
``SearchService.search`` as the API calls it: the change-log check, the index (BM25, facet
counts of seven facets), and the page's 20 rows read from the database.

The fixed mix: a single common term (学生, in ~85 % of all resources; 数学, ~25 %), multi-word
Chinese, English, facet-only browsing (a subject and grade; two subjects; a catalogue subtree),
text with multi-select facets, a deep page (page 400) and a page past the result window (page
10,000). Also measured: facet counting alone (the aggregations over every resource and over a
common term's matches), catching up 1,000 logged acceptances, and the growth 10k → 100k.

Latency is wall-clock time; beside it the CPU time the query cost this process (the database
server's share on PostgreSQL not included), which a busy shared machine does not inflate.

    python bench/search.py [--sizes 10000,100000] [--repeat 40] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpus import city_catalogue, resources  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from registry.core import migrations  # noqa: E402
from registry.core.db import make_engine, session_factory  # noqa: E402
from registry.crud import catalogue as catalogue_crud  # noqa: E402
from registry.models import ResourceVersion  # noqa: E402
from registry.search import SearchService  # noqa: E402
from registry.search.index import FACETS  # noqa: E402
from tests.utils.postgres import fresh_database  # noqa: E402
from tests.utils.search import NewVersion, seed_versions  # noqa: E402

Query = dict[str, Any]
MIX: list[tuple[str, Query]] = [
    ("common term 学生", {"text": "学生"}),
    ("common term 数学", {"text": "数学"}),
    ("multi-word 分数的初步认识", {"text": "分数的初步认识"}),
    ("multi-word 几分之一 课堂练习", {"text": "几分之一 课堂练习"}),
    ("multi-word 长方形和正方形的周长", {"text": "长方形和正方形的周长"}),
    ("English colours", {"text": "colours"}),
    ("English animals song", {"text": "animals song"}),
    ("facets 数学 + 三年级", {"filters": {"subject": ("数学",), "grade": ("三年级",)}}),
    ("facets 物理 or 化学, 初中", {"filters": {"subject": ("物理", "化学"), "stage": ("初中",)}}),
    ("subtree primary.math", {"nodes": ("primary.math",)}),
    ("text + multi-select 教学设计", {"text": "教学设计", "filters": {"subject": ("数学", "语文"), "resource_type": ("课件", "教学设计")}}),
    ("deep page 400 of 学生", {"text": "学生", "page": 400}),
    ("page 10,000 of 数学", {"text": "数学", "page": 10_000}),
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def seed(sessions: Any, count: int, catalogue: dict[str, Any], skip: int) -> float:
    """Write resources ``skip`` … ``count`` of the corpus; returns seconds."""
    start = time.perf_counter()
    batch: list[NewVersion] = []
    for i, resource in enumerate(resources(count, catalogue)):
        if i < skip:
            continue
        batch.append(
            NewVersion(
                resource.title,
                resource.node_id,
                resource.description,
                resource.keywords,
                resource.resource_type,
                resource.licence,
                resource.accepted_at,
            )
        )
        if len(batch) == 10_000:
            with sessions() as session:
                seed_versions(session, batch, log_changes=False)
                session.commit()
            batch = []
    if batch:
        with sessions() as session:
            seed_versions(session, batch, log_changes=False)
            session.commit()
    with sessions() as session:  # statistics, as autovacuum / a running database would have them
        session.execute(text("ANALYZE"))
        session.commit()
    return time.perf_counter() - start


def measure(service: SearchService, repeat: int) -> dict[str, Any]:
    per_query: dict[str, dict[str, float]] = {}
    every: list[float] = []
    every_cpu: list[float] = []  # this process's CPU time: what a query costs, whatever else the machine runs
    for label, query in MIX:
        page = query.get("page", 1)
        kwargs = {
            "text": query.get("text", ""),
            "filters": query.get("filters", {}),
            "nodes": query.get("nodes", ()),
            "offset": (page - 1) * 20,
            "limit": 20,
        }
        found = service.search(**kwargs)  # warm
        times, cpu = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            service.search(**kwargs)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        every.extend(times)
        every_cpu.extend(cpu)
        per_query[label] = {
            "total": found.total,
            "items": len(found.items),
            "p50": statistics.median(times),
            "p99": percentile(times, 0.99),
            "cpu_p50": statistics.median(cpu),
        }
    facet_times: dict[str, float] = {}
    index = service.index
    searcher = index._index.searcher()  # noqa: SLF001 — the aggregations alone, without the query's other work
    for label, words in (("facets over everything", ""), ("facets over 学生's matches", "学生")):
        query = index._combine(index._text_clauses(index.analyzer.query_terms(words)))  # noqa: SLF001
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            index._count_facets(searcher, query, FACETS)  # noqa: SLF001
            times.append((time.perf_counter() - start) * 1000)
        facet_times[label] = percentile(times, 0.99)
    return {
        "per_query": per_query,
        "p50": statistics.median(every),
        "p99": percentile(every, 0.99),
        "facets_p99": facet_times,
        "cpu_p50": statistics.median(every_cpu),
        "cpu_p99": percentile(every_cpu, 0.99),
    }


def catch_up_rate(sessions: Any, service: SearchService, catalogue: dict[str, Any], count: int = 1000) -> float:
    """Log ``count`` acceptances as the workflows do; seconds for the index to follow them."""
    with sessions() as session:
        seed_versions(
            session,
            [
                NewVersion(r.title, r.node_id, r.description, r.keywords, r.resource_type, r.licence, datetime.now(UTC))
                for r in resources(count, catalogue, seed=99)
            ],
        )
        session.commit()
    start = time.perf_counter()
    service.catch_up()
    return time.perf_counter() - start


def run(label: str, url: str, sizes: list[int], repeat: int, workdir: Path) -> dict[int, dict[str, Any]]:
    engine = make_engine(url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    catalogue = city_catalogue()
    with sessions() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue)
        session.commit()
    service = SearchService(workdir / f"search-{label}", sessions)
    service.open()
    results: dict[int, dict[str, Any]] = {}
    seeded = 0
    try:
        for size in sizes:
            seed_s = seed(sessions, size, catalogue, seeded)
            seeded = size
            start = time.perf_counter()
            indexed = service.rebuild()
            build_s = time.perf_counter() - start
            with sessions() as session:
                assert indexed == session.scalar(select(func.count()).select_from(ResourceVersion))
            measured = measure(service, repeat)
            results[size] = {"seed_s": seed_s, "build_s": build_s, **measured}
            print(
                f"\n{label}, {size:,} accepted resources: seeded in {seed_s:.1f} s, index built from the database in "
                f"{build_s:.1f} s ({size / build_s:,.0f} resources/s)"
            )
            for name, row in measured["per_query"].items():
                print(
                    f"  {name:34} {row['total']:7,} matches  p50 {row['p50']:6.1f} ms  p99 {row['p99']:6.1f} ms  "
                    f"(CPU p50 {row['cpu_p50']:5.1f} ms)"
                )
            for name, p99 in measured["facets_p99"].items():
                print(f"  {name:34} seven facets counted      p99 {p99:6.1f} ms")
            print(
                f"  whole mix: p50 {measured['p50']:.1f} ms, p99 {measured['p99']:.1f} ms; CPU per query p50 "
                f"{measured['cpu_p50']:.1f} ms, p99 {measured['cpu_p99']:.1f} ms   (load {os.getloadavg()[0]:.2f})"
            )
        follow_s = catch_up_rate(sessions, service, catalogue)
        print(f"  following the log: 1,000 acceptances applied in {follow_s:.2f} s")
        results[sizes[-1]]["follow_1000_s"] = follow_s
    finally:
        service.close()
        engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores (shared machine)")
    results: dict[str, dict[int, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        results["sqlite"] = run("sqlite", f"sqlite:///{workdir / 'registry.sqlite3'}", sizes, args.repeat, workdir)
        if not args.skip_postgres:
            url = stack.enter_context(fresh_database())
            results["postgres"] = run("postgres", url, sizes, args.repeat, workdir)
    small, large = sizes[0], sizes[-1]
    print()
    for db, by_size in results.items():
        growth = by_size[large]["p99"] / by_size[small]["p99"]
        print(
            f"{db}: p99 {by_size[small]['p99']:.1f} ms at {small:,} → {by_size[large]['p99']:.1f} ms at {large:,}: "
            f"×{growth:.2f} for ×{large / small:.0f} the resources ({'sublinear' if growth < large / small else 'NOT sublinear'})"
        )
    key = f"{large // 1000}k"
    result = {
        "bench": "search",
        f"p99_ms_{key}_sqlite": round(results["sqlite"][large]["p99"], 1),
        f"p99_ms_{key}_postgres": round(results["postgres"][large]["p99"], 1) if "postgres" in results else None,
        f"p99_ms_{small // 1000}k_sqlite": round(results["sqlite"][small]["p99"], 1),
        f"index_build_s_{key}": round(results["sqlite"][large]["build_s"], 1),
        f"index_build_s_{key}_postgres": round(results["postgres"][large]["build_s"], 1) if "postgres" in results else None,
        f"p50_ms_{key}_sqlite": round(results["sqlite"][large]["p50"], 1),
        f"facets_p99_ms_{key}": round(max(results["sqlite"][large]["facets_p99"].values()), 1),
        "growth_p99_sqlite": round(results["sqlite"][large]["p99"] / results["sqlite"][small]["p99"], 2),
        f"cpu_p99_ms_{key}_sqlite": round(results["sqlite"][large]["cpu_p99"], 1),
        f"cpu_p99_ms_{key}_postgres": round(results["postgres"][large]["cpu_p99"], 1) if "postgres" in results else None,
        "load_avg_1m": round(load[0], 2),
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

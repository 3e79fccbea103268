"""Benchmark: the public verification page of the web application, as a parent opens it from a
certificate's QR code.

Starts ``python -m registry`` as ``make run`` does (embedded chain, the built web application),
issues one inclusion certificate through the API, then in headless Chromium (Debian's, driven by
Playwright):

- the JavaScript and CSS the page loads, as sent (gzip), against the whole application's
  JavaScript and CSS (gzip) — what route-level splitting and on-demand imports save;
- the time from opening the QR URL to a rendered verification result, for a warm server, each run
  in a fresh browser context (empty cache, as a phone that never saw the site), median of 20;
  side by side with the JSON verification's own round trip (the yardstick of the server's part).

``dashboard_query_ms_100k``: the 数据驾驶舱's aggregate queries (everything GET /dashboard computes:
every breakdown, turnaround percentiles, credentials, chain jobs) over 100,000 resource versions with
their decisions and certificates, written in bulk into a temporary SQLite database (the default),
median of 5; the same on PostgreSQL side by side when one is reachable.

    python bench/web.py [--runs 20] [--dashboard-versions 100000] [--dashboard-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_server import start_server, stop_server  # noqa: E402
from search_corpus import city_catalogue  # noqa: E402

from ledger_service.chain import Signer, dev_signer, free_port  # noqa: E402
from registry.core import migrations  # noqa: E402
from registry.core.db import make_engine, session_factory  # noqa: E402
from registry.crud import catalogue as catalogue_crud  # noqa: E402
from registry.crud import dashboard as dashboard_crud  # noqa: E402
from tests.utils.dashboard import seed_dashboard  # noqa: E402
from wallet_cli._registry import RegistryClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
RUBRIC = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def wait_for(check: Any, what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)
    return value


def issue_certificate(base: str) -> int:
    """An administrator, a teacher and two reviewers; one resource submitted, reviewed, accepted."""
    http = httpx.Client(base_url=base, timeout=120)
    admin = RegistryClient(http, dev_signer(1))
    admin.sign_in()
    teacher_key, reviewer_keys = Signer(os.urandom(32)), [Signer(os.urandom(32)) for _ in range(2)]
    admin.request("PUT", f"/users/{teacher_key.address}", json={"roles": ["teacher"]})
    for key in reviewer_keys:
        admin.request("PUT", f"/users/{key.address}", json={"roles": ["reviewer"]})
    wait_for(lambda: all(admin.request("GET", f"/users/{k.address}")["reviewer_on_chain"] for k in reviewer_keys), "reviewer roles")
    teacher = RegistryClient(http, teacher_key)
    teacher.sign_in()
    files = {"教学设计.txt": f"认识分数：教学设计。教学目标、重点难点、教学过程。{uuid.uuid4()}".encode() * 20}
    metadata = {
        "title": "认识分数（几分之一）",
        "description": "三年级上册第八单元。",
        "keywords": ["分数"],
        "resource_type": "教学设计",
        "catalogue_node": "primary.math.g3.pep.vol1.c8.s1",
        "licence": "CC-BY-4.0",
        "authors": [{"address": teacher_key.address, "share": 10_000}],
        "parts": [{"name": "教学设计.txt", "role": "教学设计"}],
    }
    version = teacher.submit(files, metadata)
    path = f"/resources/{version['resource_id']}/versions/1"
    for key in reviewer_keys:
        reviewer = RegistryClient(http, key)
        reviewer.sign_in()
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": RUBRIC, "recommendation": "accept"})
    admin.request("POST", path + "/decision", json={"decision": "accept"})
    number = wait_for(lambda: teacher.request("GET", path)["certificates"][0]["id"], "the certificate on chain")
    wait_for(lambda: http.get(f"/certificates/{number}/verify").json()["outcome"] == "valid", "a valid verification")
    return int(number)


def whole_app_gz_kb() -> float:
    return sum(p.stat().st_size for p in (DIST / "assets").glob("*.gz") if p.name.endswith((".js.gz", ".css.gz"))) / 1024


def dashboard_query_ms(url: str, versions: int, repeat: int = 5) -> tuple[float, float, float]:
    """Seconds to write ``versions`` in bulk, and the median milliseconds of the dashboard's queries over
    them: wall time, and this process's CPU time (all of SQLite's work, whatever else the machine runs)."""
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            catalogue_crud.load_catalogue(session=session, data=city_catalogue())
            session.commit()
        start = time.perf_counter()
        with sessions() as session:
            seed_dashboard(session, versions)
            session.commit()
            session.execute(text("ANALYZE"))  # statistics, as a running database keeps them
            session.commit()
        seeded = time.perf_counter() - start
        times, cpu = [], []
        for _ in range(repeat + 1):  # the first warms the caches
            with sessions() as session:
                start, start_cpu = time.perf_counter(), time.process_time()
                groups = dashboard_crud.group_stats(session)
                for dimension in ("total", "month", "institution"):
                    dashboard_crud.credential_stats(session, dimension)
                dashboard_crud.chain_counts(session)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
        assert groups["total"][0].submissions == versions, groups["total"]
        return seeded, statistics.median(times[1:]), statistics.median(cpu[1:])
    finally:
        engine.dispose()


def dashboard_bench(versions: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        seeded, sqlite_ms, sqlite_cpu = dashboard_query_ms(f"sqlite:///{Path(tmp) / 'dashboard.sqlite3'}", versions)
    print(
        f"dashboard over {versions:,} resource versions (SQLite, written in {seeded:.0f} s): every breakdown, percentiles, "
        f"credentials and chain jobs in median {sqlite_ms:.0f} ms ({sqlite_cpu:.0f} ms of CPU; load {os.getloadavg()[0]:.2f})"
    )
    try:
        from sqlalchemy import create_engine

        from tests.utils.postgres import server_url

        probe = create_engine(server_url())
        with probe.connect():
            pass
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: the SQLite figure stands alone
        print(f"  PostgreSQL not reachable ({type(exc).__name__}): no side-by-side figure")
        return sqlite_ms, sqlite_cpu
    import pytest

    from tests.utils.postgres import fresh_database

    try:
        with fresh_database() as url:
            seeded, postgres_ms, _ = dashboard_query_ms(url, versions)
        print(
            f"  the same on PostgreSQL (written in {seeded:.0f} s): median {postgres_ms:.0f} ms; "
            f"SQLite takes {sqlite_ms / postgres_ms:.1f}× PostgreSQL's time"
        )
    except pytest.skip.Exception as skipped:
        print(f"  PostgreSQL: {skipped}")
    return sqlite_ms, sqlite_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dashboard-versions", type=int, default=100_000)
    parser.add_argument("--dashboard-only", action="store_true", help="only the dashboard's query (no server, no browser)")
    args = parser.parse_args()
    if args.dashboard_only:
        dashboard_ms, dashboard_cpu = dashboard_bench(args.dashboard_versions)
        size = f"{args.dashboard_versions // 1000}k"
        print(
            "RESULT "
            + json.dumps(
                {
                    "bench": "web",
                    "verify_page_js_gz_kb": None,
                    "verify_render_ms": None,
                    f"dashboard_query_ms_{size}": round(dashboard_ms, 1),
                    f"dashboard_query_cpu_ms_{size}": round(dashboard_cpu, 1),
                }
            )
        )
        return
    if not (DIST / "index.html").is_file():
        raise SystemExit("the web application is not built: make web")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data_dir, port)
        try:
            number = issue_certificate(base)
            url = f"{base}/certificates/{number}/verify"  # what the QR code holds
            with httpx.Client(base_url=base, timeout=30) as http:
                for _ in range(5):
                    http.get(f"/certificates/{number}/verify")
                json_ms = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    assert http.get(f"/certificates/{number}/verify").json()["outcome"] == "valid"
                    json_ms.append((time.perf_counter() - start) * 1000)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
                loaded: dict[str, int] = {}
                render_ms = []
                for run in range(args.runs + 2):  # two warm-up loads of the server's files
                    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
                    page = context.new_page()
                    if run == 0:
                        page.on(
                            "response",
                            lambda r: (
                                loaded.__setitem__(r.url, int(r.headers.get("content-length", "0")))
                                if r.request.resource_type in ("script", "stylesheet")
                                else None
                            ),
                        )
                    start = time.perf_counter()
                    page.goto(url)
                    page.wait_for_selector("[data-testid=outcome][data-outcome=valid]")
                    elapsed = (time.perf_counter() - start) * 1000
                    if run >= 2:
                        render_ms.append(elapsed)
                    context.close()
                browser.close()
        finally:
            stop_server(server)

    page_kb = sum(loaded.values()) / 1024
    app_kb = whole_app_gz_kb()
    render, json_median = statistics.median(render_ms), statistics.median(json_ms)
    print(
        f"verification page: {len(loaded)} JS/CSS files, {page_kb:.1f} KB gzip (target ≤ 250 KB); "
        f"the whole application: {app_kb:.1f} KB gzip; the page loads {page_kb / app_kb:.0%} of it"
    )
    print(
        f"QR URL → rendered result, fresh browser context, warm server: median {render:.0f} ms, "
        f"p90 {statistics.quantiles(render_ms, n=10)[-1]:.0f} ms over {len(render_ms)} runs"
    )
    print(f"the JSON verification alone: median {json_median:.1f} ms; the page costs {render / json_median:.0f}× the JSON round trip")
    dashboard_ms, dashboard_cpu = dashboard_bench(args.dashboard_versions)
    size = f"{args.dashboard_versions // 1000}k"
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": "web",
                "verify_page_js_gz_kb": round(page_kb, 1),
                "verify_render_ms": round(render, 1),
                f"dashboard_query_ms_{size}": round(dashboard_ms, 1),
                f"dashboard_query_cpu_ms_{size}": round(dashboard_cpu, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

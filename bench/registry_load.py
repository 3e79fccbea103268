"""Benchmark: the registry under concurrent clients on loopback, on SQLite and on PostgreSQL.

For each database: start ``python -m registry`` as ``make run`` does (embedded chain, 1 s blocks)
on a fresh data directory; seed it through the HTTP API — an administrator, teachers and reviewers
signing in with their keys, small resources submitted by concurrent teachers (measured:
submissions/s), some reviewed and accepted so their inclusion certificates are issued on chain;
then, once the chain worker has recorded everything (the steady state) and each URL was fetched
once, ``wrk`` (Debian's, C, ``--latency``) drives each endpoint with N connections at once:

- ``GET /health`` — the bare cost of a request, the yardstick;
- ``GET /certificates/{id}/verify`` — checked against the chain (ids rotate over every certificate);
- ``GET /search`` — full text and facets (queries rotate over Chinese and English words).

Prints p50/p99 latency and requests/s of each, and verification's throughput against /health's
(the same run, the same machine). The last line is the database ``make run`` uses (SQLite); the
PostgreSQL figures come on the lines before.

    python bench/registry_load.py [--connections 50] [--duration 10] [--submissions 200] [--certificates 40]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_server import start_server, stop_server  # noqa: E402

from ledger_service.chain import Signer, dev_signer, free_port  # noqa: E402
from wallet_cli._registry import RegistryClient  # noqa: E402

POSTGRES = os.environ.get("EDULEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TOPICS = [
    ("认识分数", "primary.math.g3.pep.vol1.c8.s1"),
    ("分数的简单计算", "primary.math.g3.pep.vol1.c8.s3"),
    ("认识钟表", "primary.math.g1.pep.vol1.c7"),
    ("20以内的进位加法", "primary.math.g1.pep.vol1.c8"),
    ("长方形和正方形的周长", "primary.math.g3.pep.vol1.c7.s2"),
    ("Colours and crayons", "primary.english.g3.pep.vol1.u2"),
    ("Let's eat: food words", "primary.english.g3.pep.vol1.u5"),
    ("认识人民币", "primary.math.g1.pep.vol2.c5"),
]
QUERIES = ["分数", "认识", "钟表", "周长", "colour", "food", "人民币", "加法", "认识分数", "crayon"]
RUBRIC = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}


def wait_for(check: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def seed(base: str, submissions: int, certificates: int, teachers: int = 8) -> tuple[float, list[int]]:
    """People, ``submissions`` small resources from concurrent teachers (returns submissions/s), and
    ``certificates`` of them accepted; returns the certificate ids once they are on chain."""
    http = httpx.Client(base_url=base, timeout=120)
    admin = RegistryClient(http, dev_signer(1))
    admin.sign_in()
    teacher_keys = [Signer(os.urandom(32)) for _ in range(teachers)]
    reviewer_keys = [Signer(os.urandom(32)) for _ in range(2)]
    for key in teacher_keys:
        admin.request("PUT", f"/users/{key.address}", json={"roles": ["teacher"]})
    for key in reviewer_keys:
        admin.request("PUT", f"/users/{key.address}", json={"roles": ["reviewer"]})
    wait_for(lambda: all(admin.request("GET", f"/users/{k.address}")["reviewer_on_chain"] for k in reviewer_keys), "reviewer roles")
    reviewers = [RegistryClient(http, key) for key in reviewer_keys]
    for reviewer in reviewers:
        reviewer.sign_in()

    def submit_all(key: Signer, count: int, offset: int) -> list[dict[str, Any]]:
        client = RegistryClient(httpx.Client(base_url=base, timeout=120), key)
        client.sign_in()
        made = []
        for i in range(count):
            title, node = TOPICS[(offset + i) % len(TOPICS)]
            body = f"{title}：教学设计。教学目标、重点难点、教学过程与课后练习。编号 {uuid.uuid4()}".encode() * 20
            files = {"教学设计.txt": body}
            metadata = {
                "title": f"{title}（第{offset + i}课）",
                "description": f"{title}的教学设计，适合课堂使用。",
                "keywords": [title[:8]],
                "resource_type": "教学设计",
                "catalogue_node": node,
                "licence": "CC-BY-4.0",
                "authors": [{"address": key.address, "share": 10_000}],
                "parts": [{"name": "教学设计.txt", "role": "教学设计"}],
            }
            made.append(client.submit(files, metadata))
        client.http.close()
        return made

    per_teacher = submissions // teachers
    start = time.perf_counter()
    with ThreadPoolExecutor(teachers) as pool:
        versions = [
            v for part in pool.map(submit_all, teacher_keys, [per_teacher] * teachers, range(0, submissions, per_teacher)) for v in part
        ]
    submit_per_s = len(versions) / (time.perf_counter() - start)
    for version in versions[:certificates]:
        path = f"/resources/{version['resource_id']}/versions/1"
        for reviewer in reviewers:
            reviewer.request("POST", path + "/claim")
            reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": RUBRIC, "recommendation": "accept"})
        admin.request("POST", path + "/decision", json={"decision": "accept"})

    def issued() -> list[int]:
        ids = []
        for version in versions[:certificates]:
            certificates_ = admin.request("GET", f"/resources/{version['resource_id']}/versions/1")["certificates"]
            if not certificates_ or certificates_[0]["status"] != "issued":
                return []
            ids.append(int(certificates_[0]["id"]))
        return ids

    wait_for(lambda: bool(issued()), "the certificates to be issued on chain")
    ids = issued()
    # Measure the steady state: the chain worker has recorded everything the seeding decided.
    wait_for(lambda: http.get("/health").json()["open_chain_jobs"] == 0, "the chain worker to finish", timeout=300)
    http.close()
    return submit_per_s, ids


_LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept"] = "application/json"})
end
"""


def wrk(base: str, paths: list[str], connections: int, duration: int, workdir: Path) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=60) as warm:  # each URL once: a running service has seen them before
        for path in paths:
            warm.get(path, headers={"Accept": "application/json"}).raise_for_status()
    script = workdir / f"paths-{uuid.uuid4().hex}.lua"
    script.write_text(_LUA % ", ".join(json.dumps(p, ensure_ascii=False) for p in paths), encoding="utf-8")
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load, the figures are void:\n{out}")

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not match:
            raise SystemExit(f"cannot read the {label}th percentile from wrk:\n{out}")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    return {"p50_ms": millis("50"), "p99_ms": millis("99"), "rps": rps}


def run(label: str, database_url: str | None, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    data_dir = workdir / f"data-{label}"
    data_dir.mkdir()
    port = free_port()
    server = start_server(data_dir, port, database_url)
    base = f"http://127.0.0.1:{port}"
    try:
        submit_per_s, certificates = seed(base, args.submissions, args.certificates)
        health = wrk(base, ["/health"], args.connections, args.duration, workdir)
        verify = wrk(base, [f"/certificates/{i}/verify" for i in certificates], args.connections, args.duration, workdir)
        search = wrk(base, [f"/search?q={quote(q)}" for q in QUERIES], args.connections, args.duration, workdir)
    finally:
        stop_server(server)
    figures = {"submit_per_s": submit_per_s, "health": health, "verify": verify, "search": search}
    print(f"[{label}] submissions: {args.submissions} small files from 8 concurrent teachers = {submit_per_s:,.1f}/s")
    for name in ("health", "verify", "search"):
        f = figures[name]
        print(
            f"[{label}] {name:7s} {args.connections} connections: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
            f"{f['rps']:,.0f} requests/s"
        )
    ratio = verify["rps"] / health["rps"]
    print(
        f"[{label}] certificate verification runs at {ratio:.2f}x the throughput of a bare /health "
        f"(p99 {verify['p99_ms']:.1f} ms; target < 50 ms)"
    )
    figures["verify_vs_health"] = ratio
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--certificates", type=int, default=40)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package wrk; `make bench` installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_postgres:
            from sqlalchemy import create_engine, text

            admin_url = "postgresql+psycopg://" + POSTGRES.split("://", 1)[1]
            name = f"eduledger_bench_{uuid.uuid4().hex[:10]}"
            engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run("postgresql", admin_url.rsplit("/", 1)[0] + "/" + name, args, workdir)
            finally:
                with engine.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                engine.dispose()
        sqlite = run("sqlite", None, args, workdir)
    result = {
        "bench": "registry_load",
        "database": "sqlite",
        "verify_p99_ms": round(sqlite["verify"]["p99_ms"], 1),
        "verify_p50_ms": round(sqlite["verify"]["p50_ms"], 1),
        "verify_rps": round(sqlite["verify"]["rps"]),
        "search_p99_ms": round(sqlite["search"]["p99_ms"], 1),
        "search_rps": round(sqlite["search"]["rps"]),
        "submit_per_s": round(sqlite["submit_per_s"], 1),
        "health_rps": round(sqlite["health"]["rps"]),
        "verify_vs_health": round(sqlite["verify_vs_health"], 2),
        "connections": args.connections,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # quiet worker threads at interpreter exit
    main()

"""Benchmark: a selection programme at scale — ranking and selecting, and building the national
package, against simply reading the nominees, at 10,000 and 20,000 nominees.

One database (SQLite file by default; ``--database-url`` for PostgreSQL) migrated as the registry
does; per size: accepted versions from 100 schools in the sample catalogue's 33 chapters, a
programme (total quota 200, 10 per chapter, 5 per school, 50 recommended) with a panel of 50
reviewers, each nominee scored by 5 of them. Rows are inserted in bulk (set-up, not measured).
Then, side by side in the same run:

(a) read: load every nominee of the programme from the database (the floor any ranking pays);
(b) select: ``publish`` (rank per bucket under the quotas, the proposed list and its events) and,
    past the window, ``select_nominees`` (入选 and 推荐 certificates queued, decision events);
(c) export: ``export_package`` for the 50 recommendations (each with ~256 KiB of real content in a
    local blockstore, its certificates as credentials), signed — the chain's part (issuance) is
    simulated by filling in certificate numbers and credential documents, as the worker would.

The growth exponent is log(select time ratio) / log(size ratio): 1 is linear, 2 quadratic.

    python bench/programme_scale.py [--sizes 10000 20000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from ledger_service.content import LocalContentStore  # noqa: E402
from ledger_service.credentials import Ed25519KeyPair  # noqa: E402
from registry.chain.bureau import Bureau  # noqa: E402
from registry.core import migrations  # noqa: E402
from registry.core.db import make_engine, session_factory  # noqa: E402
from registry.crud.catalogue import SAMPLE_CATALOGUE, load_catalogue, read_catalogue_file  # noqa: E402
from registry.models import (  # noqa: E402
    Certificate,
    Institution,
    Nominee,
    PanelScore,
    Programme,
    Recommendation,
    Resource,
    ResourceVersion,
)
from registry.workflows import packages  # noqa: E402
from registry.workflows import programmes as workflow  # noqa: E402

SCHOOLS = 100
PANEL = 50
SCORES_EACH = 5
RUBRIC = [("科学性", 50), ("创新性", 50)]


def _address(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()[:40]


def set_up(session: Session, size: int, tag: str, now: datetime) -> int:
    """A district, schools, ``size`` accepted versions nominated to a new programme and scored; returns its id."""
    district = "0x" + hashlib.sha256(f"district-{tag}".encode()).hexdigest()
    session.add(Institution(id=district, name=f"区教育局 {tag}", kind="district", admin_address=_address("admin")))
    schools = ["0x" + hashlib.sha256(f"school-{tag}-{i}".encode()).hexdigest() for i in range(SCHOOLS)]
    session.execute(
        insert(Institution),
        [
            {"id": s, "name": f"学校 {i}", "kind": "school", "parent_id": district, "admin_address": _address("admin"), "created_at": now}
            for i, s in enumerate(schools)
        ],
    )
    chapters = _chapters()
    panel = [_address(f"reviewer-{tag}-{i}") for i in range(PANEL)]
    programme = workflow.create_programme(
        session,
        workflow.ProgrammeSpec(
            name=f"规模测试 {tag}",
            year=2026,
            level="district",
            institution_id=district,
            quota_total=200,
            quota_per_school=None,
            quota_per_teacher=None,
            quota_per_node=10,
            node_level="chapter",
            nomination_closes_at=now + timedelta(days=10),
            notice_days=7,
            panel=panel,
            rubric=[workflow.Criterion(n, m) for n, m in RUBRIC],
            min_scores=SCORES_EACH,
            recommend_count=50,
        ),
        actor=_address("admin"),
        now=now,
    )
    session.flush()
    first_resource = (session.scalar(select(Resource.id).order_by(Resource.id.desc()).limit(1)) or 0) + 1
    resources, versions, nominees, scores = [], [], [], []
    for i in range(size):
        rid = first_resource + i
        teacher = _address(f"teacher-{tag}-{i % (SCHOOLS * 8)}")
        node = chapters[i % len(chapters)]
        resources.append({"id": rid, "owner": teacher, "created_at": now})
        versions.append(
            {
                "id": rid,
                "resource_id": rid,
                "number": 1,
                "author": teacher,
                "institution_id": schools[i % SCHOOLS],
                "title": f"教学设计 {tag}-{i}",
                "description": "规模测试",
                "keywords": ["测试"],
                "resource_type": "教学设计",
                "catalogue_node_id": node,
                "licence": "CC-BY-4.0",
                "authors": [{"address": teacher, "share": 10_000}],
                "parts": [],
                "root_cid": "bafkqaaa",
                "content_hash": "0x" + hashlib.sha256(f"{tag}-{i}".encode()).hexdigest(),
                "metadata_hash": "0x" + "00" * 32,
                "signature": "0x" + "00" * 65,
                "nonce": rid,
                "deadline": 2**40,
                "state": "ACCEPTED",
                "round": 1,
                "lock_version": 1,
                "near_duplicates": [],
                "created_at": now,
                "updated_at": now,
                "accepted_at": now,
                "chain_status": "mined",
                "chain_resource_id": rid,
            }
        )
    session.execute(insert(Resource), resources)
    session.execute(insert(ResourceVersion), versions)
    first_nominee = (session.scalar(select(Nominee.id).order_by(Nominee.id.desc()).limit(1)) or 0) + 1
    for i, version in enumerate(versions):
        nominee_id = first_nominee + i
        nominees.append(
            {
                "id": nominee_id,
                "programme_id": programme.id,
                "resource_id": version["resource_id"],
                "version_id": version["id"],
                "teacher": version["author"],
                "school_id": version["institution_id"],
                "bucket": workflow.bucket_of(programme, version["catalogue_node_id"]),
                "route": "self",
                "nominated_by": version["author"],
                "status": "nominated",
                "created_at": now,
            }
        )
        for k in range(SCORES_EACH):
            science = (i * 7919 + k * 104729) % 51
            scores.append(
                {
                    "programme_id": programme.id,
                    "nominee_id": nominee_id,
                    "reviewer": panel[(i + k * 10) % PANEL],
                    "scores": {"科学性": science, "创新性": 40},
                    "total": science + 40,
                    "created_at": now,
                }
            )
    session.execute(insert(Nominee), nominees)
    for start in range(0, len(scores), 20_000):
        session.execute(insert(PanelScore), scores[start : start + 20_000])
    session.commit()
    return programme.id


def _chapters() -> list[str]:
    found: list[str] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        for child in node.get("children", []):
            node_id = f"{prefix}.{child['key']}" if prefix else child["key"]
            (found.append(node_id) if depth == 5 else walk(child, node_id, depth + 1))

    walk(read_catalogue_file(SAMPLE_CATALOGUE), "", 0)
    return found


def simulate_chain(session: Session, programme_id: int, store: LocalContentStore, tag: str) -> None:
    """What the chain worker would have done for the recommended resources: content, certificate numbers, credentials."""
    recommended = set(session.scalars(select(Recommendation.version_id).where(Recommendation.programme_id == programme_id)))
    certificates = list(session.scalars(select(Certificate).where(Certificate.programme_id == programme_id)))
    number = session.scalar(select(Certificate.chain_certificate_id).order_by(Certificate.chain_certificate_id.desc()).limit(1)) or 0
    for certificate in certificates:
        number += 1
        certificate.chain_certificate_id, certificate.status = number, "issued"
        certificate.credential = {"id": f"urn:eduledger:certificate:31337:{number}", "type": ["VerifiableCredential"], "proof": {}}
    for version_id in recommended:
        content = hashlib.sha256(f"{tag}-{version_id}".encode()).digest() * 8192  # 256 KiB
        root = store.add([content], pin=True)
        session.execute(
            update(ResourceVersion)
            .where(ResourceVersion.id == version_id)
            .values(root_cid=str(root.cid), content_hash="0x" + root.cid.digest.hex())
        )
    session.commit()


def run(database_url: str, sizes: list[int], workdir: Path) -> dict[str, Any]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        load_catalogue(session=session, data=read_catalogue_file(SAMPLE_CATALOGUE))
        session.commit()
    store = LocalContentStore(workdir / "blocks")
    key = Ed25519KeyPair.generate()
    bureau = Bureau(b"\x01" * 32, "市级教育资源平台", "city", None, issues_certificates=True, signing_key=key)
    ledger = SimpleNamespace(
        chain_id=31337,
        contracts={
            name: SimpleNamespace(address=_address(name))
            for name in ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry", "CredentialAnchor")
        },
    )
    issuing = SimpleNamespace(
        list_url=lambda list_id: f"http://127.0.0.1/status-lists/{list_id}", did_resolver=lambda *_: lambda did: {"id": did}
    )  # the stand-in credentials name no did:web issuer
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        now = datetime.now(UTC)
        with sessions() as session:
            started = time.perf_counter()
            pid = set_up(session, size, f"n{size}-{os.getpid()}", now)
            setup_s = time.perf_counter() - started
        read_s = math.inf
        for _ in range(3):  # the best of three: the first pays for warming caches up
            with sessions() as session:
                started = time.perf_counter()
                read = list(session.scalars(select(Nominee).where(Nominee.programme_id == pid)))
                read_s = min(read_s, time.perf_counter() - started)
                assert len(read) == size
        with sessions() as session:
            started = time.perf_counter()
            programme = workflow.lock_programme(session, pid)
            workflow.publish(session, programme, actor="bench", now=now + timedelta(days=11))
            session.commit()
            programme = workflow.lock_programme(session, pid)
            selected = workflow.select_nominees(session, programme, actor="bench", now=now + timedelta(days=19))
            session.commit()
            select_s = time.perf_counter() - started
        with sessions() as session:
            simulate_chain(session, pid, store, f"n{size}")
        with sessions() as session:
            started = time.perf_counter()
            programme = session.get_one(Programme, pid)
            data = packages.export_package(
                session,
                programme,
                store=store,
                bureau=bureau,
                ledger=ledger,  # type: ignore[arg-type]
                issuing=issuing,
            )  # type: ignore[arg-type]
            export_s = time.perf_counter() - started
        results[size] = {
            "setup_s": setup_s,
            "read_s": read_s,
            "select_s": select_s,
            "export_s": export_s,
            "selected": len(selected),
            "package_bytes": len(data),
        }
        print(
            f"{size:>7,} nominees: read {read_s:7.3f} s | rank+select {select_s:7.3f} s ({select_s / read_s:6.1f}x read) | "
            f"export {export_s:6.3f} s ({len(data) / 1e6:.1f} MB, {len(selected)} selected) | set-up {setup_s:.1f} s",
            flush=True,
        )
    engine.dispose()
    small, large = sizes[0], sizes[-1]
    exponent = math.log(results[large]["select_s"] / results[small]["select_s"]) / math.log(large / small) if large != small else 1.0
    print(
        f"growth {small:,} -> {large:,}: rank+select x{results[large]['select_s'] / results[small]['select_s']:.2f}, "
        f"read x{results[large]['read_s'] / results[small]['read_s']:.2f} (size x{large / small:.1f}); exponent {exponent:.2f}"
    )
    return {
        "bench": "programme_scale",
        "nominees": small,
        "select_s": round(results[small]["select_s"], 3),
        "export_s": round(results[small]["export_s"], 3),
        "ratio_to_read": round(results[small]["select_s"] / results[small]["read_s"], 2),
        "growth_exponent": round(exponent, 2),
        "large_nominees": large,
        "large_select_s": round(results[large]["select_s"], 3),
        "database": database_url.split(":", 1)[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="programme-scale-") as folder:
        workdir = Path(folder)
        url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        result = run(url, args.sizes, workdir)
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

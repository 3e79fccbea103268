"""``python -m registry reindex``: the index rebuilt from the database, with progress, one line on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from registry.core import migrations
from registry.core.db import make_engine, session_factory
from registry.crud import catalogue as catalogue_crud
from registry.search import SearchService
from tests.utils.search import NewVersion, seed_versions

ROOT = Path(__file__).resolve().parents[2]


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "EDULEDGER_DATA_DIR": str(data_dir), "COLUMNS": "120", **env}
    environment.pop("EDULEDGER_DATABASE_URL", None) if "EDULEDGER_DATABASE_URL" not in env else None
    return subprocess.run([sys.executable, "-m", "registry", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_reindex_rebuilds_from_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'registry.sqlite3').resolve()}")
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE))
        seed_versions(
            session, [NewVersion(f"认识钟表 第{i}课时", "primary.math.g1.pep.vol1.c7") for i in range(1500)], log_changes=False
        )  # not logged: only a rebuild finds them
        session.commit()
    done = run(tmp_path, "reindex")
    assert done.returncode == 0, done.stderr
    assert "search index rebuilt: 1,500 accepted versions" in done.stderr
    assert "indexing accepted versions" in done.stderr and "1500/1500" in done.stderr, "Rich progress"
    service = SearchService(tmp_path / "search", sessions)
    service.open()
    assert service.index.document_count() == 1500
    assert service.search(text="钟表", filters={}, nodes=(), offset=0, limit=5).total == 1500
    service.close()
    engine.dispose()


def test_reindex_says_in_one_line_what_is_wrong(tmp_path: Path) -> None:
    unreachable = run(tmp_path, "reindex", EDULEDGER_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 1
    assert unreachable.stderr.strip().splitlines()[-1].startswith("DatabaseError: cannot use the database:")
    unknown = run(tmp_path, "reindx")
    assert unknown.returncode == 2 and unknown.stderr.strip() == "usage: python -m registry [reindex]"

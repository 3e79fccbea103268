"""A database (SQLite, and PostgreSQL where one runs) with the sample catalogue, and the search
service over it: the index under the test's own directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry.core import migrations
from registry.core.db import make_engine, session_factory
from registry.crud import catalogue as catalogue_crud
from registry.search import SearchService
from tests.utils.postgres import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        engine = make_engine(url)
    else:
        with fresh_database() as url:
            engine = make_engine(url)
            yield from _migrated(engine)
            return
    yield from _migrated(engine)


def _migrated(engine: Engine) -> Iterator[sessionmaker[Session]]:
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE))
        session.commit()
    try:
        yield sessions
    finally:
        engine.dispose()


@pytest.fixture
def service(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[SearchService]:
    search = SearchService(tmp_path / "search", sessions)
    search.open()
    try:
        yield search
    finally:
        search.close()

"""A database (SQLite, and PostgreSQL where one runs) with the sample catalogue, and the search
service over it: the index under the test's own directory."""

from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def _catalogued_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated and holding the sample catalogue, made once; each test works on a copy."""
    path = tmp_path_factory.mktemp("catalogued") / "registry.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    _catalogue(engine)
    engine.dispose()  # the last connection closed: everything is in the file, no journal beside it
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(request.getfixturevalue("_catalogued_sqlite"), path)
        yield from _serving(make_engine(f"sqlite:///{path}"))
    else:
        with fresh_database() as url:
            engine = make_engine(url)
            _catalogue(engine)
            yield from _serving(engine)


def _catalogue(engine: Engine) -> None:
    migrations.upgrade(engine)
    with session_factory(engine)() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE))
        session.commit()


def _serving(engine: Engine) -> Iterator[sessionmaker[Session]]:
    try:
        yield session_factory(engine)
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

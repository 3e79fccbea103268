"""The PostgreSQL the suite runs against: EDULEDGER_TEST_POSTGRES_URL, by default the machine's own.

Each test gets a fresh database and drops it afterwards. Without a server the tests skip with
the reason; with EDULEDGER_REQUIRE_POSTGRES=1 (as `.ci/run` sets) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    url = os.environ.get("EDULEDGER_TEST_POSTGRES_URL", DEFAULT_URL)
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create a throw-away database on the test server; yields its URL."""
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    name = f"eduledger_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {server_url()}: {exc.orig}"
        if os.environ.get("EDULEDGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield server_url().rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

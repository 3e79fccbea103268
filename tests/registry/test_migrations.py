"""The Alembic migrations create exactly the models' schema, on SQLite and PostgreSQL, and the
service migrates on start (twice is a no-op)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from registry.core import migrations
from registry.core.db import make_engine
from registry.models import Base


def test_the_migrations_make_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert migrations.current_revision(engine) is None
    migrations.upgrade(engine)
    migrations.upgrade(engine)  # a second start finds nothing to do
    assert migrations.current_revision(engine) == migrations.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert differences == [], "models changed without a migration (alembic revision --autogenerate)"
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()

"""``python -m registry reindex``: rebuild the search index from the database, with progress.

Safe while the service runs: the new index is built beside the one in use and switched in with
one rename; the running service notices and opens it (changes made meanwhile are caught up
from the change log).
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from ..core import migrations
from ..core.config import Settings
from ..core.db import make_engine, ping, session_factory
from .service import SearchService

__all__ = ["reindex"]


def reindex(settings: Settings, console: Console | None = None) -> int:
    """Rebuild the index under ``DATA_DIR/search``; returns the exit code."""
    console = console or Console(stderr=True)
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.SQLALCHEMY_URL)
    try:
        ping(engine)
        migrations.upgrade(engine)
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        console.print(f"[red]DatabaseError[/red]: cannot use the database: {reason}", soft_wrap=True)
        engine.dispose()
        return 1
    service = SearchService(settings.DATA_DIR / "search", session_factory(engine))
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("indexing accepted versions"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("reindex", total=None)
            count = service.rebuild(lambda done, total: progress.update(task, completed=done, total=total))
    finally:
        service.close()
        engine.dispose()
    console.print(
        f"search index rebuilt: {count:,} accepted versions in {time.perf_counter() - started:.1f} s ({settings.DATA_DIR / 'search'})"
    )
    return 0

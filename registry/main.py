"""Builds the FastAPI application; the chain and database open in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from ledger_service.chain import Ledger
from ledger_service.content import KuboContentStore, LocalContentStore

from .api.errors import install_error_handlers
from .api.main import api_router
from .core.config import Settings
from .core.db import make_engine, ping


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _open_content_store(settings: Settings) -> LocalContentStore | KuboContentStore:
    if settings.IPFS_API:
        return KuboContentStore(settings.IPFS_API, max_size=settings.MAX_UPLOAD_SIZE)
    return LocalContentStore(settings.DATA_DIR / "content", max_size=settings.MAX_UPLOAD_SIZE)


def create_app(settings: Settings | None = None, *, ledger: Ledger | None = None) -> FastAPI:
    """The app. ``ledger`` lets a caller (tests) share an open chain connection it owns."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.SQLALCHEMY_URL)
        ping(engine)
        owned = ledger is None
        app.state.ledger = ledger or Ledger.open(settings.chain_config())
        app.state.engine = engine
        app.state.content = _open_content_store(settings)
        try:
            yield
        finally:
            app.state.content.close()
            if owned:
                app.state.ledger.close()
            engine.dispose()

    app = FastAPI(
        title="EduLedger registry",
        description="Resource rights, review and certificates for education bureaus, schools and teachers.",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(api_router)
    return app

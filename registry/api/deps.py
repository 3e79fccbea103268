"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from ledger_service.chain import Ledger
from ledger_service.content import KuboContentStore, LocalContentStore

from ..core.config import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_content_store(request: Request) -> LocalContentStore | KuboContentStore:
    return request.app.state.content  # type: ignore[no-any-return]


ContentDep = Annotated[LocalContentStore | KuboContentStore, Depends(get_content_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
EngineDep = Annotated[Engine, Depends(get_engine)]

from __future__ import annotations

from fastapi import APIRouter

from .routes import chain, health, ipfs, verify

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(chain.router)
api_router.include_router(ipfs.router)
api_router.include_router(verify.router)

from __future__ import annotations

from fastapi import APIRouter

from .routes import auth, catalogue, chain, health, institutions, ipfs, resources, reviews, verify

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(chain.router)
api_router.include_router(ipfs.router)
api_router.include_router(verify.router)
api_router.include_router(auth.router)
api_router.include_router(institutions.router)
api_router.include_router(catalogue.router)
api_router.include_router(resources.router)
api_router.include_router(reviews.router)

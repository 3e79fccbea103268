from __future__ import annotations

from fastapi import APIRouter

from .routes import (
    auth,
    catalogue,
    certificates,
    chain,
    contexts,
    contributions,
    credentials,
    dashboard,
    dids,
    health,
    institutions,
    ipfs,
    packages,
    people,
    presentations,
    previews,
    programmes,
    resources,
    reviews,
    search,
    verify,
)

api_router = APIRouter()
# Routes that read their JSON body themselves, strictly, and answer a refused one in their own way.
STRICT_JSON_EXEMPT = ("/verify",)
api_router.include_router(health.router)
api_router.include_router(chain.router)
api_router.include_router(ipfs.router)
api_router.include_router(verify.router)
api_router.include_router(auth.router)
api_router.include_router(people.router)  # before institutions: /users/me is not an address
api_router.include_router(institutions.router)
api_router.include_router(catalogue.router)
api_router.include_router(resources.router)
api_router.include_router(reviews.router)
api_router.include_router(previews.router)
api_router.include_router(programmes.router)
api_router.include_router(packages.router)
api_router.include_router(contributions.router)
api_router.include_router(certificates.router)
api_router.include_router(search.router)
api_router.include_router(credentials.router)
api_router.include_router(contexts.router)
api_router.include_router(dashboard.router)
api_router.include_router(dids.router)
api_router.include_router(presentations.router)

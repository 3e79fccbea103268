"""``POST /presentations/challenges``: a challenge (and the domain) a holder signs their presentation
over, for POST /verify/presentation or the credit bank; each answered once, within ten minutes."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ...crud.auth import client_key
from ...workflows.presentations import new_presentation_challenge, presentation_domain
from ..deps import SessionDep, SettingsDep

router = APIRouter(prefix="/presentations", tags=["verify"])


class PresentationChallengePublic(BaseModel):
    challenge: str = Field(description="put it in the presentation's proof (challenge); it is answered once")
    domain: str = Field(description="put it in the presentation's proof (domain): this registry")
    expires_at: datetime


@router.post(
    "/challenges",
    response_model=PresentationChallengePublic,
    status_code=201,
    responses={429: {"description": "Too many challenges from this client: {error, message, retry_after}."}},
)
def create_presentation_challenge(http: Request, db: SessionDep, settings: SettingsDep) -> PresentationChallengePublic:
    """A fresh challenge for a holder's presentation to this registry."""
    challenge = new_presentation_challenge(
        db, client=client_key(http.client.host if http.client else None), limits=settings.challenge_limits()
    )
    db.commit()
    return PresentationChallengePublic(
        challenge=challenge.challenge, domain=presentation_domain(settings.BASE_URL), expires_at=challenge.expires_at
    )

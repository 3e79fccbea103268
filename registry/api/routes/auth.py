"""Sign-In with Ethereum (EIP-4361): a one-time challenge, signed by the wallet, for a session token."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ...crud import auth as auth_crud
from ...crud import users as users_crud
from ..deps import CurrentUser, DirectoryDep, LedgerDep, SessionDep, SettingsDep

router = APIRouter(prefix="/auth", tags=["auth"])


class ChallengeRequest(BaseModel):
    address: str = Field(description="The wallet address that will sign in (EIP-55 checksummed or all lower case).")


class ChallengePublic(BaseModel):
    message: str = Field(description="The EIP-4361 message to sign with personal_sign, unchanged.")
    nonce: str
    expires_at: datetime


class SessionRequest(BaseModel):
    message: str = Field(max_length=2000)
    signature: str = Field(description="The personal_sign signature (0x + 130 hex digits).", max_length=200)


class SessionPublic(BaseModel):
    token: str
    token_type: str = "bearer"
    address: str
    roles: list[str] = Field(description="The roles held now; they are read again for every request, so a removed role stops at once.")
    expires_at: datetime


class LoginLinkPublic(BaseModel):
    url: str = Field(description="Open it in a browser once, within minutes: it signs that browser in as you.")
    expires_at: datetime


class LinkSessionRequest(BaseModel):
    code: str = Field(min_length=16, max_length=100, description="The code from the link's #code= fragment.")


class PrincipalPublic(BaseModel):
    address: str
    roles: list[str] = Field(description="The roles held now (read for this request).")
    institution_id: str | None
    expires_at: datetime


@router.post("/challenge", response_model=ChallengePublic, status_code=201, responses={429: {"description": "too many challenges"}})
def create_challenge(request: ChallengeRequest, http: Request, db: SessionDep, settings: SettingsDep, ledger: LedgerDep) -> ChallengePublic:
    """A sign-in message for the address, valid once and for a few minutes (limited per client and address)."""
    challenge = auth_crud.create_challenge(
        session=db,
        address=request.address,
        base_url=settings.BASE_URL,
        chain_id=ledger.chain_id,
        ttl=settings.CHALLENGE_TTL,
        client=auth_crud.client_key(http.client.host if http.client else None),
        limits=settings.challenge_limits(),
    )
    db.commit()
    return ChallengePublic(message=challenge.message, nonce=challenge.nonce, expires_at=challenge.expires_at)


@router.post("/session", response_model=SessionPublic, status_code=201)
def create_session(request: SessionRequest, db: SessionDep, settings: SettingsDep, directory: DirectoryDep) -> SessionPublic:
    """Exchange a signed challenge for a session token (who you are; your roles are read for every request)."""
    token, record = auth_crud.open_session(session=db, message=request.message, signature=request.signature, ttl=settings.SESSION_TTL)
    db.commit()
    roles = users_crud.current_roles(session=db, address=record.address, chain_roles=directory.chain_roles)
    return SessionPublic(token=token, address=record.address, roles=sorted(roles), expires_at=record.expires_at)


@router.get("/session", response_model=PrincipalPublic)
def read_session(principal: CurrentUser) -> PrincipalPublic:
    """Who is signed in, with which roles, until when."""
    return PrincipalPublic(
        address=principal.address, roles=sorted(principal.roles), institution_id=principal.institution_id, expires_at=principal.expires_at
    )


@router.delete("/session", status_code=204, response_class=Response)
def delete_session(principal: CurrentUser, db: SessionDep) -> Response:
    """Sign out: the token stops working at once."""
    auth_crud.close_session(session=db, token=principal.token)
    db.commit()
    return Response(status_code=204)


@router.post("/links", response_model=LoginLinkPublic, status_code=201)
def create_login_link(principal: CurrentUser, db: SessionDep, settings: SettingsDep) -> LoginLinkPublic:
    """A one-time link that signs a browser in as the caller (``edu-wallet login --web``); the code rides in the
    URL's fragment, which browsers never send to a server."""
    code, link = auth_crud.create_login_link(session=db, address=principal.address, ttl=settings.CHALLENGE_TTL)
    db.commit()
    return LoginLinkPublic(url=f"{settings.BASE_URL}/app/login#code={code}", expires_at=link.expires_at)


@router.post("/links/session", response_model=SessionPublic, status_code=201)
def create_link_session(request: LinkSessionRequest, db: SessionDep, settings: SettingsDep, directory: DirectoryDep) -> SessionPublic:
    """Exchange a login link's code (once) for a session token (who you are; your roles are read for every request)."""
    token, record = auth_crud.open_link_session(session=db, code=request.code, ttl=settings.SESSION_TTL)
    db.commit()
    roles = users_crud.current_roles(session=db, address=record.address, chain_roles=directory.chain_roles)
    return SessionPublic(token=token, address=record.address, roles=sorted(roles), expires_at=record.expires_at)

"""Dependencies shared by the routes, as ``Annotated`` aliases.

Permission checks are dependencies: a route that needs a role takes ``AdminUser``,
``ReviewerUser``, ``TeacherUser`` or ``IssuerUser`` and never checks inline. A session token says
who is signed in, never what they may do: the roles and the institution are read for every
request (the database's now, the chain's through :class:`Directory`), and checked once more when
the request commits (:func:`registry.crud.users.check_held_roles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger_service.chain import Ledger
from ledger_service.content import KuboContentStore, LocalContentStore

from ..chain.bureau import Bureau
from ..chain.certificates import CertificateChecker
from ..chain.directory import Directory
from ..chain.monitor import ServiceMonitor
from ..chain.worker import ChainWorker
from ..core.config import Settings
from ..core.errors import AuthenticationError, PermissionDeniedError
from ..crud import auth as auth_crud
from ..crud import users as users_crud
from ..search import SearchService
from ..workflows.content_access import ContentLinks
from ..workflows.dashboard import SummaryCache
from ..workflows.issuance import Issuing
from ..workflows.packages import VerificationSlots
from ..workflows.previews import PreviewService
from ..workflows.review import DecisionPolicy
from ..workflows.submission import Limits


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_content_store(request: Request) -> LocalContentStore | KuboContentStore:
    return request.app.state.content  # type: ignore[no-any-return]


def get_directory(request: Request) -> Directory:
    return request.app.state.directory  # type: ignore[no-any-return]


def get_bureau(request: Request) -> Bureau:
    return request.app.state.bureau  # type: ignore[no-any-return]


def get_worker(request: Request) -> ChainWorker | None:
    return request.app.state.worker  # type: ignore[no-any-return]


def get_issuing(request: Request) -> Issuing:
    return request.app.state.issuing  # type: ignore[no-any-return]


def get_previews(request: Request) -> PreviewService:
    return request.app.state.previews  # type: ignore[no-any-return]


def get_content_links(request: Request) -> ContentLinks:
    return request.app.state.content_links  # type: ignore[no-any-return]


def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.sessions  # type: ignore[no-any-return]


def get_search(request: Request) -> SearchService:
    return request.app.state.search  # type: ignore[no-any-return]


def get_monitor(request: Request) -> ServiceMonitor:
    return request.app.state.monitor  # type: ignore[no-any-return]


def get_certificate_checker(request: Request) -> CertificateChecker:
    return request.app.state.certificates  # type: ignore[no-any-return]


def get_policy(request: Request) -> DecisionPolicy:
    """How many reviews a decision needs, the automatic decisions, blind review (from the settings)."""
    settings = get_settings(request)
    return DecisionPolicy(settings.MIN_REVIEWS, settings.AUTO_ACCEPT_SCORE, settings.AUTO_DECLINE_SCORE, blind=settings.BLIND_REVIEW)


def get_now(request: Request) -> datetime:
    """The time deadlines are judged by: the app's clock (tests set ``app.state.clock``), else now."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def get_summary_cache(request: Request) -> SummaryCache:
    """The dashboard's public summaries, computed at most every 30 s per period (made on first use)."""
    cache: SummaryCache | None = getattr(request.app.state, "dashboard_summaries", None)
    if cache is None:
        cache = request.app.state.dashboard_summaries = SummaryCache()
    return cache


def get_limits(request: Request) -> Limits:
    """What a submission's CPU-heavy work may use: the serving loop's limiter and worker processes, the pixel limit."""
    state = request.app.state
    return Limits(cpu=state.cpu_limiter, max_pixels=get_settings(request).MAX_IMAGE_PIXELS, processes=state.cpu_processes)


def get_package_slots(request: Request) -> VerificationSlots:
    """The service's package-verification slots (made on first use)."""
    slots: VerificationSlots | None = getattr(request.app.state, "package_slots", None)
    if slots is None:
        slots = request.app.state.package_slots = VerificationSlots(get_settings(request).PACKAGE_VERIFICATIONS)
    return slots


def hold_package_slot(slots: Annotated[VerificationSlots, Depends(get_package_slots)]) -> Iterator[None]:
    """Holds a verification slot for the request (429 when none is free), taken before the body is read."""
    with slots.hold():
        yield


def get_db(request: Request) -> Iterator[Session]:
    with get_sessions(request)() as session:
        yield session


ContentLinksDep = Annotated[ContentLinks, Depends(get_content_links)]
ContentDep = Annotated[LocalContentStore | KuboContentStore, Depends(get_content_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
EngineDep = Annotated[Engine, Depends(get_engine)]
DirectoryDep = Annotated[Directory, Depends(get_directory)]
BureauDep = Annotated[Bureau, Depends(get_bureau)]
WorkerDep = Annotated[ChainWorker | None, Depends(get_worker)]
IssuingDep = Annotated[Issuing, Depends(get_issuing)]
SessionDep = Annotated[Session, Depends(get_db)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]  # for work off the event loop, in its own session
SearchDep = Annotated[SearchService, Depends(get_search)]
MonitorDep = Annotated[ServiceMonitor, Depends(get_monitor)]
CertificateCheckerDep = Annotated[CertificateChecker, Depends(get_certificate_checker)]
PolicyDep = Annotated[DecisionPolicy, Depends(get_policy)]
PreviewsDep = Annotated[PreviewService, Depends(get_previews)]
NowDep = Annotated[datetime, Depends(get_now)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
SummaryCacheDep = Annotated[SummaryCache, Depends(get_summary_cache)]
PackageSlot = Annotated[None, Depends(hold_package_slot)]


@dataclass(frozen=True)
class Principal:
    """The signed-in account with the roles and institution it holds now (read for every request)."""

    address: str
    roles: frozenset[str]
    institution_id: str | None
    expires_at: datetime
    token: str
    chain_roles: frozenset[str] = frozenset()

    def held(self, roles: frozenset[str] | None = None) -> users_crud.HeldRoles:
        """What a workflow checks again when it commits: ``roles`` (default: all of the account's roles) and its institution."""
        return users_crud.HeldRoles(self.address, self.roles if roles is None else roles, self.institution_id, self.chain_roles)

    def hold(self, session: Session, roles: frozenset[str] | None = None) -> None:
        """Check, when ``session`` commits, that the account still holds ``roles`` (default: all of
        its roles) and its institution; a request whose powers were taken away meanwhile applies nothing."""
        users_crud.hold_roles(session, self.held(roles))


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization:
        raise AuthenticationError("sign in first: send 'Authorization: Bearer <token>' (POST /auth/challenge, then /auth/session)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def _principal(db: Session, directory: Directory, token: str) -> Principal:
    record = auth_crud.find_session(session=db, token=token)
    chain_roles = frozenset(directory.chain_roles(record.address))
    roles = users_crud.current_roles(session=db, address=record.address, chain_roles=lambda _: chain_roles)
    user = users_crud.get_user(session=db, address=record.address)
    principal = Principal(record.address, roles, user.institution_id if user else None, record.expires_at, token, chain_roles)
    principal.hold(db)
    return principal


def get_principal(db: SessionDep, directory: DirectoryDep, token: Annotated[str, Depends(bearer_token)]) -> Principal:
    return _principal(db, directory, token)


CurrentUser = Annotated[Principal, Depends(get_principal)]


def get_optional_principal(
    db: SessionDep, directory: DirectoryDep, authorization: Annotated[str | None, Header()] = None
) -> Principal | None:
    """The signed-in account if a token is sent (a bad token is still refused), else None."""
    if not authorization:
        return None
    return _principal(db, directory, bearer_token(authorization))


OptionalUser = Annotated[Principal | None, Depends(get_optional_principal)]


def require_role(*roles: str) -> Callable[[Principal, Session], Principal]:
    """A dependency admitting a signed-in account that holds one of ``roles`` (checked again at commit)."""

    def check(principal: CurrentUser, db: SessionDep) -> Principal:
        relied_on = principal.roles & set(roles)
        if not relied_on:
            held = ", ".join(sorted(principal.roles)) or "none"
            raise PermissionDeniedError(f"this needs the {' or '.join(roles)} role; {principal.address} holds: {held}")
        principal.hold(db, frozenset(relied_on))
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require_role("admin"))]
ReviewerUser = Annotated[Principal, Depends(require_role("reviewer"))]
TeacherUser = Annotated[Principal, Depends(require_role("teacher"))]
IssuerUser = Annotated[Principal, Depends(require_role("issuer"))]

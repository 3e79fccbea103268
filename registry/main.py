"""Builds the FastAPI application; the chain and database open in its lifespan."""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import multiprocessing
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ledger_service.certificates import CertificateReader
from ledger_service.chain import Ledger
from ledger_service.content import CID, KuboContentStore, LocalContentStore
from ledger_service.vault import Vault

from .api.errors import install_error_handlers
from .api.main import STRICT_JSON_EXEMPT, api_router
from .api.middleware import BodyDeadlineMiddleware, CatchAllMiddleware, SecurityHeadersMiddleware, StrictJsonMiddleware
from .chain.bureau import Bureau, set_up_bureau
from .chain.certificates import CertificateChecker
from .chain.directory import Directory
from .chain.monitor import ServiceMonitor
from .chain.relanding import reland
from .chain.worker import ChainWorker
from .core import migrations
from .core.config import Settings
from .core.db import make_engine, ping, session_factory
from .crud import catalogue as catalogue_crud
from .crud import certificates as certificates_crud
from .crud import users as users_crud
from .models import Institution
from .pages import web
from .search import SearchService
from .workflows import certificate_credentials, contributions
from .workflows.content_access import ContentLinks
from .workflows.issuance import Issuing, load_master_key
from .workflows.previews import PreviewService

log = logging.getLogger("registry")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _open_content_store(settings: Settings) -> LocalContentStore | KuboContentStore:
    if settings.IPFS_API:
        return KuboContentStore(settings.IPFS_API, max_size=settings.MAX_UPLOAD_SIZE)
    return LocalContentStore(settings.DATA_DIR / "content", max_size=settings.MAX_UPLOAD_SIZE)


def _prepare_database(sessions: sessionmaker[Session], settings: Settings, bureau: Bureau) -> None:
    """The bureau's row, and the catalogue when the database has none."""
    with sessions() as session:
        if session.get(Institution, bureau.id_hex) is None:
            session.add(Institution(id=bureau.id_hex, name=bureau.name, kind=bureau.kind, admin_address=bureau.admin or ""))
        if catalogue_crud.is_empty(session=session):
            path = settings.CATALOGUE_FILE or catalogue_crud.SAMPLE_CATALOGUE
            counts = catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(path))
            log.info("catalogue loaded from %s: %d nodes", path, counts["added"])
        session.commit()


def _oldest_write(worker: ChainWorker, ledger: Ledger) -> float | None:
    """Seconds the oldest chain write not yet mined has waited: a committed job, or any sender's journaled transaction."""
    now = time.time()
    since = worker.open_since()
    ages = [now - since.timestamp()] if since is not None else []
    journaled = ledger.oldest_unmined()
    if journaled is not None:
        ages.append(now - journaled)
    return max(ages) if ages else None


def _reconcile_grants(sessions: sessionmaker[Session], issuing: Issuing) -> None:
    with sessions() as session:
        issuing.reconcile_grants(session)


def create_app(settings: Settings | None = None, *, ledger: Ledger | None = None) -> FastAPI:
    """The app. ``ledger`` lets a caller (tests) share an open chain connection it owns."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.SQLALCHEMY_URL)
        ping(engine)
        migrations.upgrade(engine)
        sessions = session_factory(engine)
        event.listen(sessions, "before_commit", users_crud.check_held_roles)  # powers taken away mid-request
        owned = ledger is None
        chain = ledger or Ledger.open(settings.chain_config())
        chain.write_timeout = settings.CHAIN_WAIT_SECONDS  # then a request answers 202, not 504
        app.state.ledger = chain
        app.state.engine = engine
        app.state.sessions = sessions
        app.state.content = _open_content_store(settings)
        store = app.state.content
        previews = PreviewService(
            settings.DATA_DIR / "previews",
            lambda cid: store.cat(CID.parse(cid)),
            converter=settings.OFFICE_CONVERTER if settings.OFFICE_CONVERTER not in ("", "none") else None,
            timeout=settings.PREVIEW_TIMEOUT,
        )
        app.state.previews = previews
        app.state.cpu_limiter = anyio.CapacityLimiter(settings.CPU_WORKERS)  # made here: it belongs to the serving loop
        # Workers start on first use, spawned (a fork would copy this process's threads' locks).
        app.state.cpu_processes = ProcessPoolExecutor(settings.CPU_WORKERS, mp_context=multiprocessing.get_context("spawn"))
        worker: ChainWorker | None = None
        monitor: ServiceMonitor | None = None
        issuing: Issuing | None = None
        search: SearchService | None = None
        try:
            bureau = set_up_bureau(chain, name=settings.BUREAU_NAME, kind=settings.BUREAU_KIND, admin=settings.ADMIN_ADDRESS)
            log.info(
                "bureau %r (0x%s): administrator %s%s",
                bureau.name,
                bureau.id.hex(),
                bureau.admin,
                " (the embedded chain's development account 1: see the README)" if chain.node and not settings.ADMIN_ADDRESS else "",
            )
            _prepare_database(sessions, settings, bureau)
            search = SearchService(settings.DATA_DIR / "search", sessions)
            search.open()  # rebuilt from the database if missing or behind, then caught up
            app.state.search = search
            app.state.bureau = bureau
            directory = Directory(chain, bureau.id)
            app.state.directory = directory
            worker = ChainWorker(chain, sessions)
            worker.after_apply.append(directory.on_blocks)  # roles this registry changed on chain
            app.state.worker = worker
            if settings.WORKER:
                worker.start()
            monitor = ServiceMonitor(
                chain.rpc,
                worker.open_jobs,
                oldest_write=lambda: _oldest_write(worker, chain),
                failed_writes=worker.failed_writes,
                watch=[chain.contracts[name].address for name in ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry")],
            )
            monitor.listeners.append(directory.on_blocks)  # roles changed on chain by anyone
            monitor.start()
            app.state.monitor = monitor
            checker = CertificateChecker(
                CertificateReader.of(chain), monitor, lambda number: certificates_crud.expected_content_hash(sessions, number)
            )
            worker.after_apply.append(checker.on_blocks)
            app.state.certificates = checker
            master = load_master_key(settings)
            app.state.content_links = ContentLinks(hmac.new(master.secret, b"eduledger/content-links/v1", hashlib.sha256).digest())
            issuing = Issuing(
                ledger=chain,
                vault=Vault(settings.DATA_DIR / "vault.sqlite3", master),
                master=master,
                data_dir=settings.DATA_DIR,
                base_url=settings.BASE_URL,
            )
            app.state.issuing = issuing
            worker.add_kinds(issuing.job_kinds(), issuing.sender_of)  # the institutions' own writes, by their own keys
            issuing.notify = worker.notify
            issuing.add_bureau_batches(certificate_credentials.SOURCE, certificate_credentials.BATCHES)  # the bureau's own, by the relayer
            issuing.add_bureau_batches(contributions.SOURCE, contributions.BATCHES)
            with sessions() as session:  # what a crash or an older version left: sealed, shredded, before any request
                issuing.seal_legacy(session)
                issuing.sweep_orphans(session)
                issuing.add_missing_sd_keys(session)  # institutions set up before base proofs get their P-256 key
                issuing.recover(session)  # every institution's outbox reconciled, like the relayer's
            reland(chain, sessions, issuing)  # what the chain lost and the outboxes re-sent: its new blocks recorded
            worker.after_cycle.append(lambda: certificate_credentials.sync(sessions, issuing, bureau, chain, settings.BASE_URL))
            worker.after_cycle.append(lambda: _reconcile_grants(sessions, issuing))
            # What start-up built lives as long as the service: keep the collector from walking it
            # again and again (long pauses under load otherwise).
            gc.collect()
            gc.freeze()
            yield
        finally:
            # The worker first: its cycle may be signing with the issuers' journals (a journal closed under
            # it was "Cannot operate on a closed database", or a segfault in sqlite3).
            if worker is not None:
                worker.stop()
            if monitor is not None:
                monitor.stop()
            if search is not None:
                search.close()
            if issuing is not None:
                issuing.close()
            previews.close()
            app.state.content.close()
            app.state.cpu_processes.shutdown(wait=False, cancel_futures=True)
            if owned:
                chain.close()
            engine.dispose()

    app = FastAPI(
        title="EduLedger registry",
        description="Resource rights, review and certificates for education bureaus, schools and teachers.",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # served by registry.pages.web from npm packages, never a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Outermost last: the catch-all also covers what the JSON reader might raise.
    app.add_middleware(StrictJsonMiddleware, max_body=settings.MAX_JSON_BODY, exempt=STRICT_JSON_EXEMPT)
    app.add_middleware(BodyDeadlineMiddleware, timeout=settings.BODY_TIMEOUT)  # wraps every reader of a body
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outside the catch-all: its JSON 500 gets them too
    app.include_router(api_router)
    app.include_router(web.router)
    return app

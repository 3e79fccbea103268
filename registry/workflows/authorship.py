"""Co-authors' consent (合作者确认): a co-author holds a share only once they confirm it themselves.

The lead author lists co-authors and their shares in the registration they sign; on chain
(ResourceRegistry) the lead author's share is held at once and each co-author's is only offered.
A co-author confirms with their own EIP-712 signature of ``AuthorshipConfirmation(contentHash,
author, share, deadline)``; the registry checks it, records it (a ``confirm_authorship`` event in
the version's hash-chained history) and relays it (``confirmAuthorship``), and from then on the
chain lists them among the rights holders.

Consent lives on chain, not only here, because rights are verified on chain without trusting this
database: a verifier reading ``rightsHolders`` must never see a share nobody agreed to hold, and
an account must not gain powers over a resource (a next version, a transfer) by being named in
someone else's registration. Owner actions (withdrawal at the author's request, a new version) are
the lead author's alone (see :func:`registry.workflows.review.is_lead_author`); each version's
co-authors confirm that version.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service.chain import AuthorshipConfirmation, Eip712Domain, Ledger, recover_address

from ..chain.jobs import enqueue
from ..core.errors import ConflictError, InvalidRequestError, PermissionDeniedError, RegistryError
from ..models import AuthorConfirmation, ResourceVersion
from . import review

__all__ = ["AuthorStatus", "allowed_actions", "authors", "confirm", "confirmation_for", "confirmed_authors", "domain_of"]

_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_MIN_DEADLINE = 300  # seconds the worker gets to put the confirmation on chain (after the registration)
_MAX_DEADLINE = 30 * 86400


class AuthoredVersion(Protocol):
    """What naming a version's authors reads: a model row or a search hit's row."""

    @property
    def id(self) -> int: ...

    @property
    def authors(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class AuthorStatus:
    address: str
    share: int
    status: str  # lead; unconfirmed; confirming (signed, not yet on chain); confirmed (on chain); failed


def _confirmations(session: Session, version: ResourceVersion) -> dict[str, AuthorConfirmation]:
    rows = session.scalars(select(AuthorConfirmation).where(AuthorConfirmation.version_id == version.id))
    return {row.address: row for row in rows}


def authors(session: Session, version: ResourceVersion) -> list[AuthorStatus]:
    """The version's authors in signed order, each with where their consent stands."""
    confirmations = _confirmations(session, version)
    listed = []
    for position, author in enumerate(version.authors):
        row = confirmations.get(author["address"])
        if position == 0:
            status = "lead"
        elif row is None:
            status = "unconfirmed"
        else:
            status = {"mined": "confirmed", "failed": "failed"}.get(row.chain_status, "confirming")
        listed.append(AuthorStatus(author["address"], int(author["share"]), status))
    return listed


def confirmed_authors(session: Session, versions: Iterable[AuthoredVersion]) -> dict[int, list[str]]:
    """For each version, the authors who hold their share on chain: the lead author and the
    co-authors whose confirmation is mined (what a public listing may name)."""
    versions = list(versions)
    mined: dict[int, set[str]] = {}
    if versions:
        for version_id, address in session.execute(
            select(AuthorConfirmation.version_id, AuthorConfirmation.address).where(
                AuthorConfirmation.version_id.in_([v.id for v in versions]), AuthorConfirmation.chain_status == "mined"
            )
        ):
            mined.setdefault(version_id, set()).add(address)
    return {v.id: [a["address"] for i, a in enumerate(v.authors) if i == 0 or a["address"] in mined.get(v.id, set())] for v in versions}


def domain_of(ledger: Ledger) -> Eip712Domain:
    return Eip712Domain(chain_id=ledger.chain_id, verifying_contract=ledger.contracts["ResourceRegistry"].address)


def _co_author_share(version: ResourceVersion, address: str) -> int:
    for position, author in enumerate(version.authors):
        if author["address"] == address:
            if position == 0:
                raise ConflictError("the lead author signed the registration; only co-authors confirm", code="lead_author")
            return int(author["share"])
    raise PermissionDeniedError(f"{address} is not a co-author of version {version.number} of resource {version.resource_id}")


def confirmation_for(version: ResourceVersion, address: str, deadline: int) -> AuthorshipConfirmation:
    """What the co-author ``address`` signs to confirm their share of ``version``."""
    return AuthorshipConfirmation(bytes.fromhex(version.content_hash[2:]), address, _co_author_share(version, address), deadline)


def allowed_actions(session: Session, version: ResourceVersion, viewer: review.Viewer | None) -> list[str]:
    """``confirm_authorship`` for a co-author whose confirmation is still missing (or failed)."""
    if viewer is None:
        return []
    for position, author in enumerate(version.authors):
        if position and author["address"] == viewer.address:
            row = _confirmations(session, version).get(viewer.address)
            return ["confirm_authorship"] if row is None or row.chain_status == "failed" else []
    return []


def confirm(
    session: Session, ledger: Ledger, version: ResourceVersion, address: str, *, deadline: int, signature: str
) -> AuthorConfirmation:
    """Record and relay the co-author ``address``'s signed confirmation of their share of ``version``."""
    if not _SIGNATURE.fullmatch(signature):
        raise RegistryError("signature must be 0x followed by 130 hex digits (r, s, v)", code="invalid_signature")
    now = int(time.time())
    if deadline < now + _MIN_DEADLINE:
        raise RegistryError(
            f"the signature's deadline {deadline} is past or less than {_MIN_DEADLINE} s away; sign again with a later one",
            code="expired_signature",
        )
    if deadline > now + _MAX_DEADLINE:
        raise InvalidRequestError("the signature's deadline is more than 30 days away")
    request = confirmation_for(version, address, deadline)
    if recover_address(domain_of(ledger).digest(request.struct_hash()), bytes.fromhex(signature[2:])) != address:
        raise RegistryError(
            f"the signature is not {address}'s EIP-712 signature of AuthorshipConfirmation(contentHash "
            f"{version.content_hash}, share {request.share}, deadline {deadline})",
            code="invalid_signature",
        )
    row = _confirmations(session, version).get(address)
    if row is not None and row.chain_status != "failed":
        raise ConflictError(f"{address} already confirmed ({row.chain_status} on chain)", code="already_confirmed")
    if row is None:
        row = AuthorConfirmation(version_id=version.id, address=address, share=request.share, deadline=deadline, signature="")
        session.add(row)
    row.deadline, row.signature, row.chain_status, row.chain_tx, row.chain_error = deadline, signature.lower(), "pending", None, None
    session.flush()
    review.record_event(
        session, version, "confirm_authorship", actor=address, role="author", details={"author": address, "share": request.share}
    )
    enqueue(session, "confirm_authorship", {"confirmation_id": row.id}, subject=f"version:{version.id}")
    return row

"""Who may read content through ``GET /ipfs/{cid}``.

Content of an accepted version is public (the trustless gateway serves it to anyone, cached for
ever). Content of a version still in review, sent back, declined, withdrawn (出库) or never accepted
is readable by that version's authors, the reviewers assigned to it and administrators only, with a
bearer token. A CID held by several versions (a part carried over into a new version) is public as
soon as one of them is: the bytes are already public under the accepted version. A CID no version
holds (an upload through ``POST /ipfs``, a block inside a file, found only through its parent) is
not restricted.

A page cannot send a bearer token with ``<img>``, ``<video>`` or a download link, so a reader
allowed now may be given a content link: ``?access=`` with an HMAC over the CID's digest, the
reader and an expiry (:class:`ContentLinks`), good for that CID only, for an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service.content import CID

from ..core.errors import PermissionDeniedError, ResourceNotFoundError
from ..models import ContentCid, ResourceVersion, ReviewAssignment
from .review import State

__all__ = ["ContentAccess", "ContentLinks", "content_access", "is_public_content"]


class Reader(Protocol):
    @property
    def address(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class ContentAccess:
    public: bool  # False: served to this reader only (never cached by anyone else)


def is_public_content(version: ResourceVersion) -> bool:
    """Accepted, or replaced by a newer version after being accepted (its certificates point at it)."""
    return version.state == State.ACCEPTED or (version.state == State.SUPERSEDED and version.accepted_at is not None)


class ContentLinks:
    """Content links: ``?access=EXPIRY.ADDRESS.MAC`` opening one CID for an hour, for the reader it was made for."""

    def __init__(self, key: bytes, *, ttl: int = 3600) -> None:
        self._key = key
        self.ttl = ttl

    def _mac(self, cid: CID, address: str, expires: int) -> str:
        message = f"{cid.digest.hex()}|{address}|{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def issue(self, cid: CID, address: str) -> str:
        expires = int(time.time()) + self.ttl
        return f"{expires}.{address}.{self._mac(cid, address, expires)}"

    def reader(self, token: str, cid: CID) -> str | None:
        """The address a valid, unexpired link for ``cid`` was made for, else None."""
        expires, _, rest = token.partition(".")
        address, _, mac = rest.partition(".")
        if not expires.isdigit() or int(expires) < time.time() or len(expires) > 12:
            return None
        return address if hmac.compare_digest(mac, self._mac(cid, address, int(expires))) else None


def content_access(session: Session, cid: CID, reader: Reader | None, *, linked: str | None = None) -> ContentAccess:
    """Whether ``reader`` (None: anonymous) may read ``cid``; raises 404 (anonymous) or 403 if not.
    ``linked``: the address a valid content link for ``cid`` names (links are made only for readers
    allowed when they ask, and last an hour)."""
    versions = list(
        session.scalars(
            select(ResourceVersion)
            .join(ContentCid, ContentCid.version_id == ResourceVersion.id)
            .where(ContentCid.digest == "0x" + cid.digest.hex())
        )
    )
    if not versions or any(is_public_content(v) for v in versions):
        return ContentAccess(public=True)
    if linked is not None:
        return ContentAccess(public=False)
    if reader is None:
        raise ResourceNotFoundError(f"{cid} is not public content (content under review: sign in as its author or reviewer)")
    if "admin" in reader.roles or any(a["address"] == reader.address for v in versions for a in v.authors):
        return ContentAccess(public=False)
    assigned = session.scalar(
        select(ReviewAssignment.id)
        .where(
            ReviewAssignment.version_id.in_([v.id for v in versions]),
            ReviewAssignment.reviewer == reader.address,
        )
        .limit(1)
    )
    if assigned is not None:
        return ContentAccess(public=False)
    raise PermissionDeniedError(f"{cid} belongs to a version not accepted; only its authors, assigned reviewers and administrators read it")

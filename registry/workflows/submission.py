"""Submission (确权 + 入库 screening): a teacher's signed registration and its files, in one request.

The request is ``multipart/form-data``: a ``metadata`` field (JSON) first, then one file per
declared part (the file name is the part's name). The metadata is checked before any file byte
is stored; each part streams into one staged bundle, its type sniffed from its first bytes and
fingerprinted as it passes. Then the lead author's EIP-712 signature is checked against what
arrived, exact duplicates are refused (409, naming the first registration and its owner) and
near-duplicates flagged for the reviewers. The database rows and the content are committed
together; anything refused leaves neither a row nor a file. The registration itself goes on chain
through the chain worker.

One submission must not stall the service: hashing and image decoding run in worker threads, and
a large text's content code (seconds of native code that holds the GIL, which would stall threads
and the event loop alike) in a worker process; at most ``Limits.cpu`` of them at once across all
submissions. An image's size is read from its header and refused past ``Limits.max_pixels`` before
anything decodes it (a few kilobytes of PNG can announce 225 million pixels).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import re
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from ledger_service import ContentTooLargeError
from ledger_service.chain import Ledger, metadata_hash, recover_address
from ledger_service.content import (
    SNIFF_BYTES,
    BundleAdder,
    Fingerprint,
    FingerprintBuilder,
    ImportParams,
    KuboContentStore,
    LocalContentStore,
    NodeRef,
    PartWriter,
    band_probes,
    code_bands,
    content_code,
    hamming,
    image_size,
    media_family,
    sniff_media_type,
)

from ..chain.jobs import enqueue, registration_of
from ..core.config import Settings
from ..core.errors import (
    ConflictError,
    DuplicateResourceError,
    InvalidRequestError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RegistryError,
    ResourceNotFoundError,
    UnsupportedMediaTypeError,
)
from ..core.multipart import PartData, PartEnd, PartStart, multipart_events
from ..crud.auth import checked_address
from ..crud.dashboard import china_month
from ..crud.users import HeldRoles, hold_roles
from ..models import CatalogueNode, ContentCid, ContentPart, Resource, ResourceVersion, User, utcnow
from ..models import Fingerprint as FingerprintRow
from . import authorship, review
from .resource_types import LICENCES, PART_ROLES, RESOURCE_TYPES
from .review import State

__all__ = [
    "METADATA_LIMIT",
    "SIMILARITY_LIMIT",
    "SUBMISSION_PARAMS",
    "Limits",
    "PartReceived",
    "SubmissionMetadata",
    "check_part_name",
    "expected_nonce",
    "finish_submission",
    "predecessor_of",
    "receive_submission",
    "submit",
    "validate_metadata",
]

SUBMISSION_PARAMS = ImportParams(cid_version=1)  # CIDs as `ipfs add --cid-version=1` gives them
METADATA_LIMIT = 64 * 1024
SIMILARITY_LIMIT = 32 * 1024 * 1024  # parts above this get no similarity code (see FingerprintBuilder)
_FEED_BATCH = 1024 * 1024
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_MIN_DEADLINE = 300  # seconds the worker gets to put the registration on chain
_MAX_DEADLINE = 30 * 86400
# Characters that make a part name lie about itself or escape the bundle: path separators, control
# characters (NUL included) and the bidirectional controls that show "cod.exe" as "exe.doc".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_T = TypeVar("_T")


_IN_PROCESS = 64 * 1024  # texts past this get their content code in a worker process (~0.1 s of GIL below it)


@dataclass(frozen=True)
class Limits:
    """How a submission is read: ``cpu`` bounds the CPU work at once (shared by every submission of
    the service), ``processes`` runs what holds the GIL for long, ``max_pixels`` bounds an image part."""

    cpu: CapacityLimiter
    max_pixels: int
    processes: Executor | None = None

    async def run(self, work: Callable[..., _T], *args: Any) -> _T:
        return await anyio.to_thread.run_sync(work, *args, limiter=self.cpu)

    async def run_in_process(self, work: Callable[..., _T], *args: Any) -> _T:
        if self.processes is None:
            return await self.run(work, *args)
        async with self.cpu:
            return await asyncio.get_running_loop().run_in_executor(self.processes, work, *args)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AuthorEntry(_Strict):
    address: str
    share: int = Field(ge=1, le=10_000, description="basis points; all authors' shares sum to 10000")


class PartEntry(_Strict):
    name: str = Field(min_length=1, max_length=200, description="the file name inside the bundle")
    role: str = Field(description="微课视频, 教学设计, 学习任务单, 课件, 作业练习, 试卷, 音频 or 素材")


class RegistrationProof(_Strict):
    cid: str = Field(description="the root CID the author computed and signed")
    nonce: int = Field(ge=0)
    deadline: int = Field(ge=0, description="Unix time until which the signature may be relayed")
    signature: str = Field(description="the lead author's EIP-712 signature of the Registration, 0x + 130 hex digits")


class SubmissionMetadata(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    resource_type: str
    catalogue_node: str
    licence: str
    authors: list[AuthorEntry] = Field(min_length=1, max_length=10)
    parts: list[PartEntry] = Field(min_length=1)
    registration: RegistrationProof


@dataclass
class PartReceived:
    name: str
    role: str
    filename: str
    ref: NodeRef
    media_type: str
    fingerprint: Fingerprint


@dataclass
class _Receiving:
    entry: PartEntry
    writer: PartWriter
    prints: FingerprintBuilder = field(default_factory=lambda: FingerprintBuilder(similarity_limit=SIMILARITY_LIMIT))
    head: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    media_type: str | None = None


def _parse_metadata(raw: bytes) -> tuple[SubmissionMetadata, dict[str, Any]]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRequestError(f"the metadata field is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequestError("the metadata field must be a JSON object")
    try:
        metadata = SubmissionMetadata.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:8])
        raise InvalidRequestError(f"the metadata is not valid: {problems}") from None
    signed = {key: value for key, value in data.items() if key != "registration"}
    return metadata, signed


def expected_nonce(session: Session, ledger: Ledger, author: str) -> int:
    """The author's next registration nonce: on chain, or past those still waiting to go on chain."""
    on_chain = int(ledger.contracts["ResourceRegistry"].call("nonces", author))
    waiting = session.scalar(
        select(func.max(ResourceVersion.nonce)).where(ResourceVersion.author == author, ResourceVersion.chain_status == "pending")
    )
    return max(on_chain, (waiting + 1) if waiting is not None else 0)


def predecessor_of(session: Session, resource_id: int, author: str) -> ResourceVersion:
    """The version a new version of ``resource_id`` replaces, if ``author`` may replace it now."""
    latest = session.scalar(
        select(ResourceVersion).where(ResourceVersion.resource_id == resource_id).order_by(ResourceVersion.number.desc()).limit(1)
    )
    if latest is None:
        raise ResourceNotFoundError(f"no resource {resource_id}")
    if not review.is_lead_author(latest, author):
        raise PermissionDeniedError(f"only the lead author of resource {resource_id} ({latest.author}) may submit a new version of it")
    if latest.state in (State.SUBMITTED, State.SCREENING, State.IN_REVIEW):
        raise ConflictError(
            f"version {latest.number} of resource {resource_id} is still in review; wait for its decision (or withdraw it) "
            "before submitting a new version",
            code="in_review",
        )
    if latest.chain_resource_id is None:
        detail = "failed to register on chain" if latest.chain_status == "failed" else "is not yet registered on chain; try again shortly"
        raise ConflictError(f"version {latest.number} of resource {resource_id} {detail}", code="predecessor_not_on_chain")
    return latest


def validate_metadata(session: Session, ledger: Ledger, metadata: SubmissionMetadata, *, author: str, max_parts: int) -> None:
    """Every check that needs no file: authors, types, parts, catalogue, licence, nonce, deadline."""
    addresses = [checked_address(a.address) for a in metadata.authors]
    if addresses[0] != author:
        raise PermissionDeniedError(f"the lead author (authors[0]) must be the signed-in teacher {author}")
    if len(set(addresses)) != len(addresses):
        raise InvalidRequestError("an author is listed twice", code="invalid_shares")
    total = sum(a.share for a in metadata.authors)
    if total != 10_000:
        raise InvalidRequestError(f"authors' shares must sum to 10000 basis points, not {total}", code="invalid_shares")
    kind = RESOURCE_TYPES.get(metadata.resource_type)
    if kind is None:
        raise InvalidRequestError(f"unknown resource_type {metadata.resource_type!r}; one of {', '.join(RESOURCE_TYPES)}")
    if len(metadata.parts) > max_parts:
        raise InvalidRequestError(f"a bundle has at most {max_parts} parts")
    names = [p.name for p in metadata.parts]
    if len(set(names)) != len(names):
        raise InvalidRequestError("two parts share a name")
    for part in metadata.parts:
        check_part_name(part.name)
        if part.role not in PART_ROLES:
            raise InvalidRequestError(f"part {part.name!r}: unknown role {part.role!r}; one of {', '.join(PART_ROLES)}")
        if part.role not in kind.allowed:
            raise InvalidRequestError(f"a {metadata.resource_type} holds {', '.join(sorted(kind.allowed))}; not {part.role!r}")
    missing = kind.required - {p.role for p in metadata.parts}
    if missing:
        raise InvalidRequestError(f"a {metadata.resource_type} needs a part with role {', '.join(sorted(missing))}")
    if any(not keyword.strip() or len(keyword) > 30 for keyword in metadata.keywords):
        raise InvalidRequestError("keywords are non-empty and at most 30 characters each")
    if not metadata.title.strip():
        raise InvalidRequestError("the title is empty")
    if session.get(CatalogueNode, metadata.catalogue_node) is None:
        raise InvalidRequestError(f"unknown catalogue node {metadata.catalogue_node!r} (see GET /catalogue)", code="unknown_catalogue_node")
    if metadata.licence not in LICENCES:
        raise InvalidRequestError(f"licence must be one of {', '.join(LICENCES)}")
    if not _SIGNATURE.fullmatch(metadata.registration.signature):
        raise RegistryError("registration.signature must be 0x followed by 130 hex digits (r, s, v)", code="invalid_signature")
    now = int(time.time())
    deadline = metadata.registration.deadline
    if deadline < now + _MIN_DEADLINE:
        raise RegistryError(
            f"the signature's deadline {deadline} is past or less than {_MIN_DEADLINE} s away; sign again with a later one",
            code="expired_signature",
        )
    if deadline > now + _MAX_DEADLINE:
        raise InvalidRequestError("the signature's deadline is more than 30 days away")
    expected = expected_nonce(session, ledger, author)
    nonce = metadata.registration.nonce
    if nonce < expected:
        raise ConflictError(f"nonce {nonce} was already used (replayed signature); the next nonce is {expected}", code="nonce_replayed")
    if nonce > expected:
        raise InvalidRequestError(f"nonce must be {expected} (the author's next registration nonce), not {nonce}", code="invalid_nonce")


def check_part_name(name: str) -> None:
    """Refuse (400 ``invalid_part_name``, naming the rule) a part name that is not a plain file name."""
    rule = None
    if "/" in name or "\\" in name:
        rule = "may not contain '/' or '\\' (a part is a file of the bundle, not a path)"
    elif ".." in name or name in (".", ""):
        rule = "may not be '.' or contain '..'"
    elif any(unicodedata.category(c) == "Cc" for c in name):
        rule = "may not contain control characters (NUL, line breaks...)"
    elif any(c in _BIDI_CONTROLS for c in name):
        rule = "may not contain bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)"
    elif name != name.strip():
        rule = "may not begin or end with white space"
    if rule:
        raise RegistryError(f"part name {name!r} {rule}", code="invalid_part_name", part=name)


async def receive_submission(
    request: Request, adder: BundleAdder, check_metadata: Any, limits: Limits
) -> tuple[SubmissionMetadata, dict[str, Any], dict[str, PartReceived]]:
    """Read the multipart body: the metadata (checked by ``check_metadata`` before any file), then
    each part into ``adder``. Raises on the first problem; the caller aborts the adder."""
    metadata: SubmissionMetadata | None = None
    signed: dict[str, Any] = {}
    declared: dict[str, PartEntry] = {}
    received: dict[str, PartReceived] = {}
    raw = bytearray()
    current: _Receiving | None = None
    in_metadata = False
    async for event in multipart_events(request):
        if isinstance(event, PartStart):
            if metadata is None:
                if event.name != "metadata" or event.filename is not None:
                    raise InvalidRequestError("send the 'metadata' field (JSON) first, then the files")
                in_metadata = True
                continue
            if event.filename is None:
                raise InvalidRequestError(f"unexpected field {event.name!r}: after the metadata come files only")
            entry = declared.get(event.filename)
            if entry is None:
                raise InvalidRequestError(f"file {event.filename!r} is not a part declared in the metadata")
            if event.filename in received:
                raise InvalidRequestError(f"file {event.filename!r} was sent twice")
            current = _Receiving(entry, adder.part(entry.name))
        elif isinstance(event, PartData):
            if in_metadata:
                raw += event.data
                if len(raw) > METADATA_LIMIT:
                    raise PayloadTooLargeError(f"the metadata field is over {METADATA_LIMIT} bytes")
            elif current is not None:
                await _feed(current, event.data, limits)
        elif isinstance(event, PartEnd):
            if in_metadata:
                metadata, signed = _parse_metadata(bytes(raw))
                await asyncio.to_thread(check_metadata, metadata)
                declared = {p.name: p for p in metadata.parts}
                in_metadata = False
            elif current is not None:
                received[current.entry.name] = await _finish(current, limits)
                current = None
    if metadata is None:
        raise InvalidRequestError("the request has no 'metadata' field")
    missing = [name for name in declared if name not in received]
    if missing:
        raise InvalidRequestError(f"declared parts were not sent: {', '.join(missing)}")
    return metadata, signed, received


def _check_type(part: _Receiving, head: bytes, limits: Limits) -> None:
    part.media_type = sniff_media_type(head, part.entry.name)
    part.prints.set_media_type(part.media_type)
    family = media_family(part.media_type)
    if family not in PART_ROLES[part.entry.role]:
        raise UnsupportedMediaTypeError(
            f"part {part.entry.name!r} is declared {part.entry.role}, which takes {', '.join(sorted(PART_ROLES[part.entry.role]))}, "
            f"but its content is {part.media_type}; nothing was stored",
            part=part.entry.name,
        )
    if family == "image":
        _check_pixels(part, head, limits)


def _check_pixels(part: _Receiving, head: bytes, limits: Limits) -> None:
    """Refuse an image whose header announces more pixels than the limit (read, never decoded)."""
    size = image_size(head)
    if size is not None and size[0] * size[1] > limits.max_pixels:
        width, height = size
        raise PayloadTooLargeError(
            f"image part {part.entry.name!r} is {width} x {height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_pixels:,} pixels (EDULEDGER_MAX_IMAGE_PIXELS); nothing was stored",
            part=part.entry.name,
            max_pixels=limits.max_pixels,
        )


def _push(part: _Receiving, data: bytes) -> None:
    part.writer.feed(data)
    part.prints.push(data)


async def _feed(part: _Receiving, data: bytes, limits: Limits) -> None:
    if part.media_type is None:
        part.head += data
        if len(part.head) < SNIFF_BYTES:
            return
        _check_type(part, bytes(part.head), limits)
        data, part.head = bytes(part.head), bytearray()
    part.pending += data
    if len(part.pending) >= _FEED_BATCH:
        chunk, part.pending = bytes(part.pending), bytearray()
        await limits.run(_push, part, chunk)


async def _finish(part: _Receiving, limits: Limits) -> PartReceived:
    if part.media_type is None:
        _check_type(part, bytes(part.head), limits)
        part.pending, part.head = part.head, bytearray()
    if part.pending:
        await limits.run(_push, part, bytes(part.pending))
    ref = await asyncio.to_thread(part.writer.finish)
    if ref.filesize == 0:
        raise InvalidRequestError(f"part {part.entry.name!r} is empty")
    return PartReceived(part.entry.name, part.entry.role, part.entry.name, ref, part.media_type or "", await _fingerprint(part, limits))


async def _fingerprint(part: _Receiving, limits: Limits) -> Fingerprint:
    prints = await limits.run(functools.partial(part.prints.result, with_content=False))
    wanted = part.prints.content_input()
    if wanted is None:
        return prints
    data, media_type = wanted
    if media_type.startswith("text/") and len(data) > _IN_PROCESS:
        code = await limits.run_in_process(content_code, data, media_type)
    else:
        code = await limits.run(content_code, data, media_type)  # images: Pillow decodes without the GIL
    return dataclasses.replace(prints, content_code=code)


def _near_duplicates(
    session: Session, received: dict[str, PartReceived], *, resource_id: int | None, threshold: int
) -> list[dict[str, Any]]:
    """Parts of other resources identical to, or within ``threshold`` bits of, the submitted parts.

    Candidates come back as (version, part, code) only; versions are loaded for the hits alone.
    """
    others = ResourceVersion.resource_id != resource_id if resource_id is not None else ResourceVersion.id.is_not(None)
    best: dict[tuple[int, str, str], tuple[str, int]] = {}  # (version id, their part, our part) → (kind, distance)

    def note(version_id: int, other_part: str, part: str, kind: str, distance: int) -> None:
        key = (version_id, other_part, part)
        if key not in best or best[key][1] > distance:
            best[key] = (kind, distance)

    bands = [FingerprintRow.b0, FingerprintRow.b1, FingerprintRow.b2, FingerprintRow.b3]
    for part in received.values():
        identical = session.execute(
            select(ContentPart.version_id, ContentPart.name)
            .join(ResourceVersion, ResourceVersion.id == ContentPart.version_id)
            .where(ContentPart.sha256 == part.fingerprint.sha256, others)
        ).all()
        for version_id, other_part in identical:
            note(version_id, other_part, part.name, "identical", 0)
        for kind in ("data", "content"):
            code = part.fingerprint.code_int(kind)
            if code is None:
                continue
            probes = band_probes(code, threshold)
            candidates = session.execute(
                select(FingerprintRow.version_id, FingerprintRow.part_name, FingerprintRow.code)
                .join(ResourceVersion, ResourceVersion.id == FingerprintRow.version_id)
                .where(FingerprintRow.kind == kind, others, or_(*[band.in_(values) for band, values in zip(bands, probes, strict=True)]))
            ).all()
            for version_id, other_part, stored in candidates:
                distance = hamming(code, stored + (1 << 63))
                if distance <= threshold:
                    note(version_id, other_part, part.name, kind, distance)
    versions = (
        {v.id: v for v in session.scalars(select(ResourceVersion).where(ResourceVersion.id.in_({k[0] for k in best})))} if best else {}
    )
    hits = [
        {
            "resourceId": versions[version_id].resource_id,
            "version": versions[version_id].number,
            "owner": versions[version_id].author,
            "title": versions[version_id].title,
            "state": versions[version_id].state,
            "part": part,
            "similarPart": other_part,
            "kind": kind,
            "distance": distance,
        }
        for (version_id, other_part, part), (kind, distance) in best.items()
    ]
    return sorted(hits, key=lambda hit: (hit["distance"], hit["resourceId"], hit["version"]))


def finish_submission(
    session: Session,
    ledger: Ledger,
    adder: BundleAdder,
    *,
    author: str,
    metadata: SubmissionMetadata,
    signed: dict[str, Any],
    received: dict[str, PartReceived],
    predecessor: ResourceVersion | None,
    near_duplicate_bits: int,
) -> ResourceVersion:
    """Check what arrived against the signature, refuse duplicates, flag near-duplicates, record
    the version with its screening events and registration job, and commit content and rows."""
    root = adder.root()
    cid = str(root.cid)
    if metadata.registration.cid != cid:
        raise InvalidRequestError(
            f"the registration was signed for CID {metadata.registration.cid}, but the uploaded parts make {cid}; nothing was stored",
            code="content_mismatch",
            cid=cid,
        )
    content_hash = "0x" + root.cid.digest.hex()
    existing = session.scalar(select(ResourceVersion).where(ResourceVersion.content_hash == content_hash))
    if existing is not None:
        raise DuplicateResourceError(
            f"identical content is already registered as resource {existing.resource_id} (version {existing.number}) by {existing.author}",
            resource_id=existing.resource_id,
            version=existing.number,
            owner=existing.author,
        )
    on_chain = int(ledger.contracts["ResourceRegistry"].call("resourceIdByContent", root.cid.digest))
    if on_chain:
        owner = ledger.contracts["ResourceRegistry"].call("resource", on_chain)["registrant"]
        raise DuplicateResourceError(
            f"identical content is already registered on chain as resource #{on_chain} by {owner}",
            chain_resource_id=on_chain,
            owner=owner,
        )
    version = ResourceVersion(
        number=1,
        author=author,
        title=metadata.title,
        description=metadata.description,
        keywords=list(metadata.keywords),
        resource_type=metadata.resource_type,
        catalogue_node_id=metadata.catalogue_node,
        licence=metadata.licence,
        authors=[{"address": checked_address(a.address), "share": a.share} for a in metadata.authors],
        parts=[
            {
                "name": p.name,
                "role": p.role,
                "cid": str(p.ref.cid),
                "size": p.ref.filesize,
                "media_type": p.media_type,
                "sha256": p.fingerprint.sha256,
            }
            for p in (received[entry.name] for entry in metadata.parts)
        ],
        root_cid=cid,
        content_hash=content_hash,
        metadata_hash="0x" + metadata_hash(signed).hex(),
        signature=metadata.registration.signature.lower(),
        nonce=metadata.registration.nonce,
        deadline=metadata.registration.deadline,
        state=State.SUBMITTED,
    )
    node = session.get(CatalogueNode, metadata.catalogue_node)  # (checked above)
    version.stage, version.subject = (node.stage, node.subject) if node is not None else (None, None)
    version.created_at = utcnow()
    version.submitted_month = china_month(version.created_at)  # the 数据驾驶舱's facts (registry.crud.dashboard)
    domain = authorship.domain_of(ledger)
    predecessor_chain = (predecessor.chain_resource_id or 0) if predecessor else 0
    signature = bytes.fromhex(version.signature[2:])
    signer = recover_address(domain.digest(registration_of(version, predecessor_chain).struct_hash()), signature)
    if signer != author:
        raise RegistryError(
            "the EIP-712 signature does not match this registration (content, metadata, authors, licence, nonce, deadline and "
            f"predecessor #{predecessor_chain} are signed); nothing was stored",
            code="invalid_signature",
        )
    flagged = _near_duplicates(
        session, received, resource_id=predecessor.resource_id if predecessor else None, threshold=near_duplicate_bits
    )
    if predecessor is None:
        resource = Resource(owner=author)
        session.add(resource)
        session.flush()
        version.resource_id = resource.id
    else:
        version.resource_id = predecessor.resource_id
        version.number = predecessor.number + 1
        version.predecessor_id = predecessor.id
        if predecessor.state == State.REVISIONS_REQUESTED:
            version.round = predecessor.round + 1
    user = session.get(User, author)
    version.institution_id = user.institution_id if user else None
    version.near_duplicates = flagged
    session.add(version)
    session.flush()
    for digest in sorted({root.cid.digest, *(part.ref.cid.digest for part in received.values())}):
        session.add(ContentCid(digest="0x" + digest.hex(), version_id=version.id))  # whose content a CID is (GET /ipfs)
    for part in received.values():
        session.add(ContentPart(version_id=version.id, name=part.name, sha256=part.fingerprint.sha256, size=part.ref.filesize))
        for kind in ("data", "content"):
            code = part.fingerprint.code_int(kind)
            if code is not None:
                session.add(
                    FingerprintRow(
                        version_id=version.id,
                        part_name=part.name,
                        kind=kind,
                        code=code - (1 << 63),
                        **{f"b{i}": band for i, band in enumerate(code_bands(code))},
                    )
                )
    review.record_event(
        session,
        version,
        "submit",
        actor=author,
        role="teacher",
        to_state=State.SUBMITTED,
        details={
            "contentHash": content_hash,
            "cid": cid,
            "metadataHash": version.metadata_hash,
            "parts": [p["name"] for p in version.parts],
            "predecessorVersion": predecessor.number if predecessor else None,
        },
    )
    review.transition(session, version, "screen", actor="system", role="system")
    skipped = [p.name for p in received.values() if p.fingerprint.data_code is None]
    review.transition(
        session,
        version,
        "pass_screening",
        actor="system",
        role="system",
        details={
            "checks": [
                "metadata complete",
                "declared types match content",
                "size within limits",
                "no identical registered content",
                "signature of the lead author",
            ],
            "nearDuplicates": len(flagged),
            "similarityNotComputed": skipped,
        },
    )
    if predecessor is not None and predecessor.state == State.REVISIONS_REQUESTED:
        review.supersede(session, predecessor, by_version=version)
    enqueue(session, "register_resource", {"version_id": version.id}, subject=f"version:{version.id}")
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError("the same content or nonce was submitted at the same moment; nothing was stored") from exc
    adder.commit()
    return version


async def submit(
    request: Request,
    *,
    author: HeldRoles,
    resource_id: int | None,
    settings: Settings,
    ledger: Ledger,
    store: LocalContentStore | KuboContentStore,
    sessions: sessionmaker[Session],
    limits: Limits,
    present: Callable[[Session, ResourceVersion], _T],
) -> _T:
    """A submission from the request to the commit: a new resource, or with ``resource_id`` a new
    version of it. The metadata is checked before any file byte is stored (:func:`validate_metadata`),
    the parts received (:func:`receive_submission`) and the version recorded
    (:func:`finish_submission`) in one transaction that still requires ``author`` to hold its roles.
    ``present`` renders the committed version in that session. Anything refused stores nothing;
    content that was committed when the row's commit failed is unpinned (collectable)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.MAX_UPLOAD_SIZE + 2 * METADATA_LIMIT:
        raise ContentTooLargeError(f"the upload is {declared} bytes, over the limit of {settings.MAX_UPLOAD_SIZE} bytes")

    def check(metadata: SubmissionMetadata) -> None:
        with sessions() as db:
            validate_metadata(db, ledger, metadata, author=author.address, max_parts=settings.MAX_PARTS)
            if resource_id is not None:
                predecessor_of(db, resource_id, author.address)

    with store.bundle_adder(SUBMISSION_PARAMS) as adder:
        metadata, signed, received = await receive_submission(request, adder, check, limits)

        def finish() -> _T:
            with sessions() as db:
                hold_roles(db, author)  # still holds its roles when it commits, after the upload
                predecessor = predecessor_of(db, resource_id, author.address) if resource_id is not None else None
                if predecessor is not None:
                    predecessor = review.lock_version(db, predecessor.id)
                version = finish_submission(
                    db,
                    ledger,
                    adder,
                    author=author.address,
                    metadata=metadata,
                    signed=signed,
                    received=received,
                    predecessor=predecessor,
                    near_duplicate_bits=settings.NEAR_DUPLICATE_BITS,
                )
                try:
                    db.commit()
                except BaseException:
                    store.unpin(adder.root().cid)  # committed content no row refers to: unpinned, collectable
                    raise
                return present(db, version)

        return await asyncio.to_thread(finish)

"""Content over HTTP, following the IPFS trustless gateway specification.

``GET /ipfs/{cid}[/{path}]`` serves a file (with Range support, ETag = the CID), a directory
listing (JSON), one verified block (``?format=raw`` or ``Accept: application/vnd.ipld.raw``) or
the whole DAG as a CAR (``?format=car`` or ``Accept: application/vnd.ipld.car``), so standard IPFS
clients can fetch from us and verify what they get. ``POST /ipfs`` stores an upload.

Content is what users uploaded, served on the registry's own origin, so it never runs there: every
answer carries ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox`` (a page
that opens anyway gets a unique origin, no script, no forms), and only types a browser shows
without running anything (images other than SVG, PDF, audio, video) are ``inline``; HTML, SVG,
scripts, XML and everything else are ``attachment``. The file name given in ``?filename=`` is
cleaned before it reaches ``Content-Disposition`` (RFC 6266, with the RFC 5987 UTF-8 form).

Content of versions not accepted is served only to their authors, assigned reviewers and
administrators (``Authorization: Bearer``), never cached by anyone else
(:mod:`registry.workflows.content_access`).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from ledger_service import ContentNotFoundError, TruncatedContentError
from ledger_service.content import CID, DagReader, ImportParams, decode_pbnode, sniff_media_type

from ...workflows.content_access import content_access
from ..deps import ContentDep, ContentLinksDep, OptionalUser, SessionDep, TeacherUser

router = APIRouter(prefix="/ipfs", tags=["ipfs"])

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_IMMUTABLE = "public, max-age=29030400, immutable"
_PRIVATE = "private, no-store"  # content under review: for the reader who asked, kept by no cache
# What user content may do when a browser opens it: nothing but show itself.
CONTENT_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
_CONTENT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": CONTENT_POLICY}
_INLINE_PREFIXES = ("image/", "audio/", "video/")
_NEVER_INLINE = frozenset({"image/svg+xml"})  # SVG is a document that can hold script
_INLINE_TYPES = frozenset({"application/pdf"})
# Control characters, bidi overrides and isolates (a name that reads "fdp.exe" as "exe.pdf"),
# path separators and the characters that end a quoted header value.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\"]')


class AddedPublic(BaseModel):
    cid: str
    size: int


class EntryPublic(BaseModel):
    name: str
    cid: str
    size: int


def _resolve(store: DagReader, root: CID, path: str) -> CID:
    current = root
    for name in [part for part in path.split("/") if part]:
        if current.codec != 0x70:
            raise ContentNotFoundError(f"{current} is a raw block and has no entry {name!r}")
        links = {link.name: link.cid for link in decode_pbnode(store.get_block(current), cid=current).links}
        if name not in links:
            raise ContentNotFoundError(f"{root}/{path}: no entry named {name!r}")
        current = links[name]
    return current


def _media_type(first: bytes, filename: str | None) -> str:
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return sniff_media_type(first)


def is_inline(media_type: str) -> bool:
    """Whether a browser may show content of ``media_type`` in place (it cannot run anything)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return base not in _NEVER_INLINE and (base in _INLINE_TYPES or base.startswith(_INLINE_PREFIXES))


def safe_filename(name: str) -> str:
    """``name`` without control or bidi characters, path separators or quotes, at most 200 characters."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return cleaned[:200] or "download"


def content_disposition(media_type: str, filename: str | None) -> str:
    """``inline`` for safe types, else ``attachment``; the name as ASCII and as RFC 5987 UTF-8."""
    disposition = "inline" if is_inline(media_type) else "attachment"
    if not filename:
        return disposition
    name = safe_filename(filename)
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end exclusive), or None when unsatisfiable; raises ValueError when malformed."""
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise ValueError(header)
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size
    else:
        start = int(first)
        end = size if last == "" else min(size, int(last) + 1)
    return (start, end) if start < end and start < size else None


@router.get("/{cid}", response_model=None, responses={206: {"description": "Partial content"}})
@router.get("/{cid}/{path:path}", response_model=None, include_in_schema=False)
def read_content(
    cid: str,
    store: ContentDep,
    db: SessionDep,
    reader: OptionalUser,
    content_links: ContentLinksDep,
    path: str = "",
    format: str | None = Query(default=None, pattern="^(raw|car)$"),
    filename: str | None = None,
    accept: str | None = Header(default=None),
    range_header: str | None = Header(default=None, alias="range"),
    if_none_match: str | None = Header(default=None),
    access: str | None = Query(default=None, max_length=200, description="a content link's grant (for pages: img, video, downloads)"),
) -> Response:
    """A file, a directory listing, one block (format=raw) or the DAG as a CAR (format=car)."""
    root = CID.parse(cid)
    linked = content_links.reader(access, root) if access else None
    public = content_access(db, root, reader, linked=linked).public
    target = _resolve(store, root, path)
    if target != root:
        public = content_access(db, target, reader, linked=linked).public and public
    cache = _IMMUTABLE if public else _PRIVATE
    wanted = format or (
        "raw" if accept and "application/vnd.ipld.raw" in accept else "car" if accept and "application/vnd.ipld.car" in accept else None
    )
    if wanted == "raw":
        etag = f'"{target}.raw"'
        headers = {"ETag": etag, "Cache-Control": cache, **_CONTENT_HEADERS}
        if if_none_match == etag:
            return Response(status_code=304, headers=headers)
        return Response(store.get_block(target), media_type="application/vnd.ipld.raw", headers=headers)
    if wanted == "car":
        stream = store.export_car(target)
        first = next(stream)  # a missing root fails here, before the status line is sent
        etag = f'"{target}.car"'
        return StreamingResponse(
            _prepend(first, stream),
            media_type="application/vnd.ipld.car; version=1",
            headers={"ETag": etag, "Cache-Control": cache, "Content-Disposition": "attachment", **_CONTENT_HEADERS},
        )
    stat = store.stat(target)
    etag = f'"{target}"'
    if stat.kind == "directory":
        links = decode_pbnode(store.get_block(target), cid=target).links
        entries = [EntryPublic(name=link.name, cid=str(link.cid), size=link.tsize).model_dump() for link in links]
        return JSONResponse({"cid": str(target), "entries": entries}, headers={"ETag": etag, "Cache-Control": cache, **_CONTENT_HEADERS})
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Accept-Ranges": "bytes",
        "X-Ipfs-Path": quote(f"/ipfs/{root}/{path}".rstrip("/")),
        **_CONTENT_HEADERS,
    }
    if if_none_match == etag:
        return Response(status_code=304, headers=headers)
    head = b"".join(store.cat(target, 0, 512))
    name = filename or (path.rsplit("/", 1)[-1] if path else None)
    headers["Content-Type"] = _media_type(head, name)
    headers["Content-Disposition"] = content_disposition(headers["Content-Type"], name)
    start, end, status = 0, stat.size, 200
    if range_header:
        try:
            span = _parse_range(range_header, stat.size)
        except ValueError:
            return JSONResponse({"error": "invalid_range", "message": f"cannot parse Range {range_header!r}"}, status_code=400)
        if span is None:
            return JSONResponse(
                {"error": "range_not_satisfiable", "message": f"the file has {stat.size} bytes"},
                status_code=416,
                headers={"Content-Range": f"bytes */{stat.size}"},
            )
        start, end, status = span[0], span[1], 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{stat.size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(store.cat(target, start, end - start), status_code=status, headers=headers)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


@router.post("", response_model=AddedPublic, status_code=201)
async def create_content(
    request: Request,
    store: ContentDep,
    teacher: TeacherUser,
    cid_version: int = Query(default=0, ge=0, le=1),
    content_length: int | None = Header(default=None),
) -> AddedPublic:
    """Store the request body (teachers; streamed, never held whole in memory); answers its CID."""
    try:
        root = await store.add_async(request.stream(), ImportParams(cid_version=cid_version), expected_size=content_length, pin=True)
    except ClientDisconnect:
        raise TruncatedContentError("the upload was cut off before its end; nothing was stored") from None
    return AddedPublic(cid=str(root.cid), size=root.filesize)

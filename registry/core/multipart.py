"""Reading ``multipart/form-data`` as a stream of events, so an upload goes straight into the
content store as it arrives (Starlette's ``request.form()`` spools every file to a temporary file
first). Headers are parsed; each part's bytes come in the order received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ledger_service import TruncatedContentError

from .errors import InvalidRequestError, UnsupportedMediaTypeError

__all__ = ["PartEnd", "PartData", "PartStart", "multipart_events"]


@dataclass(frozen=True)
class PartStart:
    name: str
    filename: str | None
    content_type: str | None


@dataclass(frozen=True)
class PartData:
    data: bytes


@dataclass(frozen=True)
class PartEnd:
    pass


Event = PartStart | PartData | PartEnd


@dataclass
class _Collector:
    events: list[Event] = field(default_factory=list)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    headers: dict[str, bytes] = field(default_factory=dict)
    finished: bool = False

    def on_part_begin(self) -> None:
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.decode("latin-1").lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        # Raw header bytes in: names and file names come back as sent (UTF-8 from browsers and httpx).
        _, options = parse_options_header(self.headers.get("content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise InvalidRequestError("a multipart part has no name (Content-Disposition: form-data; name=...)")
        filename = options.get(b"filename")
        content_type = self.headers.get("content-type")
        try:
            self.events.append(
                PartStart(
                    name.decode("utf-8"),
                    filename.decode("utf-8") if filename is not None else None,
                    content_type.decode("latin-1") if content_type is not None else None,
                )
            )
        except UnicodeDecodeError:
            raise InvalidRequestError("a multipart part's name or file name is not UTF-8") from None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(PartData(bytes(data[start:end])))

    def on_part_end(self) -> None:
        self.events.append(PartEnd())

    def on_end(self) -> None:
        self.finished = True


async def multipart_events(request: Request) -> AsyncIterator[Event]:
    """The parts of a multipart request body, as events, while it streams in."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise UnsupportedMediaTypeError("send the submission as multipart/form-data (a 'metadata' field, then the files)")
    collector = _Collector()
    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_end": collector.on_end,
        },
    )
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                raise InvalidRequestError(f"the multipart body is malformed: {exc}") from None
            for event in collector.events:
                yield event
            collector.events.clear()
    except ClientDisconnect:
        raise TruncatedContentError("the upload was cut off before its end; nothing was stored") from None
    if not collector.finished:
        raise TruncatedContentError("the multipart body ended before its closing boundary; nothing was stored")

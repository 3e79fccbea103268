"""ASGI middleware of the registry: JSON bodies read strictly, and nothing unexpected ever becomes a
plain-text 500 or a dropped connection.

- :class:`StrictJsonMiddleware` reads each JSON request body as FastAPI will (a JSON content type,
  or none) and refuses, with a 400 naming the problem, a key given twice (``duplicate_json_key``),
  a lone surrogate, a non-finite number or nesting past the limit (``invalid_json``), and a body
  over the limit (413). Routes that judge JSON themselves (``POST /verify`` answers with a
  verification report) are exempt from the reading, not from the limit. Malformed JSON is left to
  FastAPI's own 422. Large bodies are read off the event loop.
- :class:`CatchAllMiddleware` turns any exception no handler took into a JSON 500
  ``{"error": "internal_error", ...}`` with a reference the log also carries, and keeps the
  connection open for the client's next request.
- :class:`BodyDeadlineMiddleware` answers 408 ``{"error": "request_timeout"}`` (and closes the
  connection) when the next piece of a request body does not arrive within the deadline, whoever
  was waiting for it (the JSON reader, an upload, a route).
- :class:`SecurityHeadersMiddleware` gives every answer the headers a browser needs to keep the
  registry's pages its own: a Content-Security-Policy (scripts from this origin only, no framing),
  ``X-Frame-Options``, ``Referrer-Policy`` and ``nosniff``. A route that sets its own policy keeps
  it (user content under ``/ipfs`` is sandboxed there).
"""

from __future__ import annotations

import email.message
import logging
import secrets
from collections.abc import Collection

import anyio
import anyio.to_thread
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_service import InvalidJsonError, strict_loads

from ..core.errors import PayloadTooLargeError
from .errors import status_for

__all__ = ["PAGE_POLICY", "BodyDeadlineMiddleware", "CatchAllMiddleware", "SecurityHeadersMiddleware", "StrictJsonMiddleware"]

log = logging.getLogger("registry")
_INLINE_LIMIT = 64 * 1024


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body with this content type as JSON (it does when there is none)."""
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


class StrictJsonMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, exempt: Collection[str] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type")
        if not _is_json(content_type):
            await self.app(scope, receive, send)
            return
        declared = bool(content_type)  # without a content type FastAPI still reads JSON, but uploads come so too
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break  # the client left: the route sees it as it would have
            size += len(message.get("body", b""))
            if not declared and (size > self.max_body or not _looks_like_json(received)):
                break  # not JSON, or too large to be a body FastAPI reads: streamed on untouched
            if size > self.max_body:
                status, code = status_for(PayloadTooLargeError(""))
                await self._refuse(scope, receive, send, status, code, f"a JSON body is limited to {self.max_body:,} bytes")
                return
            if not message.get("more_body", False):
                body = b"".join(m.get("body", b"") for m in received)
                refusal = await self._judge(body) if body and scope["path"] not in self.exempt else None
                if refusal is not None:
                    await self._refuse(scope, receive, send, 400, *refusal)
                    return
                break
        pending = list(received)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _judge(body: bytes) -> tuple[str, str] | None:
        """(code, message) refusing ``body``, or None. Malformed JSON is left to FastAPI's own 422."""
        try:
            if len(body) > _INLINE_LIMIT:  # a batch of thousands of records: ~0.1 s a MiB, not on the event loop
                await anyio.to_thread.run_sync(strict_loads, body)
            else:
                strict_loads(body)
        except InvalidJsonError as exc:
            if exc.reason != "syntax":
                return "duplicate_json_key" if exc.reason == "duplicate_key" else "invalid_json", f"the JSON body is refused: {exc}"
        return None

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
        await JSONResponse(status_code=status, content={"error": code, "message": message})(scope, receive, send)


def _looks_like_json(received: list[Message]) -> bool:
    """Whether a body without a content type starts like a JSON object or array (else: an upload)."""
    for message in received:
        text = message.get("body", b"").lstrip()
        if text:
            return text[:1] in (b"{", b"[")
    return True  # nothing yet to tell by


class CatchAllMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("unexpected error %s in %s %s", reference, scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out: nothing truthful can follow it
            response = JSONResponse(
                status_code=500,
                content={
                    "error": "internal_error",
                    "message": f"an unexpected error (reference {reference} in the service's log); please report it",
                },
            )
            await response(scope, receive, send)


# The web application and the API documentation need no inline script and no eval; Element Plus,
# Swagger UI and ReDoc set style attributes, ReDoc runs its search in a worker made from a blob.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = (
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _SECURITY_HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class _BodyTimedOut(Exception):
    """The client stopped sending its request body (raised into whoever was waiting for it)."""


class BodyDeadlineMiddleware:
    def __init__(self, app: ASGIApp, *, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False
        timed_out = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if body_done or timed_out:
                return await receive()  # after the body only a disconnect comes: waiting for it is no cost
            with anyio.move_on_after(self.timeout):
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    body_done = True
                return message
            timed_out = True
            raise _BodyTimedOut

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out and not started:
                return  # whatever a reader made of the missing body (a 400, say), the answer is the 408
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except _BodyTimedOut:
            pass
        except Exception:
            if not timed_out:
                raise
        if timed_out and not started:
            log.info("request body of %s %s timed out after %.0f s", scope.get("method"), scope.get("path"), self.timeout)
            await JSONResponse(
                status_code=408,
                headers={"Connection": "close"},
                content={
                    "error": "request_timeout",
                    "message": f"the request body stopped arriving (nothing for {self.timeout:g} s before its declared end); send it again",
                },
            )(scope, receive, send)

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
"""

from __future__ import annotations

import email.message
import logging
import secrets
from collections.abc import Collection

import anyio.to_thread
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_service import InvalidJsonError, strict_loads

__all__ = ["CatchAllMiddleware", "StrictJsonMiddleware"]

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
        if not _is_json(headers.get("content-type")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._refuse(scope, receive, send, 413, "payload_too_large",
                                   f"a JSON body is limited to {self.max_body:,} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and scope["path"] not in self.exempt:
            try:
                if len(body) > _INLINE_LIMIT:  # a batch of thousands of records: ~0.1 s a MiB, not on the event loop
                    await anyio.to_thread.run_sync(strict_loads, body)
                else:
                    strict_loads(body)
            except InvalidJsonError as exc:
                if exc.reason != "syntax":  # malformed JSON: FastAPI's own 422 says where
                    code = "duplicate_json_key" if exc.reason == "duplicate_key" else "invalid_json"
                    await self._refuse(scope, receive, send, 400, code, f"the JSON body is refused: {exc}")
                    return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
        await JSONResponse(status_code=status, content={"error": code, "message": message})(scope, receive, send)


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
            response = JSONResponse(status_code=500, content={
                "error": "internal_error",
                "message": f"an unexpected error (reference {reference} in the service's log); please report it",
            })
            await response(scope, receive, send)

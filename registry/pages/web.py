"""The web application (``web/``, built by ``make``) and the API documentation, served by the registry.

The application owns one path prefix, ``/app/``; every other top-level path belongs to the JSON API,
so a page's URL never shadows an endpoint, now or later. The one URL both share is a certificate's
``/certificates/{id}/verify`` (printed as a QR code on every PDF): browsers asking for HTML get the
application's shell there, which shows the verification page; JSON clients get JSON as before.

Built text files have gzip twins (``*.gz``, made by the build); hashed assets are cached for a year.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

__all__ = ["app_shell", "router", "web_root"]

router = APIRouter(include_in_schema=False)

_DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "web" / "dist"
_NOT_BUILT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>EduLedger</title></head><body>
<h1>网页应用尚未构建 · The web application is not built</h1>
<p>运行 <code>make run</code>（或 <code>make web</code>）构建 <code>web/</code>。JSON 接口照常可用：<a href="/docs">/docs</a>。</p>
</body></html>"""
_IMMUTABLE = "public, max-age=31536000, immutable"
mimetypes.add_type("text/javascript", ".mjs")  # pdf.js's worker: a module worker needs a JavaScript type, whatever the system's table says


def web_root(request: Request) -> Path:
    configured = request.app.state.settings.WEB_DIR
    return Path(configured) if configured else _DEFAULT_ROOT


def _send(request: Request, path: Path, *, cache: str) -> Response:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in ("application/javascript", "image/svg+xml", "application/json"):
        media_type += "; charset=utf-8" if "charset" not in media_type else ""
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    twin = path.with_name(path.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and twin.is_file():
        return FileResponse(twin, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(path, media_type=media_type, headers=headers)


def app_shell(request: Request) -> Response:
    """The application's index.html (never cached: it names the current assets)."""
    index = web_root(request) / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
    return _send(request, index, cache="no-cache")


@router.get("/")
def read_root() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app")
def read_app_bare() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=308)


@router.get("/app/{path:path}")
def read_app(path: str, request: Request) -> Response:
    """A built file if there is one (assets, vendor scripts), else the shell: the router shows the page."""
    root = web_root(request).resolve()
    if path:
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root) and candidate.is_file() and not candidate.name.endswith(".gz"):
            return _send(request, candidate, cache=_IMMUTABLE if path.startswith("assets/") else "no-cache")
        if path.startswith(("assets/", "vendor/")) or "." in path.rsplit("/", 1)[-1]:
            return JSONResponse({"error": "not_found", "message": f"the web application has no file {path!r}"}, status_code=404)
    return app_shell(request)


_DOCS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EduLedger registry API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{head}</head><body>{body}</body></html>"""


@router.get("/docs", response_class=HTMLResponse)
def read_swagger_ui() -> HTMLResponse:
    """Swagger UI from npm's swagger-ui-dist, served here (no CDN); its start-up script is a file, not inline."""
    return HTMLResponse(
        _DOCS.format(
            head='<link rel="stylesheet" href="/app/vendor/swagger-ui.css">',
            body='<div id="swagger-ui"></div><script src="/app/vendor/swagger-ui-bundle.js"></script>'
            '<script src="/app/vendor/swagger-init.js"></script>',
        )
    )


@router.get("/redoc", response_class=HTMLResponse)
def read_redoc() -> HTMLResponse:
    """ReDoc from npm, served here (no CDN)."""
    return HTMLResponse(
        _DOCS.format(head="", body='<redoc spec-url="/openapi.json"></redoc><script src="/app/vendor/redoc.standalone.js"></script>')
    )

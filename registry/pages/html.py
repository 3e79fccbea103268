"""Server-rendered pages (Jinja2, autoescaped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["render_page", "wants_html"]

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


def render_page(name: str, **context: Any) -> str:
    return _TEMPLATES.get_template(name).render(**context)


def wants_html(accept: str | None, format_: str | None) -> bool:
    """``?format=html`` or a browser's Accept header (text/html before any JSON)."""
    if format_:
        return format_ == "html"
    if not accept:
        return False
    html = accept.find("text/html")
    json = accept.find("application/json")
    return html != -1 and (json == -1 or html < json)

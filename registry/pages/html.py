"""Content negotiation for URLs that serve both people (a page) and programs (JSON)."""

from __future__ import annotations

__all__ = ["wants_html"]


def wants_html(accept: str | None, format_: str | None) -> bool:
    """``?format=html`` or a browser's Accept header (text/html before any JSON)."""
    if format_:
        return format_ == "html"
    if not accept:
        return False
    html = accept.find("text/html")
    json = accept.find("application/json")
    return html != -1 and (json == -1 or html < json)

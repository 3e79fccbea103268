"""Print the registry's OpenAPI document (``python -m registry.openapi``): the web application's
TypeScript types are generated from it (``make web-types``)."""

from __future__ import annotations

import json
import sys

from .core.config import Settings
from .main import create_app

__all__ = ["openapi_document"]


def openapi_document() -> str:
    """The document as stable JSON text (no chain or database is opened)."""
    return json.dumps(create_app(Settings(ENVIRONMENT="test")).openapi(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_document())

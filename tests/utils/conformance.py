"""The official W3C / 1EdTech material in ../shared/conformance (read-only, see its README)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def conformance_file(relative: str) -> Path:
    path = CONFORMANCE / relative
    if not path.exists():
        reason = f"conformance material {relative} not present at {CONFORMANCE}"
        if os.environ.get("EDULEDGER_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def load_json(relative: str) -> Any:
    return json.loads(conformance_file(relative).read_text(encoding="utf-8"))

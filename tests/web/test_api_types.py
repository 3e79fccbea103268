"""The web application's TypeScript types are generated from the registry's OpenAPI document: a
change to the API without regenerating them (``make web-types``) fails here."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from registry.openapi import openapi_document

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "web" / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED = REPO / "web" / "src" / "api" / "schema.d.ts"


def test_the_generated_api_types_are_current(tmp_path: Path) -> None:
    if shutil.which("node") is None or not GENERATOR.is_file():
        reason = "node or web/node_modules missing (`make` installs them)"
        if os.environ.get("EDULEDGER_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    (tmp_path / "openapi.json").write_text(openapi_document(), encoding="utf-8")
    subprocess.run(
        [str(GENERATOR), str(tmp_path / "openapi.json"), "-o", str(tmp_path / "schema.d.ts")],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=REPO / "web",
    )
    assert (tmp_path / "schema.d.ts").read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "web/src/api/schema.d.ts is stale: run `make web-types` and commit it"
    )

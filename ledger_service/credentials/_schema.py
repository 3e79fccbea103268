"""Validation against the official schemas: OB 3.0 AchievementCredential and W3C VC 2.0."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator, Draft202012Validator

__all__ = ["schema_errors"]

_FOLDER = Path(__file__).with_name("schemas")


@lru_cache(maxsize=None)
def _validators() -> tuple[Draft201909Validator, Draft202012Validator]:
    ob = json.loads((_FOLDER / "ob-achievementcredential.json").read_text(encoding="utf-8"))
    vc = json.loads((_FOLDER / "vc-v2-credential.json").read_text(encoding="utf-8"))
    return Draft201909Validator(ob), Draft202012Validator(vc)


def schema_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks either schema, as ``schema: path: message`` lines (empty: valid)."""
    ob, vc = _validators()
    problems = []
    for label, validator in (("OB 3.0", ob), ("VC 2.0", vc)):
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in error.absolute_path) or "(document)"
            problems.append(f"{label}: {path}: {error.message[:200]}")
    return problems

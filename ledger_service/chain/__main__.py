"""``python -m ledger_service.chain compile [--check]``: build (or check) the committed artifacts."""

from __future__ import annotations

import argparse
import json
import sys

from .._exceptions import EduLedgerError
from ._artifacts import ARTIFACTS_PATH, write_artifacts
from ._compile import compile_contracts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger_service.chain")
    sub = parser.add_subparsers(dest="command", required=True)
    compile_parser = sub.add_parser("compile", help="compile contracts/ into the committed artifacts")
    compile_parser.add_argument("--check", action="store_true", help="fail if the committed artifacts differ")
    args = parser.parse_args(argv)
    try:
        document = compile_contracts()
    except EduLedgerError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        committed = json.loads(ARTIFACTS_PATH.read_text(encoding="utf-8")) if ARTIFACTS_PATH.exists() else None
        if committed != json.loads(json.dumps(document)):
            print(f"{ARTIFACTS_PATH} is not what the sources compile to; run `make build` and commit it", file=sys.stderr)
            return 1
        print(f"{ARTIFACTS_PATH} is reproducible ({len(document['contracts'])} contracts)")
        return 0
    path = write_artifacts(document)
    print(f"wrote {path} ({len(document['contracts'])} contracts, solc {document['compiler']['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

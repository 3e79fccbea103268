"""``python -m ledger_service.content cid [--cid-version 1] FILE…``: what ``ipfs add --only-hash`` prints.

One CID per file, computed while streaming the file; nothing is stored.
"""

from __future__ import annotations

import argparse
import sys

from ._cid_of import cid_of_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger_service.content")
    sub = parser.add_subparsers(dest="command", required=True)
    cid = sub.add_parser("cid", help="print the CID of each file, as `ipfs add --only-hash` would")
    cid.add_argument("--cid-version", type=int, choices=(0, 1), default=0)
    cid.add_argument("--raw-leaves", choices=("true", "false"), default=None, help="default: on for CIDv1")
    cid.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    raw_leaves = None if args.raw_leaves is None else args.raw_leaves == "true"
    status = 0
    for name in args.files:
        try:
            print(cid_of_path(name, cid_version=args.cid_version, raw_leaves=raw_leaves))
        except OSError as exc:
            print(f"{name}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

"""``python -m registry``: start the embedded chain (unless EDULEDGER_RPC_URL is set) and serve.

``python -m registry reindex`` rebuilds the search index from the database instead (no chain).

The chain is opened before the web server starts, so a bad configuration or an unreachable
node ends the command with one line and exit code 1, and Ctrl-C stops the server first, then
snapshots and stops the chain.
"""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from ledger_service import EduLedgerError

log = logging.getLogger("registry")


_USAGE = "usage: python -m registry [reindex]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["reindex"]):
        print(_USAGE, file=sys.stderr)
        return 2
    from .core.config import Settings  # imports the chain library: not needed to refuse a wrong command

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per chain RPC is noise
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = f"EDULEDGER_{first['loc'][0]}" if first["loc"] else "EDULEDGER_*"
        print(f"ConfigurationError: {field}: {first['msg']}", file=sys.stderr)
        return 1
    if args == ["reindex"]:
        from .search.reindex import reindex

        return reindex(settings)
    import uvicorn  # the chain and the web application are imported only to serve (reindex and a usage error answer sooner)

    from ledger_service.chain import Ledger

    from .main import create_app

    try:
        ledger = Ledger.open(settings.chain_config())
    except EduLedgerError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    try:
        status = ledger.status()
        log.info(
            "chain %s at block %s (%s); contracts %s",
            status["chain_id"],
            status["block_number"],
            "embedded anvil" if status["embedded"] else settings.RPC_URL,
            status["contracts"],
        )
        server = uvicorn.Server(uvicorn.Config(create_app(settings, ledger=ledger), host=settings.HOST, port=settings.PORT))
        try:
            server.run()
        except KeyboardInterrupt:
            pass  # Ctrl-C: uvicorn has already shut the app down
        return 0 if server.started else 1
    finally:
        ledger.close()
        if ledger.node is None:
            log.info("stopped (the external chain keeps its own state)")
        elif ledger.saved_block is not None:
            log.info("chain state saved (snapshot at block %d); stopped", ledger.saved_block)
        else:
            log.warning(
                "chain state NOT saved (%s); stopped: the next start re-sends from the outbox what the last snapshot lacks",
                ledger.node.last_snapshot_error or "no snapshot taken",
            )


if __name__ == "__main__":
    sys.exit(main())

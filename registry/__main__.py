"""``python -m registry``: start the embedded chain (unless EDULEDGER_RPC_URL is set) and serve."""

from __future__ import annotations

import logging
import sys

import uvicorn
from pydantic import ValidationError

from ledger_service import EduLedgerError

from .core.config import Settings
from .main import create_app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per chain RPC is noise
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"ConfigurationError: EDULEDGER_{first['loc'][0] if first['loc'] else ''}: {first['msg']}", file=sys.stderr)
        return 1
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.HOST, port=settings.PORT, log_level="info")
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has already run the shutdown (chain snapshot, node stop)
    except EduLedgerError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    # uvicorn reports a failed startup (e.g. chain mismatch) by exiting without serving.
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())

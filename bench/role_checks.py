"""Benchmark: what reading an account's roles on every request costs, with and without the
Directory's event-invalidated cache of the chain's answers.

Roles are never fixed in a session (a removed role stops at once), so every signed-in request reads
them: the database's grants, the registry's pending reviewer revocations, and the chain's
REVIEWER_ROLE and bureau administrator. On one embedded anvil and one SQLite database, in one run,
a reviewer's ``GET /reviews/queue`` (signed in, role-checked) is timed:
  (a) cached: the chain's answers kept until an InstitutionRegistry log arrives (as served);
  (b) uncached: the chain asked on every request (``Directory.max_age = 0``);
beside the unauthenticated ``GET /health`` as the yardstick of the app's own overhead.

    python bench/role_checks.py [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger_service.chain import ChainConfig, Ledger, Signer, dev_signer  # noqa: E402
from registry.core.config import Settings  # noqa: E402
from registry.main import create_app  # noqa: E402
from wallet_cli._registry import RegistryClient  # noqa: E402


def per_request(client: TestClient, path: str, headers: dict[str, str], count: int) -> float:
    """Mean milliseconds of ``count`` sequential GETs (each must answer 200)."""
    start = time.perf_counter()
    for _ in range(count):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
    return (time.perf_counter() - start) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with (
            Ledger.open(ChainConfig(data_dir=workdir / "chain", anvil_port=0, snapshot_interval=0, block_time=None)) as ledger,
            TestClient(create_app(Settings(ENVIRONMENT="test", DATA_DIR=workdir / "data"), ledger=ledger)) as client,
        ):
            admin = RegistryClient(client, dev_signer(1))
            admin.sign_in()
            reviewer = RegistryClient(client, Signer(os.urandom(32)))
            admin.request("PUT", f"/users/{reviewer.signer.address}", json={"roles": ["reviewer", "teacher"]})
            client.app.state.worker.drain()  # type: ignore[attr-defined]
            reviewer.sign_in()
            directory = client.app.state.directory  # type: ignore[attr-defined]
            timings: dict[str, list[float]] = {"cached": [], "uncached": [], "health": []}
            per_request(client, "/reviews/queue", reviewer.headers, 50)  # warm-up
            for _ in range(3):  # interleaved, so drift hits both alike
                for label, max_age in (("cached", 30.0), ("uncached", 0.0)):
                    directory.max_age = max_age
                    directory.forget()
                    timings[label].append(per_request(client, "/reviews/queue", reviewer.headers, args.requests // 3))
                timings["health"].append(per_request(client, "/health", {}, args.requests // 3))
    result = {name: round(min(values), 3) for name, values in timings.items()}
    result["uncached_over_cached"] = round(result["uncached"] / result["cached"], 2)
    print(
        f"GET /reviews/queue as a reviewer: cached roles {result['cached']} ms, chain asked every request "
        f"{result['uncached']} ms ({result['uncached_over_cached']}x); GET /health {result['health']} ms"
    )
    print("RESULT " + json.dumps({"benchmark": "role_checks", "unit": "ms per request", **result}))


if __name__ == "__main__":
    main()

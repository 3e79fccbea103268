"""The registry as `make run` starts it (``python -m registry``), for the benchmarks that measure it over HTTP:
started on an embedded chain with its log beside the data directory, stopped as Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def start_server(data_dir: Path, port: int, database_url: str | None = None) -> subprocess.Popen[bytes]:
    """Start the registry on ``port`` and wait until it is healthy; exits the benchmark with the log's end if it cannot."""
    env = {
        **os.environ,
        "EDULEDGER_DATA_DIR": str(data_dir),
        "EDULEDGER_PORT": str(port),
        "EDULEDGER_ANVIL_PORT": "0",
        "EDULEDGER_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    if database_url:
        env["EDULEDGER_DATABASE_URL"] = database_url
    log_path = data_dir.parent / f"server-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "registry"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("the server did not become healthy")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop it as Ctrl-C does; kill it if it has not stopped within a minute."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()

"""The embedded chain: an anvil process under the data directory, with atomic state snapshots.

anvil's own ``--state`` dump is written in place and only on a clean exit, so a SIGKILL loses
everything. Instead this manager asks anvil for its state (``anvil_dumpState``) on an interval
and on stop, and writes it atomically (temp file, fsync, rename). On start the latest snapshot
is loaded back (``anvil_loadState``). Transactions mined after the last snapshot are lost with
the process, and the outbox re-sends them with the same signed bytes.

This module and its snapshot helper (``_snapshot.py``) are the only ones that use anvil-specific RPC methods.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .._exceptions import ChainUnavailableError, ConfigurationError, JsonRpcError
from ._compile import project_root
from ._dev import DEV_MNEMONIC
from ._rpc import HttpRpcClient

_SNAPSHOT_SCRIPT = Path(__file__).with_name("_snapshot.py")

__all__ = ["EmbeddedNode", "find_anvil", "free_port"]

_ANVIL_PACKAGE = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")


def find_anvil() -> Path:
    """The anvil binary: ``EDULEDGER_ANVIL_BIN``, else the npm package in the checkout."""
    explicit = os.environ.get("EDULEDGER_ANVIL_BIN")
    path = Path(explicit) if explicit else project_root() / _ANVIL_PACKAGE
    if not path.is_file():
        raise ConfigurationError(f"anvil not found at {path}; run `make setup` (npm ci) or set EDULEDGER_ANVIL_BIN")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # Linux: SIGKILL anvil if the service dies, so a crashed service leaves no orphan on the port.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)


class EmbeddedNode:
    """Start, snapshot and stop an anvil chain whose state lives in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        chain_id: int = 31337,
        host: str = "127.0.0.1",
        port: int = 8545,
        snapshot_interval: float = 10.0,
        block_time: float | None = 1.0,
        on_snapshot: Callable[[int], None] | None = None,
        block_gas_limit: int = 1_000_000_000,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.chain_id = chain_id
        self.host = host
        self.port = port or free_port(host)
        self.snapshot_interval = snapshot_interval
        self.block_time = block_time
        self.on_snapshot = on_snapshot
        self.block_gas_limit = block_gas_limit
        self.state_path = self.data_dir / "anvil-state.json.gz"
        self._process: subprocess.Popen[bytes] | None = None
        self._rpc: HttpRpcClient | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._keeper: threading.Thread | None = None
        self._snapshot_lock = threading.Lock()
        self.last_snapshot_error: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        if _port_in_use(self.host, self.port):
            raise ConfigurationError(f"port {self.port} on {self.host} is already in use; stop what runs there or set EDULEDGER_ANVIL_PORT")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(find_anvil()),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--hardfork", "cancun",
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", "10",
            "--balance", "1000000",
            # One automined block takes a whole JSON-RPC batch (500 registrations ≈ 170M gas);
            # with the usual 30M limit the rest would wait for the next incoming transaction.
            "--gas-limit", str(self.block_gas_limit),
        ]  # fmt: skip
        if self.block_time:
            command += ["--block-time", str(self.block_time)]
        log = open(self.data_dir / "anvil.log", "ab")  # noqa: SIM115 - handed to the child
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        log.close()
        self._rpc = HttpRpcClient(self.url, timeout=120.0)
        self._wait_ready()
        if self.state_path.exists():
            state = self.state_path.read_bytes()
            self._rpc.request("anvil_loadState", ["0x" + state.hex()])
        self._stop.clear()
        if self.snapshot_interval > 0:
            self._thread = threading.Thread(target=self._snapshot_loop, name="anvil-snapshots", daemon=True)
            self._thread.start()
        if not self.block_time:
            self._keeper = threading.Thread(target=self._automine_keeper, name="anvil-automine-keeper", daemon=True)
            self._keeper.start()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        assert self._rpc is not None and self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ChainUnavailableError(f"anvil exited with code {self._process.returncode}; see {self.data_dir / 'anvil.log'}")
            try:
                if int(self._rpc.request("eth_chainId"), 16) == self.chain_id:
                    return
            except ChainUnavailableError:
                time.sleep(0.05)
        self._process.kill()
        raise ChainUnavailableError(f"anvil did not answer within {timeout:.0f}s; see {self.data_dir / 'anvil.log'}")

    def snapshot(self) -> int:
        """Write the chain state atomically; returns a block number the snapshot certainly holds.

        The dump is taken, checked and written by a separate process (``_snapshot.py``): parsing
        the whole state would otherwise hold this process's interpreter lock for as long as it
        takes, stalling whatever else it serves. Under automine, mining is paused while anvil
        dumps (a dump taken while a block is being mined can hold the block's state changes
        without its transactions and receipts).
        """
        if self._rpc is None:
            raise ChainUnavailableError("the embedded chain is not running")
        with self._snapshot_lock:
            done = subprocess.run(
                [sys.executable, str(_SNAPSHOT_SCRIPT), self.url, str(self.state_path), "interval" if self.block_time else "automine"],
                capture_output=True,
                text=True,
                timeout=600,
            )
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            raise ChainUnavailableError(f"chain snapshot failed: {lines[-1] if lines else done.returncode}")
        block = int(done.stdout.strip())
        if self.on_snapshot:
            self.on_snapshot(block)
        return block

    def _automine_keeper(self, interval: float = 0.25) -> None:
        """Mine ready transactions that automine left behind.

        Under a burst of thousands of transactions anvil's automine can stop picking up ready
        transactions from its pool (observed with anvil 1.7.1: empty blocks with hundreds pending)
        until the next transaction arrives. When the pool holds ready transactions and no block
        came since the last look, mine one.
        """
        rpc = HttpRpcClient(self.url, timeout=30.0)
        last_head = -1
        try:
            while not self._stop.wait(interval):
                try:
                    with self._snapshot_lock:
                        head = int(rpc.request("eth_blockNumber"), 16)
                        pending = int(rpc.request("txpool_status")["pending"], 16)
                        if pending and head == last_head:
                            rpc.request("evm_mine")
                    last_head = head
                except (ChainUnavailableError, JsonRpcError):
                    if self._process is None or self._process.poll() is not None:
                        return
        finally:
            rpc.close()

    def _snapshot_loop(self) -> None:
        while not self._stop.wait(self.snapshot_interval):
            try:
                self.snapshot()
            except ChainUnavailableError:
                if self._process is None or self._process.poll() is not None:
                    return

    def stop(self) -> int | None:
        """Snapshot, then stop anvil (SIGTERM, SIGKILL after 10 s). Returns the block the final
        snapshot holds, or None when none was taken (not running, or the snapshot failed: the
        outbox re-sends what the last good snapshot lacks at the next start)."""
        self._stop.set()
        for thread in (self._thread, self._keeper):
            if thread:
                thread.join(timeout=30)
        self._thread = self._keeper = None
        saved: int | None = None
        if self._process and self._process.poll() is None:
            try:
                saved = self.snapshot()
            except (ChainUnavailableError, subprocess.TimeoutExpired, OSError) as exc:
                self.last_snapshot_error = str(exc)
            finally:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
        if self._rpc:
            self._rpc.close()
        self._process = None
        self._rpc = None
        return saved

    def __enter__(self) -> EmbeddedNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

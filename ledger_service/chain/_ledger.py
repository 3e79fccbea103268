"""The chain layer assembled: node (embedded or external), sender with outbox, deployed contracts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import ChainMismatchError, ConfigurationError
from ._artifacts import artifacts_digest, load_artifacts
from ._contracts import BoundContract
from ._deploy import Deployment, deploy_contracts
from ._dev import dev_signer, refuse_dev_key
from ._lock import DataDirLock
from ._node import EmbeddedNode
from ._outbox import Outbox
from ._revert import RevertDecoder
from ._rpc import HttpRpcClient, RpcClient
from ._sender import ReconcileReport, TransactionSender
from ._signer import Signer

__all__ = ["ChainConfig", "Ledger"]


def _close_rpc(rpc: RpcClient) -> None:
    close = getattr(rpc, "close", None)
    if callable(close):
        close()


@dataclass(frozen=True)
class ChainConfig:
    """How to reach the chain. ``rpc_url=None`` starts the embedded anvil under ``data_dir``."""

    data_dir: Path
    rpc_url: str | None = None
    chain_id: int = 31337
    relayer_key: str | None = None
    confirmations: int = 1
    anvil_port: int = 8545
    snapshot_interval: float = 10.0
    # Interval mining, like a QBFT block period; 0 or None is anvil's automine (a block per
    # transaction), which stalls under bursts of thousands of transactions.
    block_time: float | None = 1.0

    @property
    def embedded(self) -> bool:
        return self.rpc_url is None


class Ledger:
    """An open connection to the chain with the contracts bound; use as a context manager."""

    def __init__(
        self,
        *,
        rpc: RpcClient,
        sender: TransactionSender,
        deployment: Deployment,
        node: EmbeddedNode | None = None,
        reconciled: ReconcileReport | None = None,
        lock: DataDirLock | None = None,
    ) -> None:
        self.rpc = rpc
        self.sender = sender
        self.deployment = deployment
        self.node = node
        self.reconciled = reconciled or ReconcileReport()
        self.lock = lock
        # The block the last state snapshot holds, set by close() (None: none was taken then).
        self.saved_block: int | None = None
        self.contracts: dict[str, BoundContract] = deployment.bind(rpc)
        # Senders of other keys (institutions' issuer keys), each with its own outbox: reconciled
        # when opened and finalized after each snapshot, like the relayer's.
        self.senders: dict[str, TransactionSender] = {}
        self.resent: dict[str, list[str]] = {sender.address: list(self.reconciled.resent_hashes)}
        self._senders_lock = threading.Lock()
        # How long a sender opened here waits for a receipt before TransactionTimeoutError (the
        # transaction stays journaled and lands later); None: the sender's default.
        self.write_timeout: float | None = None

    def open_sender(self, signer: Signer, outbox_path: Path) -> TransactionSender:
        """The sender of ``signer`` through the outbox at ``outbox_path``, opened once per ledger.

        Opening reconciles its outbox with the chain (what a crash or a snapshot rewind lost is
        re-sent with the same bytes; :attr:`resent` lists it), and from then on every snapshot of
        the embedded chain finalizes its mined entries.
        """
        with self._senders_lock:
            if signer.address == self.sender.address:
                return self.sender
            existing = self.senders.get(signer.address)
            if existing is not None:
                return existing
            relayer = self.sender
            sender = TransactionSender(
                self.rpc,
                signer,
                Outbox(outbox_path, chain_id=self.chain_id),
                decoder=relayer.decoder,
                confirmations=relayer.confirmations,
                finalize_confirmed=relayer.finalize_confirmed,
                poll_interval=relayer.poll_interval,
            )
            if self.write_timeout is not None:
                sender.receipt_timeout = self.write_timeout
            try:
                report = sender.reconcile()
            except BaseException:
                sender.close()
                raise
            self.resent[sender.address] = list(report.resent_hashes)
            self.senders[signer.address] = sender
            return sender

    def oldest_unmined(self) -> float | None:
        """When the oldest transaction of any sender still waiting to be mined was journaled (Unix time), or None."""
        with self._senders_lock:
            senders = [self.sender, *self.senders.values()]
        times = [t for t in (s.outbox.oldest_unmined() for s in senders) if t is not None]
        return min(times) if times else None

    def _snapshotted(self, block: int) -> None:
        self.sender.finalize(block)
        with self._senders_lock:
            others = list(self.senders.values())
        for sender in others:
            sender.finalize(block)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    @classmethod
    def open(cls, config: ChainConfig) -> Ledger:
        """Start or reach the chain, check it, recover the outbox, deploy once, bind the contracts."""
        data_dir = Path(config.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = DataDirLock(data_dir).acquire()  # before anything in it is opened
        try:
            opened = cls._start(config, data_dir)
        except BaseException:
            lock.release()
            raise
        opened.lock = lock
        return opened

    @classmethod
    def _start(cls, config: ChainConfig, data_dir: Path) -> Ledger:
        node: EmbeddedNode | None = None
        if config.embedded:
            node = EmbeddedNode(
                data_dir / "chain",
                chain_id=config.chain_id,
                port=config.anvil_port,
                snapshot_interval=config.snapshot_interval,
                block_time=config.block_time,
            )
            node.start()
            rpc: RpcClient = HttpRpcClient(node.url)
        else:
            rpc = HttpRpcClient(str(config.rpc_url))
        try:
            return cls._open_on(rpc, config, node, data_dir)
        except BaseException:
            _close_rpc(rpc)
            if node:
                node.stop()
            raise

    @classmethod
    def _open_on(cls, rpc: RpcClient, config: ChainConfig, node: EmbeddedNode | None, data_dir: Path) -> Ledger:
        chain_id = int(rpc.request("eth_chainId"), 16)
        if chain_id != config.chain_id:
            raise ChainMismatchError(
                f"the node at {config.rpc_url or 'the embedded chain'} is chain id {chain_id}, but EDULEDGER_CHAIN_ID is {config.chain_id}"
            )
        if config.relayer_key:
            signer = Signer.from_hex(config.relayer_key)
        elif config.embedded:
            signer = dev_signer(0)
        else:
            raise ConfigurationError("an external chain needs EDULEDGER_RELAYER_KEY (the platform's relayer key)")
        refuse_dev_key(signer, embedded=config.embedded)
        artifacts = load_artifacts()
        sender = TransactionSender(
            rpc,
            signer,
            Outbox(data_dir / "outbox.sqlite3", chain_id=chain_id),
            decoder=RevertDecoder(a.abi for a in artifacts.values()),
            confirmations=config.confirmations,
            finalize_confirmed=not config.embedded,
            # Receipts cannot come faster than blocks: poll at a tenth of the block period.
            poll_interval=max(0.02, (config.block_time or 0.2) / 10),
        )
        try:
            return cls._recover_and_bind(rpc, sender, node, data_dir, chain_id)
        except BaseException:
            if node:
                node.on_snapshot = None  # the final snapshot on stop must not touch a closed outbox
            sender.close()
            raise

    @classmethod
    def _recover_and_bind(
        cls, rpc: RpcClient, sender: TransactionSender, node: EmbeddedNode | None, data_dir: Path, chain_id: int
    ) -> Ledger:
        if node:
            node.on_snapshot = sender.finalize  # the Ledger's own hook (every sender) once it exists
        reconciled = sender.reconcile()
        deployment_path = data_dir / "deployment.json"
        if deployment_path.exists():
            deployment = Deployment.load(deployment_path)
            if deployment.chain_id != chain_id:
                raise ChainMismatchError(
                    f"{deployment_path} records a deployment on chain id {deployment.chain_id}, "
                    f"but the node is chain id {chain_id}; use another EDULEDGER_DATA_DIR"
                )
            # Re-sent transactions must land before the contracts are checked.
            pending = [e.tx_hash for e in sender.outbox.open_entries()]
            if pending:
                sender.wait(pending)
            deployment.verify(rpc, artifacts_sha256=artifacts_digest())
        else:
            deployment = deploy_contracts(sender, registrar=sender.address)
            if node:
                node.snapshot()  # the deployment is on disk before it is recorded as done
            deployment.save(deployment_path)
        opened = cls(rpc=rpc, sender=sender, deployment=deployment, node=node, reconciled=reconciled)
        if node:
            node.on_snapshot = opened._snapshotted
        return opened

    def status(self) -> dict[str, Any]:
        head = int(self.rpc.request("eth_blockNumber"), 16)
        return {
            "chain_id": self.chain_id,
            "block_number": head,
            "embedded": self.node is not None,
            "contracts": dict(self.deployment.contracts),
            "relayer": self.sender.address,
        }

    def close(self) -> None:
        """Stop the embedded chain (snapshotting it: see :attr:`saved_block`), close the outbox, release the data directory."""
        try:
            _close_rpc(self.rpc)
            if self.node:
                self.saved_block = self.node.stop()
            self.sender.close()
            for sender in self.senders.values():
                sender.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

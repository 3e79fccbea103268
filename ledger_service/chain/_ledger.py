"""The chain layer assembled: node (embedded or external), sender with outbox, deployed contracts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import ChainMismatchError, ConfigurationError
from ._artifacts import artifacts_digest, load_artifacts
from ._contracts import BoundContract
from ._deploy import Deployment, deploy_contracts
from ._dev import dev_signer, refuse_dev_key
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
    ) -> None:
        self.rpc = rpc
        self.sender = sender
        self.deployment = deployment
        self.node = node
        self.reconciled = reconciled or ReconcileReport()
        self.contracts: dict[str, BoundContract] = deployment.bind(rpc)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    @classmethod
    def open(cls, config: ChainConfig) -> Ledger:
        """Start or reach the chain, check it, recover the outbox, deploy once, bind the contracts."""
        data_dir = Path(config.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
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
                f"the node at {config.rpc_url or 'the embedded chain'} is chain id {chain_id}, "
                f"but EDULEDGER_CHAIN_ID is {config.chain_id}"
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
            node.on_snapshot = sender.finalize
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
        return cls(rpc=rpc, sender=sender, deployment=deployment, node=node, reconciled=reconciled)

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
        _close_rpc(self.rpc)
        if self.node:
            self.node.stop()
        self.sender.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


"""The contract suite deployed on py-evm (web3's EthereumTesterProvider), for fast contract tests."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eth.abc import SignedTransactionAPI, StateAPI
from eth.estimators.gas import binary_gas_search_intrinsic_tolerance
from eth.vm.spoof import SpoofTransaction
from web3 import EthereumTesterProvider

from ledger_service.chain import (
    BoundContract,
    Deployment,
    Eip712Domain,
    Outbox,
    ProviderRpcClient,
    Registration,
    RevertDecoder,
    Signer,
    TransactionSender,
    deploy_contracts,
    load_artifacts,
)

DECODER = RevertDecoder(a.abi for a in load_artifacts().values())
_T = TypeVar("_T")


@dataclass
class PyEvmSuite:
    provider: EthereumTesterProvider
    rpc: ProviderRpcClient
    chain_id: int
    deployment: Deployment
    workdir: Path
    contracts: dict[str, BoundContract] = field(default_factory=dict)
    _senders: dict[str, TransactionSender] = field(default_factory=dict)
    deployed: bytes = b""  # the head block right after deployment (every test starts from it)
    _set_up: dict[Hashable, tuple[int, Any]] = field(default_factory=dict)

    @property
    def tester(self) -> Any:
        return self.provider.ethereum_tester

    def signer(self, index: int) -> Signer:
        """Funded account ``index`` (0 is governance and registrar)."""
        return Signer(self.tester.backend.account_keys[index].to_bytes())

    def sender(self, index: int = 0) -> TransactionSender:
        signer = self.signer(index)
        if signer.address not in self._senders:
            outbox = Outbox(self.workdir / f"outbox-{index}-{time.monotonic_ns()}.sqlite3", chain_id=self.chain_id)
            self._senders[signer.address] = TransactionSender(self.rpc, signer, outbox, decoder=DECODER, poll_interval=0)
        return self._senders[signer.address]

    def transact(self, contract: str, function: str, *args: Any, by: int = 0) -> Any:
        return self.sender(by).transact(self.contracts[contract].transaction(function, *args))

    def call(self, contract: str, function: str, *args: Any) -> Any:
        return self.contracts[contract].call(function, *args)

    def now(self) -> int:
        return int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def travel_to(self, timestamp: int) -> None:
        """The next block is mined at ``timestamp``."""
        self.tester.time_travel(timestamp)

    def domain(self) -> Eip712Domain:
        return Eip712Domain(chain_id=self.chain_id, verifying_contract=self.contracts["ResourceRegistry"].address)

    def set_up_once(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """``build()``, a set-up that runs transactions from the freshly deployed state, executed once per
        session: called again from that state with the same ``key``, the chain jumps to the head block
        ``build`` left (py-evm keeps it) and its result is returned. Called from any other state (a
        transaction sent before), ``build`` runs as it is."""
        fresh = not self._senders and self.tester.backend.take_snapshot() == self.deployed  # the backend's: the head's hash
        if fresh and key in self._set_up:
            head, result = self._set_up[key]
            self.tester.revert_to_snapshot(head)
            return result  # type: ignore[no-any-return]
        result = build()
        if fresh:
            self._set_up[key] = (self.tester.take_snapshot(), result)
        return result

    def reset_senders(self) -> None:
        for sender in self._senders.values():
            sender.close()
        self._senders.clear()


def _succeeds_with(state: StateAPI, transaction: SignedTransactionAPI, gas: int) -> tuple[bool, int]:
    """Whether ``transaction`` succeeds with ``gas``, and the gas its execution consumed (refunds not deducted)."""
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(SpoofTransaction(transaction, gas=gas, gas_price=0))  # type: ignore[arg-type]
        return not computation.is_error, computation.get_gas_used()
    finally:
        state.revert(snapshot)


def estimate_gas_as_nodes_do(state: StateAPI, transaction: SignedTransactionAPI) -> int:
    """``eth_estimateGas`` the way geth and anvil start it: run once at the block's gas limit, then try the gas
    that run consumed plus what a call must leave behind (1/64, EIP-150) and a stipend; that limit is checked to
    succeed, so it is a true answer. py-evm's own estimator binary-searches from the block limit (about a dozen
    executions per transaction: a quarter of the contract and credential tests' time); it still decides when the
    check fails."""
    succeeded, consumed = _succeeds_with(state, transaction, state.gas_limit)
    if not succeeded:
        return binary_gas_search_intrinsic_tolerance(state, transaction)  # raises the transaction's own error
    optimistic = min(state.gas_limit, (transaction.intrinsic_gas + consumed + 2_300) * 64 // 63)
    if _succeeds_with(state, transaction, optimistic)[0]:
        return optimistic
    return binary_gas_search_intrinsic_tolerance(state, transaction)


def deploy_suite(workdir: Path) -> PyEvmSuite:
    provider = EthereumTesterProvider()
    # The chain class is the tester's own (made for this provider): chains it makes on a revert keep the estimator.
    chain = provider.ethereum_tester.backend.chain
    type(chain).gas_estimator = chain.gas_estimator = staticmethod(estimate_gas_as_nodes_do)
    rpc = ProviderRpcClient(provider)
    chain_id = int(rpc.request("eth_chainId"), 16)
    governance = Signer(provider.ethereum_tester.backend.account_keys[0].to_bytes())
    outbox = Outbox(workdir / "deploy-outbox.sqlite3", chain_id=chain_id)
    sender = TransactionSender(rpc, governance, outbox, decoder=DECODER, poll_interval=0)
    deployment = deploy_contracts(sender, registrar=governance.address)
    outbox.close()
    suite = PyEvmSuite(provider=provider, rpc=rpc, chain_id=chain_id, deployment=deployment, workdir=workdir)
    suite.contracts = deployment.bind(rpc)
    suite.deployed = suite.tester.backend.take_snapshot()
    return suite


def content_hash(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def make_registration(
    suite: PyEvmSuite,
    author: Signer,
    *,
    content: str = "lesson plan",
    co_authors: list[tuple[Signer, int]] | None = None,
    share: int = 10_000,
    nonce: int | None = None,
    deadline: int | None = None,
    predecessor: int = 0,
    licence: str = "CC-BY-NC-4.0",
) -> Registration:
    authors = [author.address] + [s.address for s, _ in co_authors or []]
    shares = [share] + [bps for _, bps in co_authors or []]
    if nonce is None:
        nonce = suite.call("ResourceRegistry", "nonces", author.address)
    return Registration(
        content_hash=content_hash(content),
        cid="bafkreid" + hashlib.sha256(content.encode()).hexdigest()[:51],
        metadata_hash=hashlib.sha256(b"metadata:" + content.encode()).digest(),
        authors=authors,
        shares=shares,
        licence=licence,
        nonce=nonce,
        deadline=suite.now() + 3600 if deadline is None else deadline,
        predecessor=predecessor,
    )


def sign(suite: PyEvmSuite, signer: Signer, registration: Registration) -> bytes:
    return signer.sign_digest(suite.domain().digest(registration.struct_hash()))

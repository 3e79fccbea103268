"""The chain layer against a real anvil: deploy once, reuse, batched sends, reverts, bad configuration."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ledger_service import (
    ChainMismatchError,
    ChainUnavailableError,
    ConfigurationError,
    DeploymentError,
    DuplicateContentError,
    TransactionTimeoutError,
)
from ledger_service.chain import (
    ChainConfig,
    ContractCall,
    EmbeddedNode,
    HttpRpcClient,
    Ledger,
    Outbox,
    Signer,
    TransactionSender,
    UnsignedTransaction,
    dev_signer,
    free_port,
)
from tests.utils.registrations import signed_registration_calls

pytestmark = pytest.mark.anvil


def nonce_of(ledger: Ledger, address: str) -> int:
    return int(ledger.rpc.request("eth_getTransactionCount", [address, "latest"]), 16)


def test_deploys_once_and_a_restart_reuses_the_deployment(embedded_config: ChainConfig) -> None:
    with Ledger.open(embedded_config) as ledger:
        first = ledger.status()
        assert first["embedded"] and first["chain_id"] == 31337
        (receipt,) = ledger.sender.wait(
            [e.tx_hash for e in ledger.sender.submit(signed_registration_calls(ledger, dev_signer(3), ["restart-1"]))]
        )
        assert receipt.succeeded
        sent = nonce_of(ledger, ledger.sender.address)
    assert not (embedded_config.data_dir / "chain" / "anvil-state.tmp").exists()
    with Ledger.open(embedded_config) as ledger:
        assert ledger.status()["contracts"] == first["contracts"]
        assert nonce_of(ledger, ledger.sender.address) == sent, "nothing was deployed a second time"
        assert ledger.contracts["ResourceRegistry"].call("resourceCount") == 1
        assert ledger.status()["block_number"] >= first["block_number"] + 1


def test_batched_registrations_land_in_order(ledger: Ledger) -> None:
    author = dev_signer(4)
    calls = signed_registration_calls(ledger, author, [f"batch-{i}" for i in range(300)])
    entries = ledger.sender.submit(calls)
    receipts = ledger.sender.wait([e.tx_hash for e in entries])
    assert all(r.succeeded for r in receipts)
    registry = ledger.contracts["ResourceRegistry"]
    assert registry.call("resourceCount") == 300
    assert registry.call("nonces", author.address) == 300
    events = registry.decode_logs(receipts[-1].logs)
    assert events[0].args["resourceId"] == 300
    # Submitting the same idempotency keys again sends nothing new.
    before = nonce_of(ledger, ledger.sender.address)
    again = ledger.sender.submit(calls[:10])
    assert [e.tx_hash for e in again] == [e.tx_hash for e in entries[:10]]
    assert nonce_of(ledger, ledger.sender.address) == before


def test_a_revert_found_before_sending_journals_nothing(ledger: Ledger) -> None:
    author = dev_signer(5)
    (call,) = signed_registration_calls(ledger, author, ["first"])
    ledger.sender.transact(call)
    # Same content by another author; without a gas limit of its own the call is estimated first.
    replay = [replace(c, gas=None, key="first-by-another") for c in signed_registration_calls(ledger, dev_signer(6), ["first"])]
    journaled = ledger.sender.outbox.counts()
    with pytest.raises(DuplicateContentError) as caught:
        ledger.sender.submit(replay)
    assert caught.value.arguments["registrant"] == author.address
    assert ledger.sender.outbox.counts() == journaled


def test_a_revert_on_chain_is_decoded_from_the_receipt(ledger: Ledger) -> None:
    # Both estimate fine against the current state; on chain the second is a duplicate of the first.
    first = signed_registration_calls(ledger, dev_signer(5), ["twin"])
    second = signed_registration_calls(ledger, dev_signer(6), ["twin"])
    second = [replace(second[0], key="twin-2")]
    entries = ledger.sender.submit(first + second)
    ok, failed = ledger.sender.wait([e.tx_hash for e in entries])
    assert ok.succeeded and not failed.succeeded
    error = ledger.sender.revert_reason(failed)
    assert isinstance(error, DuplicateContentError) and error.tx_hash == failed.tx_hash
    with pytest.raises(DuplicateContentError):
        ledger.sender.raise_for_revert([ok, failed])
    assert ledger.sender.outbox.by_hash(failed.tx_hash).status == "failed"  # type: ignore[union-attr]


def test_receipts_wait_for_the_confirmation_depth(ledger: Ledger, tmp_path: Path) -> None:
    sender = TransactionSender(
        ledger.rpc,
        dev_signer(7),
        Outbox(tmp_path / "o.sqlite3", chain_id=ledger.chain_id),
        decoder=ledger.sender.decoder,
        confirmations=3,
        poll_interval=0.01,
    )
    (entry,) = sender.submit([ContractCall(to=dev_signer(8).address, data=b"", value=1, gas=21_000, key="deep")])
    with pytest.raises(TransactionTimeoutError):
        sender.wait([entry.tx_hash], timeout=0.3)  # automine made one block; three are needed

    def mine_two() -> None:
        time.sleep(0.2)
        for _ in range(2):
            ledger.rpc.request("evm_mine")

    miner = threading.Thread(target=mine_two)
    miner.start()
    (receipt,) = sender.wait([entry.tx_hash], timeout=10)
    miner.join()
    head = int(ledger.rpc.request("eth_blockNumber"), 16)
    assert receipt.succeeded and head - receipt.block_number + 1 >= 3


def test_wrong_chain_id_is_refused(external_node: EmbeddedNode, tmp_path: Path) -> None:
    config = ChainConfig(data_dir=tmp_path / "d", rpc_url=external_node.url, chain_id=1, relayer_key="11" * 32)
    with pytest.raises(ChainMismatchError, match="chain id 31337"):
        Ledger.open(config)


def test_an_unreachable_node_is_a_clear_error(tmp_path: Path) -> None:
    config = ChainConfig(data_dir=tmp_path / "d", rpc_url=f"http://127.0.0.1:{free_port()}", relayer_key="11" * 32)
    with pytest.raises(ChainUnavailableError, match="does not answer"):
        Ledger.open(config)


def test_the_dev_mnemonic_is_refused_on_any_other_chain(external_node: EmbeddedNode, tmp_path: Path) -> None:
    dev_key = dev_signer(0).private_key_bytes().hex()
    with pytest.raises(ConfigurationError, match="development mnemonic"):
        Ledger.open(ChainConfig(data_dir=tmp_path / "d", rpc_url=external_node.url, relayer_key=dev_key))
    with pytest.raises(ConfigurationError, match="EDULEDGER_RELAYER_KEY"):
        Ledger.open(ChainConfig(data_dir=tmp_path / "d", rpc_url=external_node.url))
    assert not (tmp_path / "d" / "deployment.json").exists()


def test_an_external_chain_with_its_own_relayer_key(external_node: EmbeddedNode, tmp_path: Path) -> None:
    relayer = Signer(bytes.fromhex("5a" * 32))
    rpc = HttpRpcClient(external_node.url)
    funder = dev_signer(9)
    funding = funder.sign_transaction(
        UnsignedTransaction(
            chain_id=31337,
            nonce=int(rpc.request("eth_getTransactionCount", [funder.address, "latest"]), 16),
            to=relayer.address,
            data=b"",
            gas=21_000,
            max_fee_per_gas=10**11,
            max_priority_fee_per_gas=10**9,
            value=10**20,
        )
    )
    rpc.request("eth_sendRawTransaction", ["0x" + funding.raw.hex()])
    rpc.close()
    config = ChainConfig(data_dir=tmp_path / "d", rpc_url=external_node.url, relayer_key=relayer.private_key_bytes().hex())
    with Ledger.open(config) as ledger:
        assert ledger.node is None and ledger.deployment.deployer == relayer.address
        ledger.sender.transact(signed_registration_calls(ledger, dev_signer(2), ["external"])[0])
        assert ledger.sender.outbox.counts() == {"final": 6}, "a confirmed receipt is final on a chain with finality"
    with Ledger.open(config) as ledger:
        assert ledger.contracts["ResourceRegistry"].call("resourceCount") == 1


def test_a_deployment_file_that_does_not_match_the_chain(embedded_config: ChainConfig) -> None:
    with Ledger.open(embedded_config):
        pass
    deployment = embedded_config.data_dir / "deployment.json"
    state = embedded_config.data_dir / "chain" / "anvil-state.json.gz"

    state.rename(state.with_suffix(".bak"))  # the chain is reset under a recorded deployment
    with pytest.raises(ChainMismatchError, match="does not match the chain"):
        Ledger.open(embedded_config)
    state.with_suffix(".bak").rename(state)

    record = json.loads(deployment.read_text())
    deployment.write_text(json.dumps({**record, "chain_id": 5}))
    with pytest.raises(ChainMismatchError, match="chain id 5"):
        Ledger.open(embedded_config)

    deployment.write_text(json.dumps({**record, "contracts": {**record["contracts"], "ResourceRegistry": "0x12"}}))
    with pytest.raises(DeploymentError, match="malformed|not an Ethereum address"):
        Ledger.open(embedded_config)

    deployment.write_text(json.dumps({**record, "artifacts_sha256": "0" * 64}))
    with pytest.raises(ChainMismatchError, match="contracts changed"):
        Ledger.open(embedded_config)

    deployment.write_text(json.dumps(record))
    with Ledger.open(embedded_config) as ledger:  # and the untouched record opens again
        assert ledger.status()["contracts"] == record["contracts"]


def test_the_anvil_port_in_use_is_a_clear_error(ledger: Ledger, tmp_path: Path) -> None:
    assert ledger.node is not None
    with pytest.raises(ConfigurationError, match="already in use"):
        Ledger.open(ChainConfig(data_dir=tmp_path / "other", anvil_port=ledger.node.port))

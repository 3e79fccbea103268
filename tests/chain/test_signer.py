"""Our coincurve signer against eth-account, an independent implementation of the same formats."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_keys import keys

from ledger_service import ConfigurationError
from ledger_service.chain import Signer, UnsignedTransaction, dev_signer

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")


@pytest.mark.parametrize(
    "tx",
    [
        UnsignedTransaction(
            chain_id=31337,
            nonce=0,
            to="0x5FbDB2315678afecb367f032d93F642f64180aa3",
            data=b"\x01\x02",
            gas=21_000,
            max_fee_per_gas=2_000_000_000,
            max_priority_fee_per_gas=1_000_000_000,
        ),
        UnsignedTransaction(
            chain_id=1337,
            nonce=123_456,
            to=None,
            data=bytes(range(256)) * 4,
            gas=3_000_000,
            max_fee_per_gas=0,
            max_priority_fee_per_gas=0,
            value=5,
        ),
    ],
    ids=["call", "deploy-zero-fee"],
)
def test_raw_transaction_is_byte_identical_to_eth_account(tx: UnsignedTransaction) -> None:
    signer = Signer(KEY)
    ours = signer.sign_transaction(tx)
    theirs = Account.sign_transaction(
        {
            "type": 2,
            "chainId": tx.chain_id,
            "nonce": tx.nonce,
            "to": tx.to or b"",
            "data": tx.data,
            "gas": tx.gas,
            "maxFeePerGas": tx.max_fee_per_gas,
            "maxPriorityFeePerGas": tx.max_priority_fee_per_gas,
            "value": tx.value,
            "accessList": [],
        },
        KEY,
    )
    assert ours.raw == bytes(theirs.raw_transaction)
    assert ours.hash == "0x" + bytes(theirs.hash).hex()
    assert ours.sender == Account.from_key(KEY).address


def test_digest_signature_recovers_to_the_signer() -> None:
    signer = Signer(KEY)
    digest = bytes(range(32))
    signature = signer.sign_digest(digest)
    assert signature[64] in (27, 28)
    recovered = keys.Signature(signature[:64] + bytes([signature[64] - 27])).recover_public_key_from_msg_hash(digest)
    assert recovered.to_checksum_address() == signer.address


@pytest.mark.parametrize("bad", ["", "0x12", "zz" * 32, "00" * 32, "ff" * 32])
def test_bad_private_keys_are_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        Signer.from_hex(bad)


def test_a_signer_never_shows_its_key() -> None:
    signer = Signer(KEY)
    assert KEY.hex() not in repr(signer) and KEY.hex() not in str(signer)


def test_dev_accounts_are_anvils_well_known_ones() -> None:
    # anvil prints these for the test mnemonic; they are public knowledge.
    assert dev_signer(0).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert dev_signer(1).address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_personal_sign_and_recovery_agree_with_eth_account() -> None:
    from eth_account.messages import encode_defunct

    from ledger_service.chain import eip191_digest, recover_address

    signer = Signer(KEY)
    message = "example.org wants you to sign in with your Ethereum account:\n登录".encode()
    ours = signer.sign_digest(eip191_digest(message))
    theirs = Account.sign_message(encode_defunct(primitive=message), KEY)
    assert ours == bytes(theirs.signature)
    assert recover_address(eip191_digest(message), ours) == signer.address
    assert recover_address(eip191_digest(message + b"!"), ours) != signer.address


def test_recovery_refuses_malformed_and_high_s_signatures() -> None:
    from ledger_service.chain import eip191_digest, recover_address

    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    digest = eip191_digest(b"hello")
    signature = Signer(KEY).sign_digest(digest)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    malleable = r + (n - s).to_bytes(32, "big") + bytes([55 - v])  # the same point, high s, flipped v
    assert recover_address(digest, malleable) is None
    assert recover_address(digest, signature[:64] + b"\x05") is None
    assert recover_address(digest, signature[:40]) is None
    assert recover_address(digest, b"\0" * 65) is None

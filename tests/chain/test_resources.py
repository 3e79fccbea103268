"""The hand-written ``register`` encoding equals eth-abi's; the gas bound covers real use."""

from __future__ import annotations

import hashlib

import pytest

from ledger_service.chain import BoundContract, Registration, encode_register, load_artifacts, registration_gas

REGISTRY = BoundContract("ResourceRegistry", "0x" + "11" * 20, load_artifacts()["ResourceRegistry"].abi, rpc=None)  # type: ignore[arg-type]


def registration(authors: int, cid: str, licence: str) -> Registration:
    return Registration(
        content_hash=hashlib.sha256(cid.encode()).digest(),
        cid=cid,
        metadata_hash=hashlib.sha256(licence.encode()).digest(),
        authors=["0x" + f"{i + 1:040x}" for i in range(authors)],
        shares=[10_000 - 100 * (authors - 1)] + [100] * (authors - 1),
        licence=licence,
        nonce=7,
        deadline=2**40,
        predecessor=3,
    )


@pytest.mark.parametrize(
    ("authors", "cid", "licence"),
    [
        (1, "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ", "CC-BY-4.0"),
        (3, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "知识共享 署名-非商业性使用 4.0 国际"),
        (10, "b" * 100, ""),
    ],
)
def test_fast_encoding_matches_eth_abi(authors: int, cid: str, licence: str) -> None:
    item = registration(authors, cid, licence)
    signature = bytes(range(65))
    assert encode_register(item, signature) == REGISTRY.encode("register", item.as_abi_tuple(), signature)


def test_gas_bound_exceeds_what_anvil_measured() -> None:
    # Gas used on anvil (cancun) by a signer's first registration, measured for the calibration.
    measured = {(1, 46, 9): 338_878, (3, 100, 55): 510_332, (10, 100, 55): 873_243}
    for (authors, cid_length, licence_length), used in measured.items():
        item = registration(authors, "c" * cid_length, "l" * licence_length)
        bound = registration_gas(item, encode_register(item, bytes(65)))
        assert used < bound < used * 1.3

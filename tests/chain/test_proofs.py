"""Merkle-Patricia proofs and RLP decoding, held to independent implementations (py-evm's ``trie``,
``pyrlp``). The storage layout is held to the contracts in tests/credentials/test_directory_rules.py."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from ledger_service import InvalidProofError
from ledger_service.chain import EMPTY_TRIE_ROOT, verify_trie_proof
from ledger_service.chain._rlp import rlp_decode, rlp_encode

keys = st.binary(min_size=32, max_size=32)
values = st.binary(min_size=1, max_size=80)


def proof_of(trie: HexaryTrie, key: bytes) -> list[bytes]:
    return [rlp.encode(node) for node in trie.get_proof(key)]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=40), keys)
def test_proofs_agree_with_the_reference_trie(contents: dict[bytes, bytes], absent: bytes) -> None:
    trie = HexaryTrie({})
    for key, value in contents.items():
        trie[key] = value
    for key, value in contents.items():
        assert verify_trie_proof(trie.root_hash, key, proof_of(trie, key)) == value
    if absent not in contents:
        assert verify_trie_proof(trie.root_hash, absent, proof_of(trie, absent)) == b""


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(keys, values, min_size=2, max_size=20), st.data())
def test_a_tampered_or_borrowed_proof_never_proves_a_value(contents: dict[bytes, bytes], data: st.DataObject) -> None:
    trie = HexaryTrie({})
    for key, value in contents.items():
        trie[key] = value
    key = data.draw(st.sampled_from(sorted(contents)))
    nodes = proof_of(trie, key)
    index = data.draw(st.integers(0, len(nodes) - 1))
    position = data.draw(st.integers(0, len(nodes[index]) - 1))
    broken = list(nodes)
    broken[index] = nodes[index][:position] + bytes([nodes[index][position] ^ 0x01]) + nodes[index][position + 1 :]
    try:
        found = verify_trie_proof(trie.root_hash, key, broken)
    except InvalidProofError:
        found = None
    assert found != contents[key] or broken[index] in nodes, "a changed node must not prove the value"
    other = data.draw(st.sampled_from(sorted(k for k in contents if k != key)))
    with pytest.raises(InvalidProofError):
        verify_trie_proof(keccak(b"another root"), key, nodes)
    try:
        borrowed = verify_trie_proof(trie.root_hash, other, nodes)
    except InvalidProofError:
        borrowed = None
    assert borrowed in (None, contents[other]), "a proof of one key proves at most the truth about another"


def test_the_empty_trie_holds_nothing() -> None:
    assert verify_trie_proof(EMPTY_TRIE_ROOT, b"\x01" * 32, []) == b""
    with pytest.raises(InvalidProofError, match="lacks trie node"):
        verify_trie_proof(b"\x02" * 32, b"\x01" * 32, [])


rlp_items = st.recursive(st.binary(max_size=70), lambda inner: st.lists(inner, max_size=5), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(rlp_items)
def test_rlp_decoding_agrees_with_pyrlp(item: Any) -> None:
    encoded = rlp.encode(item)
    assert rlp_encode(item) == encoded
    assert rlp_decode(encoded) == rlp.decode(encoded)


@pytest.mark.parametrize("data", [b"", b"\x81\x05", b"\xb8\x01\x00", b"\xc2\x01", b"\x82\x01\x02\x03", b"\xb9\x00\x38" + b"a" * 56])
def test_non_canonical_rlp_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        rlp_decode(data)

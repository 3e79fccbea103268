"""Merkle batches: OpenZeppelin StandardMerkleTree format, checked by the contract on chain."""

from __future__ import annotations

import hashlib

import pytest

from ledger_service.credentials import MerkleTree, leaf_hash, verify_proof
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite


def values(count: int) -> list[bytes]:
    return [hashlib.sha256(f"credential-{i}".encode()).digest() for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 1000])
def test_every_member_proves_and_outsiders_do_not(count: int) -> None:
    batch = values(count)
    tree = MerkleTree.of(batch)
    for value in batch:
        assert verify_proof(tree.root, leaf_hash(value), tree.proof(value))
    outsider = hashlib.sha256(b"not issued").digest()
    with pytest.raises(KeyError):
        tree.proof(outsider)
    assert not verify_proof(tree.root, leaf_hash(outsider), tree.proof(batch[0]))
    assert MerkleTree.of(list(reversed(batch))).root == tree.root, "the root does not depend on order"


def test_a_single_leaf_tree_is_its_leaf() -> None:
    (value,) = values(1)
    tree = MerkleTree.of([value])
    assert tree.root == leaf_hash(value) and tree.proof(value) == []


def test_duplicates_and_empty_batches_are_refused() -> None:
    with pytest.raises(ValueError):
        MerkleTree.of([])
    with pytest.raises(ValueError):
        MerkleTree.of(values(2) * 2)


def test_the_contract_verifies_our_proofs(suite: PyEvmSuite) -> None:
    build_tree(suite)
    batch = values(37)
    tree = MerkleTree.of(batch)
    suite.transact("CredentialAnchor", "anchor", tree.root, len(batch), GROWTH_RECORD, b"\0" * 32, by=ISSUER_KEY)
    for value in batch[:5] + batch[-3:]:
        assert suite.call("CredentialAnchor", "verifyLeaf", tree.root, tree.proof(value), leaf_hash(value))
    assert not suite.call("CredentialAnchor", "verifyLeaf", tree.root, tree.proof(batch[0]), leaf_hash(batch[1]))


def test_proofs_made_together_equal_proofs_made_one_by_one() -> None:
    import hashlib

    values = [hashlib.sha256(str(i).encode()).digest() for i in range(1_000)]
    tree = MerkleTree.of(values)
    together = tree.proofs_hex(values)
    assert together == [["0x" + node.hex() for node in tree.proof(value)] for value in values]
    with pytest.raises(KeyError):
        tree.proofs_hex([b"\1" * 32])

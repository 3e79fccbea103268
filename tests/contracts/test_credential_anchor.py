"""CredentialAnchor: one root per batch, by accredited keys, verifiable against OZ StandardMerkleTree leaves."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ledger_service import AlreadyExistsError, InvalidArgumentError, IssuerNotAuthorizedError
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, build_tree
from tests.utils.pyevm import PyEvmSuite

STATUS_LIST = keccak(b"status list v1")


def leaf(value: bytes) -> bytes:
    # OpenZeppelin StandardMerkleTree: keccak256(bytes.concat(keccak256(abi.encode(value))))
    return keccak(keccak(encode(["bytes32"], [value])))


def pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def test_a_batch_root_is_anchored_once_by_an_accredited_key(suite: PyEvmSuite) -> None:
    build_tree(suite)
    leaves = [leaf(keccak(bytes([i]))) for i in range(4)]
    left, right = pair(leaves[0], leaves[1]), pair(leaves[2], leaves[3])
    root = pair(left, right)
    receipt = suite.transact("CredentialAnchor", "anchor", root, 4, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    (event,) = suite.contracts["CredentialAnchor"].decode_logs(receipt.logs)
    assert event.name == "CredentialBatchAnchored"
    assert event.args["merkleRoot"] == root and event.args["institutionId"] == SCHOOL and event.args["count"] == 4
    anchor = suite.call("CredentialAnchor", "anchorOf", root)
    assert anchor["issuer"] == suite.signer(ISSUER_KEY).address
    assert anchor["blockNumber"] == receipt.block_number
    assert anchor["statusListHash"] == STATUS_LIST
    # The contract verifies a member on chain; a non-member or an unanchored root fails.
    assert suite.call("CredentialAnchor", "verifyLeaf", root, [leaves[1], right], leaves[0])
    assert not suite.call("CredentialAnchor", "verifyLeaf", root, [leaves[1], right], leaf(b"\x09" * 32))
    assert not suite.call("CredentialAnchor", "verifyLeaf", keccak(b"other"), [leaves[1], right], leaves[0])
    with pytest.raises(AlreadyExistsError) as caught:
        suite.transact("CredentialAnchor", "anchor", root, 4, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    assert caught.value.arguments == {"merkleRoot": root}


def test_unaccredited_type_or_revoked_issuer_cannot_anchor(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CredentialAnchor", "anchor", keccak(b"r1"), 1, keccak(b"Other"), STATUS_LIST, by=ISSUER_KEY)
    suite.transact("InstitutionRegistry", "revokeIssuerKey", suite.signer(ISSUER_KEY).address, suite.now(), by=SCHOOL_ADMIN)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CredentialAnchor", "anchor", keccak(b"r2"), 1, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)


def test_a_key_outside_its_window_cannot_anchor_but_its_past_anchor_stays_valid(suite: PyEvmSuite) -> None:
    # A block mined first puts the head where the chain's clock is now (an earlier test may have moved the
    # clock past the snapshot's head); the window opens well after it.
    suite.tester.mine_blocks(1)
    start = suite.now() + 600
    build_tree(suite, issuer_from=start, issuer_until=start + 1_000)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CredentialAnchor", "anchor", keccak(b"early"), 1, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    suite.travel_to(start + 1)
    suite.transact("CredentialAnchor", "anchor", keccak(b"on time"), 1, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    suite.travel_to(start + 5_000)
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CredentialAnchor", "anchor", keccak(b"late"), 1, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    anchored = suite.call("CredentialAnchor", "anchorOf", keccak(b"on time"))
    key = suite.signer(ISSUER_KEY).address
    assert suite.call("InstitutionRegistry", "isAuthorizedIssuer", key, SCHOOL, GROWTH_RECORD, anchored["anchoredAt"])


def test_empty_batches_are_refused(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(InvalidArgumentError):
        suite.transact("CredentialAnchor", "anchor", keccak(b"r"), 0, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)
    with pytest.raises(InvalidArgumentError):
        suite.transact("CredentialAnchor", "anchor", b"\0" * 32, 3, GROWTH_RECORD, STATUS_LIST, by=ISSUER_KEY)


STATUS_LIST_TYPE = keccak(b"EduLedger.StatusList")
LIST_ID = keccak(b"https://registry.example/status/1")


def test_status_lists_are_anchored_by_their_owner_only(suite: PyEvmSuite) -> None:
    from ledger_service import UnauthorizedError
    from tests.utils.institutions import CITY, CITY_ADMIN, FAR_FUTURE

    build_tree(suite, GROWTH_RECORD, STATUS_LIST_TYPE)
    first = keccak(b"list v1")
    receipt = suite.transact("CredentialAnchor", "updateStatusList", LIST_ID, first, by=ISSUER_KEY)
    (event,) = suite.contracts["CredentialAnchor"].decode_logs(receipt.logs)
    assert event.args == {"listId": LIST_ID, "institutionId": SCHOOL, "listHash": first, "version": 1}
    suite.transact("CredentialAnchor", "updateStatusList", LIST_ID, keccak(b"list v2"), by=ISSUER_KEY)
    latest = suite.call("CredentialAnchor", "statusListOf", LIST_ID)
    assert latest["listHash"] == keccak(b"list v2") and latest["version"] == 2
    # Another institution's issuer may not overwrite the school's list.
    suite.transact("InstitutionRegistry", "addIssuerKey", CITY, suite.signer(7).address, 0, FAR_FUTURE, by=CITY_ADMIN)
    with pytest.raises(UnauthorizedError) as caught:
        suite.transact("CredentialAnchor", "updateStatusList", LIST_ID, keccak(b"forged"), by=7)
    assert caught.value.arguments == {"listId": LIST_ID, "owner": SCHOOL}
    with pytest.raises(IssuerNotAuthorizedError):
        suite.transact("CredentialAnchor", "updateStatusList", LIST_ID, keccak(b"x"), by=5)

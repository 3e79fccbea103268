"""Bitstring Status List: size, random indexes, bit order, revocation vs suspension, anchored hash."""

from __future__ import annotations

import base64
import gzip

import pytest
from eth_hash.auto import keccak

from ledger_service import CredentialError
from ledger_service.credentials import (
    JCS_SUITE,
    MIN_STATUS_LIST_SIZE,
    RDFC_SUITE,
    Ed25519KeyPair,
    StatusList,
    decode_status_list,
    schema_errors,
    sign,
    status_list_capacity,
    status_list_hash,
    status_of,
    verify,
)
from tests.utils.institutions import ISSUER_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

URL = "https://registry.example/status/school-1/revocation/1"


def test_indexes_are_random_distinct_and_the_list_is_large() -> None:
    status = StatusList(URL, "revocation")
    indexes = [status.allocate() for _ in range(1000)]
    assert len(set(indexes)) == 1000
    assert max(indexes) > MIN_STATUS_LIST_SIZE // 2, "spread over the whole list, not sequential"
    assert (
        len(
            decode_status_list(
                status.credential(issuer="did:example:1", valid_from="2026-01-01T00:00:00Z")["credentialSubject"]["encodedList"]
            )
        )
        * 8
        == MIN_STATUS_LIST_SIZE
    )


def test_bit_order_and_encoding_follow_the_recommendation() -> None:
    status = StatusList(URL, "suspension")
    status.allocated.update({0, 9})
    status.set(0)
    status.set(9)
    encoded = status.credential(issuer="did:example:1", valid_from="2026-01-01T00:00:00Z")["credentialSubject"]["encodedList"]
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000, "index 0 is the leftmost bit"


def test_revocation_is_final_and_suspension_can_be_lifted() -> None:
    revocations = StatusList(URL, "revocation")
    index = revocations.allocate()
    revocations.set(index)
    with pytest.raises(CredentialError, match="final"):
        revocations.set(index, False)
    suspensions = StatusList(URL.replace("revocation", "suspension"), "suspension")
    held = suspensions.allocate()
    suspensions.set(held)
    assert suspensions.get(held)
    suspensions.set(held, False)
    assert not suspensions.get(held)
    with pytest.raises(CredentialError, match="never handed out"):
        suspensions.set(held + 1 if held + 1 not in suspensions.allocated else held - 1)


def test_the_list_credential_is_valid_signed_and_readable() -> None:
    status = StatusList(URL, "revocation")
    revoked, kept = status.allocate(), status.allocate()
    status.set(revoked)
    document = status.credential(issuer="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", valid_from="2026-11-22T00:00:00Z")
    signed = sign(document, Ed25519KeyPair.generate(), cryptosuite=RDFC_SUITE, created="2026-11-22T00:00:00Z")
    assert verify(signed)
    assert [p for p in schema_errors(signed) if p.startswith("VC 2.0")] == []
    assert status_of(signed, revoked) and not status_of(signed, kept)
    assert status.entry(kept)["statusListIndex"] == str(kept)


@pytest.mark.parametrize("encoded", ["zabc", "u!!!", "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 100, mtime=0)).decode()])
def test_malformed_or_small_lists_are_refused(encoded: str) -> None:
    with pytest.raises(CredentialError):
        decode_status_list(encoded)


def test_the_anchored_hash_detects_a_stale_or_forged_list(suite: PyEvmSuite) -> None:
    build_tree(suite, keccak(b"EduLedger.StatusList"))
    status = StatusList(URL, "revocation")
    index = status.allocate()
    issued = status.credential(issuer="did:example:school", valid_from="2026-11-22T00:00:00Z")
    status.set(index)
    current = status.credential(issuer="did:example:school", valid_from="2026-11-23T00:00:00Z")
    list_id = keccak(URL.encode())
    suite.transact("CredentialAnchor", "updateStatusList", list_id, status_list_hash(current), by=ISSUER_KEY)
    anchored = suite.call("CredentialAnchor", "statusListOf", list_id)["listHash"]
    assert anchored == status_list_hash(current)
    assert anchored != status_list_hash(issued), "the stale list (before the revocation) is recognisable"


def test_one_lifecycle_entry_says_valid_suspended_or_revoked() -> None:
    """Purpose "message" with two bits per entry: the one status entry an OB 3.0 credential may carry
    can still be suspended, lifted, and revoked for good."""
    from ledger_service.credentials import LIFECYCLE_MESSAGES, REVOKED, SUSPENDED, status_value

    status = StatusList(URL, "message")
    first, second = status.allocate(), status.allocate()
    assert status.entry(first)["statusSize"] == 2 and status.entry(first)["statusMessage"] == LIFECYCLE_MESSAGES
    status.set_value(first, SUSPENDED)
    status.set_value(second, REVOKED)
    listed = sign(
        status.credential(issuer="did:example:school", valid_from="2026-11-22T00:00:00Z"),
        Ed25519KeyPair.generate(),
        cryptosuite=JCS_SUITE,
        created="2026-11-22T00:00:00Z",
    )
    assert len(decode_status_list(listed["credentialSubject"]["encodedList"], 2)) * 8 == 2 * 131_072
    assert (status_value(listed, first, 2), status_value(listed, second, 2)) == (SUSPENDED, REVOKED)
    bits = decode_status_list(listed["credentialSubject"]["encodedList"], 2)
    set_bytes = {index * 2 // 8 for index in (first, second)}  # four 2-bit entries to a byte
    assert all(byte == 0 for position, byte in enumerate(bits) if position not in set_bytes), "every other entry is 0"
    neighbours = {i for b in set_bytes for i in range(b * 4, b * 4 + 4)} - {first, second}
    assert [status_value(listed, i, 2) for i in sorted(neighbours)] == [0] * len(neighbours)
    status.set_value(first, 0)  # the suspension is lifted
    assert status.value(first) == 0
    for forbidden in (0, SUSPENDED):
        with pytest.raises(CredentialError, match="final"):
            status.set_value(second, forbidden)
    with pytest.raises(ValueError):
        status.set_value(first, 4)
    with pytest.raises(ValueError, match="means nothing"):  # named "undefined" in every entry; never set
        status.set_value(first, 3)
    assert [m["status"] for m in LIFECYCLE_MESSAGES] == ["0x0", "0x1", "0x2", "0x3"], "2^statusSize messages (§2.1)"


def test_allocation_stops_at_half_full_and_round_trips_through_its_bitmap() -> None:
    status = StatusList(URL, "message")
    assert status_list_capacity(MIN_STATUS_LIST_SIZE) == MIN_STATUS_LIST_SIZE // 2 == status.room
    first = status.allocate_many(1_000)
    status.set_value(first[0], 2)
    restored = StatusList.restore(URL, "message", bits=bytes(status.bits), allocation_bitmap=status.allocation_bitmap())
    assert restored.allocated == set(first) and restored.value(first[0]) == 2 and restored.size == MIN_STATUS_LIST_SIZE
    assert not set(restored.allocate_many(10)) & set(first), "never an index handed out before"
    restored.allocated = set(range(status_list_capacity() - 5))  # nearly half full
    assert restored.room == 5
    with pytest.raises(CredentialError, match="room for 5"):
        restored.allocate_many(6)
    assert len(restored.allocate_many(5)) == 5 and restored.room == 0
    with pytest.raises(CredentialError):
        restored.allocate()

"""Batch issuance on chain (py-evm): one anchor per batch, proofs that verify, resumable, never twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger_service import CredentialError
from ledger_service.credentials import (
    ANCHOR_PROOF_TYPE,
    BatchIssuer,
    Ed25519KeyPair,
    credential_hash,
    growth_record_credential,
    identity_object,
    institution_uri,
    leaf_hash,
    schema_errors,
    verify,
    verify_proof,
)
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, SCHOOL_SIGNING_KEY, STRANGER, build_tree
from tests.utils.pyevm import PyEvmSuite

CREATED = "2026-11-22T08:00:00Z"


def class_records(count: int, issuer: bytes = SCHOOL) -> list[dict[str, Any]]:
    return [
        growth_record_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            issuer_id=institution_uri(issuer),
            issuer_name="滨海新区第一中学",
            identifier=identity_object(f"G1101052015{i:08d}", bytes([i % 256]) * 16),
            dimension="学业水平",
            record_kind="学期评价",
            term="2026-2027学年第一学期",
            narrative=f"第 {i} 号学生本学期学业表现。",
            valid_from="2026-11-22T00:00:00Z",
        )
        for i in range(count)
    ]


def issuer_for(suite: PyEvmSuite, tmp_path: Path, key: Ed25519KeyPair = SCHOOL_SIGNING_KEY) -> BatchIssuer:
    return BatchIssuer(
        tmp_path / "issuance.sqlite3",
        sender=suite.sender(ISSUER_KEY),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts["InstitutionRegistry"],
        signing_key=key,
    )


def nonce(suite: PyEvmSuite) -> int:
    return int(suite.rpc.request("eth_getTransactionCount", [suite.signer(ISSUER_KEY).address, "latest"]), 16)


def test_a_class_is_one_anchor_and_every_credential_proves_membership(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    before = nonce(suite)
    batch = issuer_for(suite, tmp_path).issue("class-2026-3", class_records(40), credential_type=GROWTH_RECORD, created=CREATED)
    assert nonce(suite) == before + 1, "one transaction for the whole class"
    anchored = suite.call("CredentialAnchor", "anchorOf", batch.root)
    assert anchored["count"] == 40 and anchored["credentialType"] == GROWTH_RECORD
    for credential in batch.credentials:
        assert verify(credential), "the issuer signature still verifies beside the anchor proof"
        assert schema_errors(credential) == []
        anchor_proof = next(p for p in credential["proof"] if p["type"] == ANCHOR_PROOF_TYPE)
        value = credential_hash(credential)
        assert anchor_proof["credentialHash"] == "0x" + value.hex()
        path = [bytes.fromhex(node[2:]) for node in anchor_proof["merkleProof"]]
        assert verify_proof(batch.root, leaf_hash(value), path)
        assert anchor_proof["transactionHash"] == batch.tx_hash and anchor_proof["chainId"] == suite.chain_id
    sample = batch.credentials[7]
    path = [bytes.fromhex(n[2:]) for n in next(p for p in sample["proof"] if p["type"] == ANCHOR_PROOF_TYPE)["merkleProof"]]
    assert suite.call("CredentialAnchor", "verifyLeaf", batch.root, path, leaf_hash(credential_hash(sample)))


def test_an_interrupted_batch_resumes_with_the_same_credentials(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    key = SCHOOL_SIGNING_KEY
    first = issuer_for(suite, tmp_path, key)
    journaled, _, tree = first._journaled("class-2026-4", class_records(10), GROWTH_RECORD, CREATED)  # then "crash"
    first.close()
    before = nonce(suite)
    resumed = issuer_for(suite, tmp_path, key).issue("class-2026-4", [], credential_type=GROWTH_RECORD, created=CREATED)
    assert resumed.root == tree.root and nonce(suite) == before + 1
    assert [c["id"] for c in resumed.credentials] == [c["id"] for c in journaled]
    again = issuer_for(suite, tmp_path, key).issue("class-2026-4", [], credential_type=GROWTH_RECORD, created=CREATED)
    assert again.root == resumed.root and nonce(suite) == before + 1, "a finished batch is never anchored twice"


def test_an_empty_batch_is_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    with pytest.raises(CredentialError, match="at least one"):
        issuer_for(suite, tmp_path).issue("empty", [], credential_type=GROWTH_RECORD, created=CREATED)


def test_nothing_is_signed_for_another_issuer_or_with_an_unregistered_key(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    before = nonce(suite)
    with pytest.raises(CredentialError, match="names issuer"):
        issuer_for(suite, tmp_path).issue("wrong", class_records(2, issuer=b"\x01" * 32), credential_type=GROWTH_RECORD, created=CREATED)
    with pytest.raises(CredentialError, match="not registered"):
        issuer_for(suite, tmp_path, Ed25519KeyPair.generate()).issue(
            "stray-key", class_records(2), credential_type=GROWTH_RECORD, created=CREATED
        )
    suite.transact("InstitutionRegistry", "revokeSigningKey", SCHOOL_SIGNING_KEY.public.raw, 1, by=SCHOOL_ADMIN)
    with pytest.raises(CredentialError, match="validity window"):
        issuer_for(suite, tmp_path).issue("revoked-key", class_records(2), credential_type=GROWTH_RECORD, created=CREATED)
    assert nonce(suite) == before, "nothing anchored"
    with pytest.raises(CredentialError, match="not an issuer key"):
        BatchIssuer(
            tmp_path / "x.sqlite3",
            sender=suite.sender(STRANGER),
            anchor=suite.contracts["CredentialAnchor"],
            directory=suite.contracts["InstitutionRegistry"],
            signing_key=SCHOOL_SIGNING_KEY,
        )


@pytest.mark.parametrize("cryptosuite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_every_core_signs_exactly_what_one_process_signs(suite: PyEvmSuite, tmp_path: Path, cryptosuite: str) -> None:
    """Large batches are signed by forked workers; the credentials and the journal are the same as
    one process makes them, and they verify. (The RDFC suite is slow: its batch is small, with the
    threshold for forking lowered to match.)"""
    import json
    import sqlite3

    import ledger_service.credentials._issuance as issuance

    build_tree(suite)
    records = class_records(2_100 if cryptosuite == "eddsa-jcs-2022" else 24)
    parallel = issuer_for(suite, tmp_path)
    parallel.cryptosuite = cryptosuite
    (tmp_path / "single").mkdir()
    single = issuer_for(suite, tmp_path / "single")
    single.cryptosuite, single.workers = cryptosuite, 1
    if cryptosuite == "eddsa-rdfc-2022":
        parallel.workers = 2
        original = issuance._PARALLEL_FROM
        issuance._PARALLEL_FROM = 10  # take the forked path with a small batch
    try:
        forked = parallel._sign_all(records, CREATED)
    finally:
        if cryptosuite == "eddsa-rdfc-2022":
            issuance._PARALLEL_FROM = original
    assert forked == single._sign_all(records, CREATED)
    signed, hashes, _ = parallel._journaled("big", records, GROWTH_RECORD, CREATED)
    journal = sqlite3.connect(tmp_path / "issuance.sqlite3")
    stored = [json.loads(text) for (text,) in journal.execute("SELECT document FROM credentials ORDER BY position")]
    journal.close()
    assert stored == signed, "the journal holds exactly the signed credentials"
    for credential, value in list(zip(signed, hashes, strict=True))[:: max(1, len(signed) // 40)]:
        assert verify(credential) and credential_hash(credential) == value
    parallel.close()
    single.close()


def test_two_institutions_signing_large_batches_at_once_get_their_own_signatures(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 11 item 2: the batch a forked worker signs came through one module-wide variable, so two
    institutions' large batches at the same moment could sign one's records with the other's key."""
    import threading

    import ledger_service.credentials._issuance as issuance

    build_tree(suite)
    other_key = Ed25519KeyPair.generate()
    jobs = []
    for index, key in enumerate((SCHOOL_SIGNING_KEY, other_key)):
        (tmp_path / str(index)).mkdir()
        issuer = issuer_for(suite, tmp_path / str(index), key)
        issuer.workers = 2
        records = [{**record, "id": f"urn:uuid:00000000-0000-4000-8000-{index:04d}{n:08d}"} for n, record in enumerate(class_records(120))]
        jobs.append((issuer, records))
    expected = []
    for issuer, records in jobs:
        issuer.workers = 1
        expected.append(issuer._sign_all(records, CREATED))
        issuer.workers = 2
    results: list[Any] = [None, None]
    start = threading.Barrier(2)

    def sign(index: int) -> None:
        issuer, records = jobs[index]
        start.wait()
        results[index] = issuer._sign_all(records, CREATED)

    original = issuance._PARALLEL_FROM
    issuance._PARALLEL_FROM = 10
    try:
        for _round in range(3):
            threads = [threading.Thread(target=sign, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert results == expected, "each institution's records, signed with its own key"
    finally:
        issuance._PARALLEL_FROM = original


def _probe(_: int) -> tuple[int, list[int]]:
    """In a signing worker: its parent-death signal and the sockets it holds."""
    import ctypes
    import os
    import stat

    signal_number = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(signal_number))  # PR_GET_PDEATHSIG
    sockets = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                sockets.append(int(name))
        except OSError:
            pass
    return signal_number.value, sockets


def test_signing_workers_die_with_their_parent_and_hold_no_socket_of_it() -> None:
    """Issue 11 item 2: workers forked by the service kept running after a kill -9, holding its listening
    socket (the next start failed with "address already in use") and its clients' connections."""
    import signal
    import socket

    from ledger_service.credentials._issuance import signing_pool

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        with signing_pool(2, ([], b"\0" * 32, "eddsa-jcs-2022", CREATED, "", None)) as pool:
            answers = list(pool.map(_probe, range(4)))
    assert all(death == signal.SIGKILL for death, _ in answers), answers
    assert all(sockets == [] for _, sockets in answers), answers

"""Privacy is a hard rule: after a full issuance run, nothing personal is anywhere on chain.

Every transaction's input and every log (topics and data) of every block is scanned for the
students' names, 学籍号, birth dates, guardians, contacts, their identity salts, and unsalted
hashes (sha256, keccak256) of their 学籍号 — in raw bytes and in hex.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ledger_service.credentials import (
    RDFC_SUITE,
    StatusList,
    growth_record_credential,
    identity_object,
    institution_uri,
    sign,
    status_list_hash,
)
from ledger_service.vault import MasterKey, NewSubject, Vault
from tests.credentials.test_verification import issue
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

STATUS_TYPE = keccak(b"EduLedger.StatusList")
STATUS_URL = "https://registry.example/status/binhai/revocation/1"


def students(count: int) -> list[NewSubject]:
    return [
        NewSubject(
            date(2012, 3, 1 + i % 28),
            {
                "name": f"王{'小明丽华强'[i % 5]}{i}",
                "student_number": f"G1201162012030{i:05d}",
                "guardian": f"王建国{i}",
                "contact": f"1390000{i:04d}",
            },
        )
        for i in range(count)
    ]


def chain_bytes(suite: PyEvmSuite) -> list[bytes]:
    """Every transaction input and every log topic and data on the chain."""
    head = int(suite.rpc.request("eth_blockNumber"), 16)
    seen: list[bytes] = []
    for number in range(head + 1):
        block = suite.rpc.request("eth_getBlockByNumber", [hex(number), True])
        for tx in block["transactions"]:
            seen.append(bytes.fromhex(str(tx.get("input") or tx.get("data"))[2:]))
    logs: list[dict[str, Any]] = suite.rpc.request("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head)}])
    for log in logs:
        seen.extend(bytes.fromhex(t[2:]) for t in log["topics"])
        seen.append(bytes.fromhex(log["data"][2:]))
    return seen


def test_no_personal_data_salts_or_unsalted_hashes_on_chain(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    people = students(40)
    vault = Vault(tmp_path / "vault.sqlite3", MasterKey.generate())
    enrolled = vault.enroll(people, today=date(2026, 11, 22))
    status = StatusList(STATUS_URL, "revocation")
    documents = []
    for i, ((_, salt), person) in enumerate(zip(enrolled, people, strict=True)):
        document = growth_record_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            issuer_id=institution_uri(SCHOOL),
            issuer_name="天津市滨海新区第一中学",
            identifier=identity_object(person.fields["student_number"], salt),
            dimension="社会实践",
            record_kind="志愿服务",
            term="2026-2027学年第一学期",
            narrative="参加社区志愿服务。",
            valid_from="2026-11-22T00:00:00Z",
        )
        document["credentialStatus"] = status.entry(status.allocate())
        documents.append(document)
    credentials = issue(suite, tmp_path, documents)
    status.set(int(credentials[3]["credentialStatus"]["statusListIndex"]))
    listed = sign(
        status.credential(issuer=institution_uri(SCHOOL), valid_from="2026-11-22T00:00:00Z"),
        SCHOOL_SIGNING_KEY,
        cryptosuite=RDFC_SUITE,
        created="2026-11-22T00:00:00Z",
    )
    suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)

    forbidden: dict[str, bytes] = {}
    for (subject_id, salt), person in zip(enrolled, people, strict=True):
        number = person.fields["student_number"]
        for label, value in person.fields.items():
            forbidden[f"{label} {value}"] = str(value).encode()
        forbidden[f"birth date of {number}"] = person.birth_date.isoformat().encode()
        forbidden[f"salt of {number}"] = salt
        forbidden[f"sha256({number})"] = hashlib.sha256(number.encode()).digest()
        forbidden[f"keccak({number})"] = keccak(number.encode())
        forbidden[f"vault id {subject_id}"] = subject_id.encode()
    on_chain = chain_bytes(suite)
    assert len(on_chain) > 20, "the scan must see the issuance's transactions and logs"
    anchored = any(bytes.fromhex(credentials[0]["proof"][1]["merkleRoot"][2:]) in blob for blob in on_chain)
    assert anchored, "the scan must see the anchored root (else it scans the wrong thing)"
    for blob in on_chain:
        hexed = blob.hex().encode()
        for label, value in forbidden.items():
            assert value not in blob and value.hex().encode() not in hexed, f"{label} is on chain"
    vault.close()

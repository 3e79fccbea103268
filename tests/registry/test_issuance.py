"""Issuing credentials through the registry: a school set up with keys on chain issues a class of
growth records and a group of professional-development records; every credential verifies,
including its status on the hosted list; revoke, suspend and unsuspend; the vault's personal data
is read and erased; bad input changes nothing; and nothing personal reaches the chain."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak
from fastapi.testclient import TestClient

from ledger_service.chain import Ledger, dev_signer
from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation, status_list_hash, status_list_id
from tests.utils.registry import ADMIN_KEY_INDEX, drain, new_signer, sign_in
from wallet_cli._registry import RegistryClient, RegistryError


def students(count: int, *, label: str, born: date = date(2011, 9, 1), consent: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "subject": {
                "name": f"李{'明华强丽'[i % 4]}{label}{i}",
                "student_number": f"G12011620{i:06d}{label[:4]}",
                "birth_date": born.isoformat(),
                "guardian": f"李建国{i}",
                "contact": f"1391234{i:04d}",
                **({"guardian_consent": f"consent/{label}/{i}"} if consent else {}),
            },
            "record": {
                "dimension": "社会实践",
                "record_kind": "志愿服务",
                "term": "2026-2027学年第一学期",
                "narrative": f"参加社区志愿服务 {10 + i} 小时。",
                "evidence_hashes": [hashlib.sha256(f"photo{i}".encode()).hexdigest()],
            },
        }
        for i in range(count)
    ]


def teachers(count: int, label: str) -> list[dict[str, Any]]:
    return [
        {
            "subject": {"name": f"赵老师{label}{i}", "staff_number": f"T{label[:6]}{i:04d}", "birth_date": "1985-03-02"},
            "record": {
                "training": "基于核心素养的单元整体教学设计",
                "category": "集中培训",
                "hours": 24,
                "credits": 1.5,
                "period": "2026年秋季",
                "provider": "天津师范大学",
            },
        }
        for i in range(count)
    ]


def issuing_school(client: TestClient) -> tuple[RegistryClient, RegistryClient, dict[str, Any]]:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    school = admin.request("POST", "/institutions", json={"name": f"滨海新区第{uuid.uuid4().hex[:4]}中学", "kind": "school"})
    issuer_setup = admin.request("POST", f"/institutions/{school['id']}/issuer")
    assert issuer_setup["chain_status"] == "pending" and issuer_setup["signing_key"].startswith("did:key:z6Mk")
    drain(client)
    assert admin.request("GET", f"/institutions/{school['id']}/issuer")["chain_status"] == "ready"
    key = new_signer()
    admin.request("PUT", f"/users/{key.address}", json={"institution_id": school["id"], "roles": ["issuer"]})
    return admin, sign_in(client, key), school


def verify(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/verify", json={"credential": document})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_class_is_issued_verified_and_its_lifecycle_kept(client: TestClient) -> None:
    _, issuer, school = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"g7-{label}", "kind": "growth_record", "records": students(12, label=label)}
    )
    assert batch["completed"] and batch["count"] == 12 and batch["tx_hash"] and batch["root"]
    first = batch["credentials"][0]
    for credential in batch["credentials"]:
        report = verify(client, credential["document"])
        assert report["outcome"] == "valid", report
    document = first["document"]
    assert (
        document["issuer"]["id"] == "did:web:127.0.0.1%3A8000:institutions:" + school["id"] and document["issuer"]["name"] == school["name"]
    )
    assert document["proof"][0]["verificationMethod"].startswith(document["issuer"]["id"] + "#z6Mk")
    entry = document["credentialStatus"]
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2
    again = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"g7-{label}", "kind": "growth_record", "records": students(12, label=label)}
    )
    assert again["tx_hash"] == batch["tx_hash"] and [c["id"] for c in again["credentials"]] == [c["id"] for c in batch["credentials"]]

    hosted = client.get(entry["statusListCredential"].replace("http://127.0.0.1:8000", ""))
    assert hosted.status_code == 200
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    anchored = ledger.contracts["CredentialAnchor"].call("statusListOf", status_list_id(entry["statusListCredential"]))
    assert bytes(anchored["listHash"]) == status_list_hash(hosted.json())

    path = f"/credentials/{first['id']}/status"
    assert issuer.request("POST", path, json={"action": "suspend"})["status"] == "suspended"
    suspended = verify(client, document)
    assert suspended["outcome"] == "invalid" and "suspended" in next(c["detail"] for c in suspended["checks"] if c["name"] == "status")
    assert verify(client, batch["credentials"][1]["document"])["outcome"] == "valid", "only that one is touched"
    issuer.request("POST", path, json={"action": "unsuspend"})
    assert verify(client, document)["outcome"] == "valid"
    issuer.request("POST", path, json={"action": "revoke", "reason": "误发"})
    revoked = verify(client, document)
    assert revoked["outcome"] == "invalid" and "revoked" in next(c["detail"] for c in revoked["checks"] if c["name"] == "status")
    for action, code in (("unsuspend", "revoked"), ("revoke", "revoked"), ("suspend", "revoked")):
        with pytest.raises(RegistryError) as caught:
            issuer.request("POST", path, json={"action": action})
        assert (caught.value.status, caught.value.code) == (409, code)
    # A stale copy of the list (before the revocation) is presented: the list in force, hosted here, decides.
    stale = client.post("/verify", json={"credential": document, "status_lists": {entry["statusListCredential"]: hosted.json()}}).json()
    assert stale["outcome"] == "invalid" and "revoked" in next(c["detail"] for c in stale["checks"] if c["name"] == "status")


def test_the_vault_keeps_personal_data_and_erasure_keeps_credentials_verifying(client: TestClient, tmp_path: Path) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": students(2, label=label)}
    )
    first = batch["credentials"][0]
    person = issuer.request("GET", f"/subjects/{first['subject_id']}")
    assert person["name"] == f"李明{label}0" and person["student_number"].startswith("G12011620") and person["birth_date"] == "2011-09-01"
    vault = sqlite3.connect(tmp_path / "vault.sqlite3")
    stored = b"".join(row[0] for row in vault.execute("SELECT sealed FROM fields"))
    vault.close()
    assert f"李明{label}0".encode() not in stored and b"G12011620" not in stored, "encrypted at rest"
    _, stranger, _ = issuing_school(client)
    with pytest.raises(RegistryError) as caught:
        stranger.request("GET", f"/subjects/{first['subject_id']}")
    assert caught.value.status == 404, "another school's issuer cannot see them"
    issuer.request("DELETE", f"/subjects/{first['subject_id']}")
    with pytest.raises(RegistryError) as caught:
        issuer.request("GET", f"/subjects/{first['subject_id']}")
    assert (caught.value.status, caught.value.code) == (410, "subject_erased")
    assert verify(client, first["document"])["outcome"] == "valid", "the credential never held the personal data"


def test_professional_development_records(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"pd-{label}", "kind": "professional_development", "records": teachers(3, label)}
    )
    document = batch["credentials"][0]["document"]
    assert document["credentialSubject"]["creditsEarned"] == 1.5
    assert document["credentialSubject"]["identifier"][0]["identityType"] == "identifier"
    assert verify(client, document)["outcome"] == "valid"


def test_bad_batches_change_nothing(client: TestClient, tmp_path: Path) -> None:
    admin, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]

    def subjects() -> int:
        with sqlite3.connect(tmp_path / "vault.sqlite3") as vault:
            return int(vault.execute("SELECT COUNT(*) FROM subjects WHERE erased_at IS NULL").fetchone()[0])

    before = subjects()
    young = students(3, label=label, born=date(2016, 1, 1), consent=False)
    for records, status, code in [
        (young, 422, "guardian_consent_required"),
        ([*students(2, label=label), {"subject": {"name": "x"}, "record": {}}], 422, "invalid_request"),
        (
            [{**students(1, label=label)[0], "record": {**students(1, label=label)[0]["record"], "dimension": "打游戏"}}],
            422,
            "invalid_request",
        ),
        ([{**students(1, label=label)[0], "extra": 1}], 422, "invalid_request"),
    ]:
        with pytest.raises(RegistryError) as caught:
            issuer.request(
                "POST", "/credentials/batches", json={"batch": f"bad-{uuid.uuid4().hex[:6]}", "kind": "growth_record", "records": records}
            )
        assert (caught.value.status, caught.value.code) == (status, code), str(caught.value)
    assert subjects() == before, "no personal data kept for a refused batch"
    with pytest.raises(RegistryError) as caught:
        issuer.request("POST", "/credentials/batches", json={"batch": "x", "kind": "diploma", "records": students(1, label=label)})
    assert caught.value.status == 422
    consented = students(2, label=label, born=date(2016, 1, 1), consent=True)
    assert issuer.request("POST", "/credentials/batches", json={"batch": f"young-{label}", "kind": "growth_record", "records": consented})[
        "completed"
    ]
    teacher = new_signer()
    admin.request("PUT", f"/users/{teacher.address}", json={"roles": ["teacher"]})
    with pytest.raises(RegistryError) as caught:
        sign_in(client, teacher).request("POST", "/credentials/batches", json={"batch": "t", "kind": "growth_record", "records": consented})
    assert caught.value.status == 403
    plain = admin.request("POST", "/institutions", json={"name": "未开通的学校", "kind": "school"})
    clerk = new_signer()
    admin.request("PUT", f"/users/{clerk.address}", json={"institution_id": plain["id"], "roles": ["issuer"]})
    with pytest.raises(RegistryError) as caught:
        sign_in(client, clerk).request("POST", "/credentials/batches", json={"batch": "t", "kind": "growth_record", "records": consented})
    assert (caught.value.status, caught.value.code) == (409, "not_an_issuer")


def test_nothing_personal_reaches_the_chain(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    records = students(8, label=label)
    batch = issuer.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    issuer.request("POST", f"/credentials/{batch['credentials'][0]['id']}/status", json={"action": "revoke"})
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    head = int(ledger.rpc.request("eth_blockNumber"), 16)
    chain = bytearray()
    for number in range(head + 1):
        for tx in ledger.rpc.request("eth_getBlockByNumber", [hex(number), True])["transactions"]:
            chain += bytes.fromhex(tx["input"][2:])
    for log in ledger.rpc.request("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head)}]):
        for topic in log["topics"]:
            chain += bytes.fromhex(topic[2:])
        chain += bytes.fromhex(log["data"][2:])
    hexed = chain.hex().encode()
    for record in records:
        person = record["subject"]
        for value in (person["name"], person["student_number"], person["guardian"], person["contact"], person["birth_date"]):
            for form in (value.encode(), hashlib.sha256(value.encode()).digest(), keccak(value.encode())):
                assert form not in chain and form.hex().encode() not in hexed, f"{value!r} is on chain"


def test_the_credit_bank_converts_a_holders_presentation_once(client: TestClient) -> None:
    """Issue 12 item 5: credentials bound to the student's did:key; the student signs a presentation over
    a challenge of this registry (used once) and its domain; a copy presented by anyone else is refused."""
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student, thief = Ed25519KeyPair.generate(), Ed25519KeyPair.generate()
    records = [{**record, "holder": holder_did(student.public)} for record in students(2, label=label)]
    issued = school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    mine = [c["document"] for c in issued["credentials"][:1]]
    assert mine[0]["credentialSubject"]["id"] == holder_did(student.public)

    def challenge() -> dict[str, Any]:
        answer = client.post("/presentations/challenges")
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def presented(credentials: list[dict[str, Any]], key: Ed25519KeyPair = student, **changes: str) -> dict[str, Any]:
        given = {**challenge(), **changes}
        signed = sign_presentation(credentials, key, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
        return {"presentation": signed, "challenge": given["challenge"]}

    def refused(body: dict[str, Any]) -> RegistryError:
        with pytest.raises(RegistryError) as caught:
            college.request("POST", "/credit-bank/imports", json=body)
        return caught.value

    assert challenge()["domain"] == "127.0.0.1:8000"
    assert (refused(presented(mine)).status, refused(presented(mine)).code) == (409, "no_rules")
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    stolen = refused(presented(mine, key=thief))
    assert stolen.status == 422 and "holder_binding" in str(stolen)
    assert "domain" in str(refused(presented(mine, domain="evil.example")))
    other = presented(mine)
    other["challenge"] = challenge()["challenge"]  # signed over one challenge, sent with another
    assert "challenge: the presentation answers another challenge" in str(refused(other))
    unknown = presented(mine)
    unknown["challenge"] = "never-handed-out"
    assert (refused(unknown).status, refused(unknown).code) == (422, "unknown_challenge")

    genuine = presented(mine)
    grant = college.request("POST", "/credit-bank/imports", json=genuine)
    assert grant["credits"] == 0.5 and grant["converted"] == [mine[0]["id"]] and grant["refused"] == []
    credential = grant["credential"]
    assert credential["credentialSubject"]["identifier"] == mine[0]["credentialSubject"]["identifier"], "the same salted subject"
    assert credential["credentialSubject"]["id"] == holder_did(student.public)
    assert verify(client, credential)["outcome"] == "valid"
    replayed = refused(genuine)
    assert (replayed.status, replayed.code) == (422, "challenge_used")
    again = refused(presented(mine))
    assert again.status == 422 and "already converted" in str(again)
    tampered = presented([{**issued["credentials"][1]["document"], "name": "改过的"}])
    assert "invalid" in str(refused(tampered))


def test_a_holders_presentation_at_verify(client: TestClient) -> None:
    _, school, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    records = [{**record, "holder": holder_did(student.public)} for record in students(1, label=label)]
    mine = [
        c["document"]
        for c in school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})[
            "credentials"
        ]
    ]
    given = client.post("/presentations/challenges").json()
    signed = sign_presentation(mine, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
    answer = client.post("/verify/presentation", json={"presentation": signed, "challenge": given["challenge"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["outcome"] == "valid" and [c["name"] for c in body["checks"]] == ["holder_proof", "challenge", "domain"]
    assert body["credentials"][0]["checks"][-1] == {"name": "holder_binding", "result": "pass", "detail": ""}
    replay = client.post("/verify/presentation", json={"presentation": signed, "challenge": given["challenge"]})
    assert replay.status_code == 422 and replay.json()["error"] == "challenge_used"
    given = client.post("/presentations/challenges").json()
    stolen = sign_presentation(
        mine, Ed25519KeyPair.generate(), challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z"
    )
    body = client.post("/verify/presentation", json={"presentation": stolen, "challenge": given["challenge"]}).json()
    assert body["outcome"] == "invalid" and body["credentials"][0]["checks"][-1]["name"] == "holder_binding"
    assert client.post("/verify", json={"credential": signed}).status_code == 422, "a signed presentation goes to /verify/presentation"
    bad = client.post("/credentials/batches", json={})
    assert bad.status_code in (401, 403, 422)
    refused = school.request
    with pytest.raises(RegistryError) as caught:
        refused(
            "POST",
            "/credentials/batches",
            json={
                "batch": f"h-{label}",
                "kind": "growth_record",
                "records": [{**students(1, label=label)[0], "holder": "did:key:z6Mk" + "1" * 45}],
            },
        )
    assert caught.value.status == 422 and "holder" in str(caught.value)


def test_status_lists_fill_to_half_then_another_opens(client: TestClient) -> None:
    from registry.core.errors import InvalidRequestError

    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    _, _, school = issuing_school(client)
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        first = issuing.open_list(db, school["id"], 10)
        first.allocated_count = 65_536 - 5
        db.commit()
        assert issuing.open_list(db, school["id"], 5).id == first.id, "room for five more"
        second = issuing.open_list(db, school["id"], 6)
        assert second.id != first.id, "a list is never filled past half"
        db.commit()
        assert issuing.open_list(db, school["id"], 1).id == first.id, "the fullest list with room comes first"
        assert issuing.open_list(db, school["id"], 6).id == second.id
        with pytest.raises(InvalidRequestError):
            issuing.open_list(db, school["id"], 70_000)

"""Issuance keeps personal data erasable and unorphaned (issue 11, items 5-9): a batch key sent
again with other records is refused naming the difference; a student enrolled again by the same
school is one subject, so their records present together; the registry's copies of credentials
go with an erasure while the holder's still verify; subjects an interrupted enrolment left are
shredded at start; credit grants have a status entry, are listed, read, revoked, and revoked with
their source."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation
from ledger_service.vault import NewSubject
from registry.models import IssuedCredential
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students, verify
from wallet_cli._registry import RegistryClient, RegistryError

pytestmark = pytest.mark.anvil


def batch(issuer: RegistryClient, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return issuer.request("POST", "/credentials/batches", json={"batch": key, "kind": "growth_record", "records": records})


def refused(call: Any) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        call()
    return caught.value


def holding(records: list[dict[str, Any]], holder: Ed25519KeyPair, *, first: int | None = None) -> list[dict[str, Any]]:
    """``records`` (the ``first`` of them) bound to ``holder``'s did:key: only they can present them."""
    bound = len(records) if first is None else first
    return [{**record, "holder": holder_did(holder.public)} if i < bound else record for i, record in enumerate(records)]


def presented(client: TestClient, holder: Ed25519KeyPair, *documents: dict[str, Any]) -> dict[str, Any]:
    """An import body: the holder's presentation over a fresh challenge of the registry."""
    given = client.post("/presentations/challenges").json()
    signed = sign_presentation(
        list(documents), holder, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z"
    )
    return {"presentation": signed, "challenge": given["challenge"]}


def test_a_batch_key_sent_again_with_other_records_is_refused_naming_the_difference(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    records = students(4, label=label)
    first = batch(issuer, f"k-{label}", records)
    assert batch(issuer, f"k-{label}", students(4, label=label))["tx_hash"] == first["tx_hash"], "same records: the same batch"
    changed = [dict(r) for r in records]
    changed[2] = {**changed[2], "record": {**changed[2]["record"], "narrative": "另一段评语。"}}
    changed[3] = {**changed[3], "subject": {**changed[3]["subject"], "name": "别人"}}
    error = refused(lambda: batch(issuer, f"k-{label}", changed))
    assert (error.status, error.code) == (409, "batch_key_reused")
    assert "record 2: its record" in str(error) and "record 3: its subject" in str(error), str(error)
    assert "record 0" not in str(error) and "另一段评语" not in str(error) and "别人" not in str(error), "names positions, not data"
    error = refused(lambda: batch(issuer, f"k-{label}", records[:3]))
    assert error.status == 409 and "4 records then, 3 now" in str(error)
    error = refused(
        lambda: issuer.request(
            "POST",
            "/credentials/batches",
            json={"batch": f"k-{label}", "kind": "growth_record", "records": records, "valid_from": "2027-01-01T00:00:00Z"},
        )
    )
    assert error.status == 409 and "valid_from" in str(error)
    error = refused(lambda: batch(issuer, f"k-{label}", holding(records, Ed25519KeyPair.generate(), first=1)))
    assert error.status == 409 and "record 0: its record" in str(error), "bound to another holder is another credential"
    assert issuer.request("GET", f"/credentials/batches/k-{label}")["count"] == 4, "the recorded batch is untouched"


def test_a_student_enrolled_again_keeps_one_subject_and_their_records_present_together(client: TestClient) -> None:
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    _, other_school, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    autumn = batch(school, f"autumn-{label}", holding(students(3, label=label), student, first=1))
    spring_records = holding(students(3, label=label), student, first=1)
    for record in spring_records:
        record["record"] = {**record["record"], "term": "2026-2027学年第二学期", "narrative": "参加科技节。"}
    spring = batch(school, f"spring-{label}", spring_records)
    assert [c["subject_id"] for c in spring["credentials"]] == [c["subject_id"] for c in autumn["credentials"]]
    first, second = autumn["credentials"][0]["document"], spring["credentials"][0]["document"]
    assert first["credentialSubject"]["identifier"] == second["credentialSubject"]["identifier"], "one salted identity"
    elsewhere = batch(other_school, f"x-{label}", students(1, label=label))
    assert elsewhere["credentials"][0]["subject_id"] != autumn["credentials"][0]["subject_id"], "another school: another subject"
    assert elsewhere["credentials"][0]["document"]["credentialSubject"]["identifier"] != first["credentialSubject"]["identifier"]
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    grant = college.request("POST", "/credit-bank/imports", json=presented(client, student, first, second))
    assert grant["credits"] == 1.0 and sorted(grant["converted"]) == sorted([first["id"], second["id"]])


def test_erasure_reaches_the_registrys_copies_and_the_holders_copy_still_verifies(client: TestClient, tmp_path: Path) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    narrative = f"评语{label}：该生热心公益。"
    records = students(2, label=label)
    records[0]["record"] = {**records[0]["record"], "narrative": narrative}
    issued = batch(issuer, label, records)
    held = issued["credentials"][0]
    assert held["document"]["credentialSubject"]["achievement"]["criteria"]["narrative"] == narrative or narrative in str(held["document"])
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def stored() -> str:
        with engine.connect() as db:
            rows = [*db.execute(text("SELECT * FROM issued_credentials")), *db.execute(text("SELECT * FROM credential_batches"))]
        return repr(rows)

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in (tmp_path / "issuers").glob("*") if p.is_file())

    assert narrative not in stored() and narrative.encode() not in on_disk(), "sealed at rest, journals forgotten"
    assert narrative in str(issuer.request("GET", f"/credentials/{held['id']}")["document"]), "readable while the subject is kept"
    issuer.request("DELETE", f"/subjects/{held['subject_id']}")
    after = issuer.request("GET", f"/credentials/{held['id']}")
    assert after["document"] is None and after["subject_erased"] and after["status"] == "active"
    assert issuer.request("GET", f"/credentials/batches/{label}")["credentials"][1]["document"] is not None, "the other subject's stays"
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        row = db.get(IssuedCredential, held["id"])
        assert row.sealed_document and issuing.document_of(row) is None, "the sealed copy no longer opens"
    assert verify(client, held["document"])["outcome"] == "valid", "the holder's copy still verifies"


def test_an_interrupted_enrolment_is_shredded_at_start_and_a_resend_reuses_its_subjects(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client()
    _, issuer, school = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    records = students(3, label=label)
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    # What a kill -9 between the vault's enrolment and the batch commit leaves: pending subjects, no batch.
    people = [
        NewSubject(date(2011, 9, 1), {"name": r["subject"]["name"]}, "consent", key=f"student_number:{r['subject']['student_number']}")
        for r in records
    ]
    orphans = [subject for subject, _ in issuing.vault.enroll(people, scope=f"institution:{school['id']}")]
    kept = batch(issuer, f"kept-{label}", students(1, label=f"{label}k"))["credentials"][0]["subject_id"]
    resend = batch(issuer, f"b-{label}", records)
    assert [c["subject_id"] for c in resend["credentials"]] == orphans, "the resent batch found its subjects again"
    lost = issuing.vault.enroll(
        [NewSubject(date(2011, 9, 1), {"name": "x"}, "c", key="student_number:G9")], scope=f"institution:{school['id']}"
    )[0][0]
    assert issuing.vault.pending() == [lost]
    # A credential as versions before 0005 kept it: in clear, nothing sealed.
    legacy_id = resend["credentials"][1]["id"]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        row = db.get(IssuedCredential, legacy_id)
        row.document, row.sealed_document = resend["credentials"][1]["document"], None
        db.commit()
    client.__exit__(None, None, None)
    restarted = make_client()  # the same data directory and database
    with restarted.app.state.sessions() as db:  # type: ignore[attr-defined]
        rows = {c.id: c for c in db.scalars(select(IssuedCredential))}
        assert rows[legacy_id].document is None and rows[legacy_id].sealed_document, "sealed at start"
        opened = {c.id: restarted.app.state.issuing.document_of(c) for c in rows.values()}  # type: ignore[attr-defined]
    assert opened[legacy_id] == resend["credentials"][1]["document"]
    assert opened[resend["credentials"][0]["id"]] == resend["credentials"][0]["document"], "a restart leaves sealed copies alone"
    vault = sqlite3.connect(tmp_path / "vault.sqlite3")
    erased = dict(vault.execute("SELECT subject_id, erased_at IS NOT NULL FROM subjects"))
    vault.close()
    assert erased[lost] and not any(erased[s] for s in [*orphans, kept]), "only the unreferenced subject is shredded"
    assert restarted.app.state.issuing.vault.pending() == []  # type: ignore[attr-defined]


def test_credit_grants_have_a_status_are_listed_read_revoked_and_follow_their_source(client: TestClient) -> None:
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    issued = batch(school, label, holding(students(2, label=label), student, first=1))
    records = holding(students(2, label=label), student, first=1)
    for record in records:
        record["record"] = {**record["record"], "term": "第二学期"}
    more = batch(school, f"{label}-2", records)
    records[0]["record"] = {**records[0]["record"], "term": "第三学期"}
    third = batch(school, f"{label}-3", records[:1])
    one, two, three = issued["credentials"][0], more["credentials"][0], third["credentials"][0]  # one student's three records
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    grant = college.request("POST", "/credit-bank/imports", json=presented(client, student, one["document"], two["document"]))
    entry = grant["credential"]["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and grant["status"] == "active"
    assert verify(client, grant["credential"])["outcome"] == "valid"
    read = college.request("GET", f"/credentials/{grant['grant_id']}")
    assert read["status"] == "active" and read["document"]["id"] == grant["credential_id"] == grant["credential"]["id"]
    assert college.request("GET", f"/credentials/{grant['credential_id']}")["id"] == grant["credential_id"]
    assert refused(lambda: school.request("GET", f"/credentials/{grant['grant_id']}")).status == 404, "only its institution"
    listed = college.request("GET", "/credit-bank/grants")
    assert [(g["grant_id"], g["credits"], sorted(g["converted"])) for g in listed] == [
        (grant["grant_id"], 1.0, sorted([one["id"], two["id"]]))
    ]

    school.request("POST", f"/credentials/{one['id']}/status", json={"action": "revoke", "reason": "误发"})
    revoked = college.request("GET", f"/credentials/{grant['grant_id']}")
    assert revoked["status"] == "revoked" and one["id"] in (revoked["status_reason"] or "")
    report = verify(client, grant["credential"])
    assert report["outcome"] == "invalid" and "revoked" in next(c["detail"] for c in report["checks"] if c["name"] == "status")
    # The grant's other source is free again: presented with another record, it is converted anew.
    again = college.request("POST", "/credit-bank/imports", json=presented(client, student, two["document"], three["document"]))
    assert sorted(again["converted"]) == sorted([two["id"], three["id"]]) and again["credits"] == 1.0
    college.request("POST", f"/credentials/{again['grant_id']}/status", json={"action": "revoke"})
    assert verify(client, again["credential"])["outcome"] == "invalid"
    statuses = {g["grant_id"]: g["status"] for g in college.request("GET", "/credit-bank/grants")}
    assert statuses == {grant["grant_id"]: "revoked", again["grant_id"]: "revoked"}


def test_the_same_batch_sent_twice_at_once_is_one_batch(client: TestClient, tmp_path: Path) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    with sqlite3.connect(tmp_path / "vault.sqlite3") as vault:
        before = vault.execute("SELECT count(*) FROM subjects WHERE erased_at IS NULL").fetchone()[0]
    answers: list[Any] = []

    def send() -> None:
        try:
            answers.append(batch(issuer, f"twice-{label}", students(40, label=label)))
        except RegistryError as exc:
            answers.append(exc)

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=120)
    assert all(isinstance(a, dict) for a in answers) and len(answers) == 2, answers
    assert answers[0]["tx_hash"] == answers[1]["tx_hash"] and answers[0]["credentials"] == answers[1]["credentials"]
    with sqlite3.connect(tmp_path / "vault.sqlite3") as vault:
        after = vault.execute("SELECT count(*) FROM subjects WHERE erased_at IS NULL").fetchone()[0]
    assert after - before == 40, "each student enrolled once"


def test_issuer_keys_are_sealed_by_the_vault_and_no_workflow_does_its_own_encryption(client: TestClient) -> None:
    from ledger_service.chain import Signer
    from ledger_service.credentials import P256KeyPair
    from registry.models import IssuerAccount

    _, _, school = issuing_school(client)
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        account = db.get_one(IssuerAccount, school["id"])
    keys = issuing.vault.open(f"issuer-keys:{school['id']}", account.sealed_keys, key_id=account.master_key_id)
    assert Signer(keys[:32]).address == account.address and len(keys) == 96  # issuer key, Ed25519 seed, P-256 secret
    assert P256KeyPair.from_secret(keys[64:]).public.multibase == issuing.sd_public(account).multibase, "sealed with the others"
    registry = Path(__file__).resolve().parents[2] / "registry"
    raw_crypto = [str(p.relative_to(registry)) for p in registry.rglob("*.py") if "AESGCM" in p.read_text(encoding="utf-8")]
    assert raw_crypto == [], "sealing belongs to the vault"


def test_a_grant_left_standing_by_a_crash_is_revoked_by_the_worker(client: TestClient) -> None:
    from registry.models import IssuedCredential as Issued
    from registry.models import IssuerAccount
    from tests.utils.registry import drain

    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    source = batch(school, label, holding(students(1, label=label), student))["credentials"][0]
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 2}])
    grant = college.request("POST", "/credit-bank/imports", json=presented(client, student, source["document"]))
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        row = db.get_one(Issued, source["id"])
        account = db.get_one(IssuerAccount, row.institution_id)
        original = issuing.revoke_dependent_grants
        issuing.revoke_dependent_grants = lambda *_: 0  # the process dies right after the source's revocation commits
        try:
            issuing.change_status(db, row, account, "revoke")
        finally:
            issuing.revoke_dependent_grants = original
    assert college.request("GET", f"/credentials/{grant['grant_id']}")["status"] == "active"
    drain(client)  # a chain worker cycle reconciles
    assert college.request("GET", f"/credentials/{grant['grant_id']}")["status"] == "revoked"
    assert verify(client, grant["credential"])["outcome"] == "invalid"


def test_a_relanded_batch_gets_its_new_block_in_the_sealed_copies(client: TestClient) -> None:
    from registry.chain.relanding import apply_blocks
    from registry.models import IssuedCredential as Issued

    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    issued = batch(issuer, label, students(2, label=label))
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        assert apply_blocks(db, {issued["tx_hash"]: 987_654}, issuing) == 2, "the batch and the chain job that anchored it"
        db.commit()
        rows = list(db.scalars(select(Issued).where(Issued.id.in_([c["id"] for c in issued["credentials"]]))))
        assert all(r.document is None and r.sealed_document for r in rows), "still sealed, never in clear"
    again = issuer.request("GET", f"/credentials/batches/{label}")
    assert again["block_number"] == 987_654
    assert [c["document"]["proof"][-1]["blockNumber"] for c in again["credentials"]] == [987_654, 987_654]

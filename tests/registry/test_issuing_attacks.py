"""Hostile requests against institutions' chain jobs, the 202 answers and the issuing endpoints:
other schools' ids, demoted issuers, concurrent duplicates, wrong types."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger_service.chain import Ledger
from registry.models import CredentialBatch
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students
from tests.utils.registry import RegistryClient, drain, lesson_bundle, lesson_metadata, set_up_people


def test_a_batch_whose_issuer_key_was_revoked_on_chain_fails_clearly_and_health_says_so(make_client: ClientFactory) -> None:
    """The school's key revoked on chain between the batch's commit and its send: the anchor job fails once
    (no retry loop), the job's status URL names the reason, and /health is degraded while it stays failed."""
    client = make_client(WORKER=False, CHAIN_WAIT_SECONDS=1)
    admin, issuer, school = issuing_school(client)
    address = admin.request("GET", f"/institutions/{school['id']}/issuer")["address"]
    key = f"revoked-{uuid.uuid4().hex[:6]}"
    answer = client.post(
        "/credentials/batches", headers=issuer.headers, json={"batch": key, "kind": "growth_record", "records": students(2, label=key[-6:])}
    )
    assert answer.status_code == 202, answer.text
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    directory = ledger.contracts["InstitutionRegistry"]
    ledger.sender.transact(directory.transaction("revokeIssuerKey", address, int(time.time()) - 10, key=f"revoke-{key}"))
    drain(client)  # returns: the job is not retried for ever
    job = client.get(answer.json()["chain_job_url"]).json()
    assert job["status"] == "failed" and job["error"], job
    batch = client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()
    assert not batch["completed"]
    deadline = time.monotonic() + 5  # the monitor looks every 0.2 s
    while (health := client.get("/health")).json()["failed_chain_jobs"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert health.status_code == 503, health.json()
    assert "failed" in health.json()["chain_writes"] and health.json()["failed_chain_jobs"] == 2, health.json()  # list, batch
    again = client.post(
        "/credentials/batches", headers=issuer.headers, json={"batch": key, "kind": "growth_record", "records": students(2, label=key[-6:])}
    )
    assert again.status_code in (202, 409, 422, 502), again.text  # sent again: a new job that fails the same way, said as such
    drain(client)
    assert client.get("/chain/jobs/987654321").status_code == 404


def test_an_issuer_demoted_between_the_202_and_the_anchor_the_batch_still_completes_but_they_no_longer_reach_it(
    make_client: ClientFactory,
) -> None:
    """Decided: the batch was committed (its records fixed, its job made) while the issuer held the role,
    so it is the institution's act and its job completes; what the role gave the person stops at once:
    the demoted user can neither follow the batch nor send its key again."""
    client = make_client(WORKER=False, CHAIN_WAIT_SECONDS=1)
    admin, issuer, school = issuing_school(client)
    key = f"demoted-{uuid.uuid4().hex[:6]}"
    body = {"batch": key, "kind": "growth_record", "records": students(2, label=key[-6:])}
    answer = client.post("/credentials/batches", headers=issuer.headers, json=body)
    assert answer.status_code == 202, answer.text
    admin.request("PUT", f"/users/{issuer.request('GET', '/auth/session')['address']}", json={"institution_id": school["id"], "roles": []})
    drain(client)
    assert client.get(answer.json()["chain_job_url"]).json()["status"] == "done"
    assert client.get(f"/credentials/batches/{key}", headers=issuer.headers).status_code == 403
    assert client.post("/credentials/batches", headers=issuer.headers, json=body).status_code == 403
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        batch = session.scalar(select(CredentialBatch).where(CredentialBatch.key == key))
        assert batch is not None and batch.completed_at is not None and batch.tx_hash


def test_another_schools_issuer_cannot_reach_a_batch_by_its_key_and_the_same_key_is_their_own(make_client: ClientFactory) -> None:
    client = make_client()
    _, issuer, _ = issuing_school(client)
    _, other, _ = issuing_school(client)
    key = f"g8-{uuid.uuid4().hex[:6]}"
    body = {"batch": key, "kind": "growth_record", "records": students(1, label=key[-6:])}
    mine = issuer.request("POST", "/credentials/batches", json=body)
    assert client.get(f"/credentials/batches/{key}", headers=other.headers).status_code == 404
    theirs = client.post(
        "/credentials/batches", headers=other.headers, json={"batch": key, "kind": "growth_record", "records": students(2, label="zz")}
    )
    assert theirs.status_code == 201, theirs.text  # not batch_key_reused: another school's keys are not in its way
    assert theirs.json()["tx_hash"] != mine["tx_hash"] and theirs.json()["count"] == 2
    assert client.get(f"/credentials/{mine['credentials'][0]['id']}", headers=other.headers).status_code in (403, 404)
    bad = client.post(f"/credentials/{mine['credentials'][0]['id']}/status", json={"action": "revoke"}, headers=other.headers)
    assert bad.status_code in (403, 404), bad.text


def test_chain_job_ids_out_of_range_or_of_the_wrong_type_are_4xx(client: TestClient) -> None:
    for job_id in ("99999999999999999999999999", "-1", "0", "1.5", "1e3", "%00"):
        answer = client.get(f"/chain/jobs/{job_id}")
        assert 400 <= answer.status_code < 500 and "error" in answer.json(), (job_id, answer.status_code, answer.text)


def test_two_imports_of_one_presentation_at_once_grant_once(make_client: ClientFactory) -> None:
    from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation

    client = make_client()
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    records = [{**record, "holder": holder_did(student.public)} for record in students(1, label=label)]
    issued = school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    given = client.post("/presentations/challenges").json()
    mine = [issued["credentials"][0]["document"]]
    signed = sign_presentation(mine, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
    answers: list[int] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        reply = client.post("/credit-bank/imports", json={"presentation": signed, "challenge": given["challenge"]}, headers=college.headers)
        answers.append(reply.status_code)
        assert reply.status_code < 500, reply.text

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(answers)[0] in (201, 202) and 400 <= sorted(answers)[1] < 500, answers
    drain(client)
    assert len(client.get("/credit-bank/grants", headers=college.headers).json()) == 1


GOOD = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}


def test_the_history_does_not_show_a_rounds_reviews_to_whom_the_reviews_route_hides_them(client: TestClient) -> None:
    """Before: GET .../reviews hid the round's reviews from a reviewer who had not submitted theirs (and from
    the authors before the decision), but GET .../history gave each review event's scores, comments and
    recommendation to anyone who may see the version."""
    people = set_up_people(client)
    files = lesson_bundle(f"attack-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, title="独立评审"))
    path = f"/resources/{version['resource_id']}/versions/{version['number']}"
    first, second = people.reviewers[0], people.reviewers[1]
    for reviewer in (first, second):
        reviewer.request("POST", path + "/claim")
    secret = "这节课的导入设计很好"
    first.request(
        "POST",
        path + "/reviews",
        json={"orientation_pass": True, "scores": GOOD, "comments": {"科学性": secret}, "recommendation": "accept"},
    )
    assert second.request("GET", path + "/reviews") == []

    def review_details(who: RegistryClient) -> list[dict[str, Any]]:
        events = who.request("GET", path + "/history")["events"]
        return [e["details"] for e in events if e["action"] == "review"]

    for who in (second, people.teacher):
        (details,) = review_details(who)
        assert secret not in json.dumps(details, ensure_ascii=False) and "scores" not in details and "recommendation" not in details, (
            details
        )
    assert second.request("GET", path + "/history")["intact"]
    (shown,) = review_details(people.admin)
    assert shown["comments"] == {"科学性": secret} and shown["recommendation"] == "accept"
    second.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
    assert review_details(second)[0]["comments"] == {"科学性": secret}  # their own submitted: the round is open to them
    people.admin.request("POST", path + "/decision", json={"decision": "accept"})
    assert review_details(people.teacher)[0]["comments"] == {"科学性": secret}  # decided: the authors read them


def test_the_dashboard_keeps_the_first_decision_after_a_reopen_then_accept(client: TestClient) -> None:
    people = set_up_people(client)
    before = people.admin.request("GET", "/dashboard")["total"]
    files = lesson_bundle(f"attack-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, title="复议后收录"))
    path = f"/resources/{version['resource_id']}/versions/{version['number']}"
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "decline"})
    people.admin.request("POST", path + "/decision", json={"decision": "decline"})
    declined = people.admin.request("GET", "/dashboard")["total"]
    people.admin.request("POST", path + "/reopen", json={"reason": "复议"})
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
    people.admin.request("POST", path + "/decision", json={"decision": "accept"})
    after = people.admin.request("GET", "/dashboard")["total"]
    assert people.teacher.request("GET", path)["state"] == "ACCEPTED"
    assert after["decisions"] == declined["decisions"] == before["decisions"] + 1
    assert after["accepted"] == declined["accepted"] == before["accepted"], "the first decision (decline) is the one counted"
    assert after["submissions"] == before["submissions"] + 1
    assert after["turnaround_median_s"] == declined["turnaround_median_s"] and after["turnaround_p90_s"] == declined["turnaround_p90_s"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/credit-bank/rules", [{"achievement_type": "ext:GrowthRecord", "credits": 1e400}]),
        ("PUT", "/credit-bank/rules", [{"achievement_type": "ext:GrowthRecord", "credits": -1}]),
        ("PUT", "/credit-bank/rules", [{"achievement_type": "ext:GrowthRecord", "credits": "0.5"}]),
        ("PUT", "/credit-bank/rules", [{"achievement_type": "ext:GrowthRecord", "credits": 10**400}]),
        ("PUT", "/credit-bank/rules", {"achievement_type": "ext:GrowthRecord", "credits": 1}),
        ("PUT", "/credit-bank/rules", [{"achievement_type": ["x"], "credits": 1}]),
        ("POST", "/credit-bank/imports", {"presentation": "not an object", "challenge": "x"}),
        ("POST", "/credit-bank/imports", {"presentation": {}, "challenge": 12}),
        ("POST", "/credit-bank/imports", {"presentation": {"proof": 10**400}, "challenge": "x" * 10_000}),
        ("POST", "/credit-bank/imports", {"presentation": {"verifiableCredential": [[]] * 5, "holder": 1}, "challenge": "x"}),
        ("POST", "/credentials/batches", {"batch": "x" * 10_000, "kind": "growth_record", "records": []}),
        ("POST", "/credentials/batches", {"batch": 12, "kind": "growth_record", "records": [{}]}),
    ],
)
def test_wrong_types_and_huge_numbers_on_the_issuers_endpoints_are_4xx(
    make_client: ClientFactory, method: str, path: str, body: Any
) -> None:
    client = make_client()
    _, issuer, _ = issuing_school(client)
    raw = json.dumps(body).replace("Infinity", "1e400")
    answer = client.request(method, path, content=raw, headers={**issuer.headers, "Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500 and answer.json().get("error"), (answer.status_code, answer.text[:300])
    if path == "/credit-bank/rules":
        rules = client.get("/credit-bank/rules", headers=issuer.headers)
        assert rules.status_code >= 400 or all(0 < r["credits"] < 1e6 for r in rules.json()), rules.text


def test_an_institutions_resources_are_not_given_to_another_schools_issuer(make_client: ClientFactory) -> None:
    client = make_client()
    _, issuer, school = issuing_school(client)
    _, other, _ = issuing_school(client)
    assert issuer.request("GET", f"/institutions/{school['id']}/resources")["total"] == 0
    assert client.get(f"/institutions/{school['id']}/resources", headers=other.headers).status_code == 403
    for page in ("0", "-1", "100001", "1e3", "x"):
        assert client.get(f"/institutions/{school['id']}/resources", params={"page": page}, headers=issuer.headers).status_code == 422


def test_the_same_batch_key_sent_twice_at_once_is_one_batch_anchored_once(make_client: ClientFactory) -> None:
    client = make_client()
    _, issuer, _ = issuing_school(client)
    key = f"twice-{uuid.uuid4().hex[:6]}"
    body = {"batch": key, "kind": "growth_record", "records": students(3, label=key[-6:])}
    answers: list[Any] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(client.post("/credentials/batches", headers=issuer.headers, json=body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    first, second = (a.json() for a in answers)
    assert first["tx_hash"] == second["tx_hash"] and [c["id"] for c in first["credentials"]] == [c["id"] for c in second["credentials"]]
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert len(list(session.scalars(select(CredentialBatch).where(CredentialBatch.key == key)))) == 1


def test_two_status_changes_of_one_credential_at_once_leave_one_consistent_status(make_client: ClientFactory) -> None:
    client = make_client()
    _, issuer, _ = issuing_school(client)
    key = f"both-{uuid.uuid4().hex[:6]}"
    batch = issuer.request("POST", "/credentials/batches", json={"batch": key, "kind": "growth_record", "records": students(1, label="bb")})
    credential_id = batch["credentials"][0]["id"]
    answers: list[Any] = []
    start = threading.Barrier(2)

    def change(action: str) -> None:
        start.wait()
        answers.append(client.post(f"/credentials/{credential_id}/status", json={"action": action}, headers=issuer.headers))

    threads = [threading.Thread(target=change, args=(action,)) for action in ("revoke", "suspend")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(a.status_code < 500 for a in answers), [a.text for a in answers]
    drain(client)
    status = client.get(f"/credentials/{credential_id}", headers=issuer.headers).json()["status"]
    assert status in ("revoked", "suspended")
    document = batch["credentials"][0]["document"]
    outcome = client.post("/verify", json={"credential": document}).json()
    assert outcome["outcome"] == "invalid", outcome  # revoked or suspended: the hosted list and the chain agree it is not valid


def test_duplicate_json_keys_on_the_new_endpoints_are_refused(make_client: ClientFactory) -> None:
    client = make_client()
    _, issuer, _ = issuing_school(client)
    headers = {**issuer.headers, "Content-Type": "application/json"}
    for method, path, raw in (
        ("POST", "/credit-bank/imports", '{"presentation": {}, "challenge": "a", "challenge": "b"}'),
        ("PUT", "/credit-bank/rules", '[{"achievement_type": "ext:GrowthRecord", "credits": 0.5, "credits": 900}]'),
        ("POST", "/credentials/batches", '{"batch": "a", "batch": "b", "kind": "growth_record", "records": []}'),
    ):
        answer = client.request(method, path, content=raw, headers=headers)
        assert answer.status_code == 400 and answer.json()["error"] == "duplicate_json_key", (path, answer.text)

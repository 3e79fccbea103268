"""The whole journey through the HTTP API: a teacher signs in and submits a bundle, two reviewers
score it, the administrator accepts it, its inclusion certificate verifies on chain, and a
withdrawal revokes it."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.utils.registry import drain, lesson_bundle, lesson_metadata, set_up_people

RUBRIC = {"科学性": 3, "适用性": 3, "规范性": 2, "思想性": 2, "技术性": 3}


def test_submit_review_accept_certify_withdraw(client: TestClient) -> None:
    people = set_up_people(client)
    files = lesson_bundle(f"journey-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    assert version["state"] == "IN_REVIEW" and version["chain"]["status"] == "pending"
    resource = version["resource_id"]
    drain(client)
    version = people.teacher.request("GET", f"/resources/{resource}/versions/1")
    assert version["chain"]["status"] == "mined" and version["chain"]["tx_hash"], version["chain"]
    for reviewer in people.reviewers:
        reviewer.request("POST", f"/resources/{resource}/versions/1/claim")
        reviewer.request(
            "POST",
            f"/resources/{resource}/versions/1/reviews",
            json={"orientation_pass": True, "scores": RUBRIC, "recommendation": "accept"},
        )
    accepted = people.admin.request("POST", f"/resources/{resource}/versions/1/decision", json={"decision": "accept"})
    assert accepted["state"] == "ACCEPTED"
    drain(client)
    version = people.teacher.request("GET", f"/resources/{resource}/versions/1")
    (certificate,) = version["certificates"]
    assert certificate["status"] == "issued" and certificate["id"]
    history = people.teacher.request("GET", f"/resources/{resource}/versions/1/history")
    assert history["intact"] and history["recorded_on_chain"] == len(history["events"])
    number = certificate["id"]
    record = client.get(f"/certificates/{number}").json()
    assert record["chain"]["content_hash"] == version["content_hash"] and record["chain"]["kind"] == "inclusion"
    assert record["registry"]["title"] == version["title"]
    check = client.get(f"/certificates/{number}/verify").json()
    assert check["outcome"] == "valid", check
    assert [c["name"] for c in check["checks"]] == ["on_chain", "not_revoked", "resource_hash", "issuer_authorised", "resource_status"]
    credential = client.get(f"/certificates/{number}/credential").json()
    assert credential["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert credential["credentialSubject"]["achievement"]["achievementType"] == "ext:InclusionCertificate"
    assert client.post("/verify", json={"credential": credential}).json()["outcome"] == "valid"
    pdf = client.get(f"/certificates/{number}/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    import os
    import pathlib

    if os.environ.get("SAVE_PDF"):
        pathlib.Path(os.environ["SAVE_PDF"]).write_bytes(pdf.content)
    people.admin.request("POST", f"/resources/{resource}/versions/1/withdrawal", json={"reason_code": "infringement"})
    drain(client)
    version = people.teacher.request("GET", f"/resources/{resource}/versions/1")
    assert version["state"] == "WITHDRAWN" and version["certificates"][0]["status"] == "revoked"
    check = client.get(f"/certificates/{number}/verify").json()
    assert check["outcome"] == "invalid"
    assert {c["name"]: c["result"] for c in check["checks"]}["not_revoked"] == "fail"
    revoked = client.post("/verify", json={"credential": credential}).json()
    assert revoked["outcome"] == "invalid", "the certificate's credential is revoked with it"
    assert "revoked" in next(c["detail"] for c in revoked["checks"] if c["name"] == "status")

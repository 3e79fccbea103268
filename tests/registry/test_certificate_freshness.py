"""Verification answers are served from facts read once, yet a change made on chain by anyone
(not through this registry) reaches them within moments: a direct revocation, and a retroactive
revocation of the issuing bureau's accreditation. (Its own module: it revokes the bureau.)"""

from __future__ import annotations

import time
import uuid

from fastapi.testclient import TestClient

from ledger_service.certificates import credential_type_of
from ledger_service.chain import Ledger
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, review_and_accept, set_up_people


def issue_one(client: TestClient) -> int:
    people = set_up_people(client)
    files = lesson_bundle(f"fresh-{uuid.uuid4()}")
    version = review_and_accept(people, people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files)))
    drain(client)
    return int(people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")["certificates"][0]["id"])


def outcome_within(client: TestClient, number: int, wanted: str, seconds: float = 3.0) -> tuple[str, float]:
    start = time.monotonic()
    while True:
        answer = client.get(f"/certificates/{number}/verify").json()
        if answer["outcome"] == wanted or time.monotonic() - start > seconds:
            return answer["outcome"], time.monotonic() - start
        time.sleep(0.02)


def test_changes_made_outside_the_registry_reach_cached_answers(client: TestClient, module_ledger: Ledger) -> None:
    number = issue_one(client)
    other = issue_one(client)
    for _ in range(3):
        assert client.get(f"/certificates/{number}/verify").json()["outcome"] == "valid"  # read once, then cached
    certificates = module_ledger.contracts["CertificateRegistry"]
    module_ledger.sender.transact(certificates.transaction("revoke", number, 9))  # the issuer key, directly
    outcome, took = outcome_within(client, number, "invalid")
    assert outcome == "invalid" and took < 2, f"the revocation was seen after {took:.2f} s"
    assert client.get(f"/certificates/{other}/verify").json()["outcome"] == "valid", "only what changed is read again"
    # Governance withdraws the bureau's accreditation retroactively (a compromise): every
    # certificate it issued stops verifying.
    directory = module_ledger.contracts["InstitutionRegistry"]
    bureau = client.app.state.bureau  # type: ignore[attr-defined]
    module_ledger.sender.transact(directory.transaction("revokeAccreditation", bureau.id, credential_type_of("inclusion"), 1))
    outcome, took = outcome_within(client, other, "invalid")
    assert outcome == "invalid" and took < 2
    failed = {c["name"]: c["result"] for c in client.get(f"/certificates/{other}/verify").json()["checks"]}
    assert failed["issuer_authorised"] == "fail"

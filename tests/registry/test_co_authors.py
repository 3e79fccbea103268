"""Co-authors consent (合作者确认): listed by the lead author, they hold their share only once they
confirm it with their own EIP-712 signature, on chain; owner actions stay the lead author's."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.chain import AuthorshipConfirmation, Eip712Domain, Ledger, Signer
from tests.utils.registry import People, drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept, set_up_people, sign_in
from wallet_cli._registry import RegistryClient, RegistryError


def path(version: dict[str, Any], action: str = "") -> str:
    return f"/resources/{version['resource_id']}/versions/{version['number']}{action}"


def with_co_author(client: TestClient, people: People, share: int = 1) -> tuple[dict[str, Any], RegistryClient]:
    """A resource by the people's teacher listing a fellow teacher as co-author with ``share`` basis points."""
    key = new_signer()
    people.admin.request("PUT", f"/users/{key.address}", json={"roles": ["teacher"]})
    co_author = sign_in(client, key)
    files = lesson_bundle(f"co-{uuid.uuid4()}")
    lead = people.teacher.signer.address
    version = people.teacher.submit(
        files, lesson_metadata(lead, files, authors=[{"address": lead, "share": 10_000 - share}, {"address": key.address, "share": share}])
    )
    return version, co_author


def holders(client: TestClient, version: dict[str, Any], people: People) -> tuple[list[str], list[int]]:
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    chain_id = people.teacher.request("GET", path(version))["chain"]["resource_id"]
    found: tuple[list[str], list[int]] = ledger.contracts["ResourceRegistry"].call("rightsHolders", chain_id)
    return found


def refused(call: Any, status: int, code: str) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), str(caught.value)
    return caught.value


def test_a_one_basis_point_co_author_cannot_take_the_owners_actions(client: TestClient) -> None:
    """Reproduced: a co-author listed with 1 basis point withdrew the lead author's resource."""
    people = set_up_people(client, reviewers=0)
    version, co_author = with_co_author(client, people)
    refused(lambda: co_author.request("POST", path(version, "/withdrawal"), json={"reason_code": "author_request"}), 403, "forbidden")
    assert people.teacher.request("GET", path(version))["state"] == "IN_REVIEW"
    drain(client)
    files = lesson_bundle(f"takeover-{uuid.uuid4()}")
    refused(
        lambda: co_author.submit(files, lesson_metadata(co_author.signer.address, files), resource_id=version["resource_id"]),
        403,
        "forbidden",
    )
    # Confirmed or not, a co-author is not the owner: the lead author withdraws.
    co_author.confirm_authorship(version["resource_id"], 1)
    drain(client)
    refused(lambda: co_author.request("POST", path(version, "/withdrawal"), json={"reason_code": "author_request"}), 403, "forbidden")
    withdrawn = people.teacher.request("POST", path(version, "/withdrawal"), json={"reason_code": "author_request"})
    assert withdrawn["state"] == "WITHDRAWN"


def test_a_co_author_holds_the_share_once_they_confirm(client: TestClient) -> None:
    people = set_up_people(client)
    version, co_author = with_co_author(client, people, share=3000)
    lead = people.teacher.signer.address
    assert [(a["address"], a["status"]) for a in version["authors"]] == [(lead, "lead"), (co_author.signer.address, "unconfirmed")]
    assert co_author.request("GET", path(version))["allowed_actions"] == ["confirm_authorship"]
    drain(client)
    assert holders(client, version, people) == ([lead], [7000]), "nobody holds a share they did not agree to"
    review_and_accept(people, version)
    drain(client)
    number = people.teacher.request("GET", path(version))["certificates"][0]["id"]
    certificate = client.get(f"/certificates/{number}").json()
    assert [a["address"] for a in certificate["registry"]["authors"]] == [lead], "a certificate names only who consented"
    assert [
        hit["authors"]
        for hit in client.get("/search", params={"q": "分数"}).json()["items"]
        if hit["resource_id"] == version["resource_id"]
    ] == [[lead]]

    answer = co_author.confirm_authorship(version["resource_id"], 1)
    assert [a["status"] for a in answer["authors"]] == ["lead", "confirming"]
    assert co_author.request("GET", path(version))["allowed_actions"] == []
    drain(client)
    assert holders(client, version, people) == ([lead, co_author.signer.address], [7000, 3000])
    assert [a["status"] for a in client.get(path(version, "/authorship")).json()["authors"]] == ["lead", "confirmed"]
    certificate = client.get(f"/certificates/{number}").json()
    assert [a["address"] for a in certificate["registry"]["authors"]] == [lead, co_author.signer.address]
    history = client.get(path(version, "/history")).json()
    confirmed = [e for e in history["events"] if e["action"] == "confirm_authorship"]
    assert len(confirmed) == 1 and confirmed[0]["actor"] == co_author.signer.address and confirmed[0]["details"]["share"] == 3000
    assert history["intact"] and confirmed[0]["chain_tx"]


def test_a_confirmation_signed_before_the_registration_is_mined_waits_for_it(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    client.app.state.worker.stop()  # type: ignore[attr-defined]
    version, co_author = with_co_author(client, people, share=2500)
    assert people.teacher.request("GET", path(version))["chain"]["status"] == "pending"
    co_author.confirm_authorship(version["resource_id"], 1)
    drain(client)
    assert holders(client, version, people)[1] == [7500, 2500]


def sign_confirmation(reader: RegistryClient, version: dict[str, Any], signer: Signer, share: int, deadline: int) -> str:
    info = reader.request("GET", path(version, "/authorship"))
    request = AuthorshipConfirmation(bytes.fromhex(info["content_hash"][2:]), signer.address, share, deadline)
    domain = Eip712Domain(chain_id=info["chain_id"], verifying_contract=info["verifying_contract"])
    return "0x" + signer.sign_digest(domain.digest(request.struct_hash())).hex()


def test_bad_confirmations_are_refused_and_change_nothing(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    version, co_author = with_co_author(client, people, share=2000)
    stranger = sign_in(client, new_signer())
    later = int(time.time()) + 3600
    url = path(version, "/authorship")
    own = sign_confirmation(co_author, version, co_author.signer, 2000, later)
    cases = [
        (
            co_author,
            {"deadline": later, "signature": sign_confirmation(co_author, version, stranger.signer, 2000, later)},
            400,
            "invalid_signature",
        ),
        (
            co_author,
            {"deadline": later, "signature": sign_confirmation(co_author, version, co_author.signer, 9000, later)},
            400,
            "invalid_signature",
        ),
        (co_author, {"deadline": later + 1, "signature": own}, 400, "invalid_signature"),
        (
            co_author,
            {
                "deadline": int(time.time()) + 10,
                "signature": sign_confirmation(co_author, version, co_author.signer, 2000, int(time.time()) + 10),
            },
            400,
            "expired_signature",
        ),
        (co_author, {"deadline": 2**300, "signature": own}, 422, "invalid_request"),
        (co_author, {"deadline": later, "signature": "0x1234"}, 400, "invalid_signature"),
        (co_author, {"deadline": "soon", "signature": own}, 422, "invalid_request"),
        (stranger, {"deadline": later, "signature": own}, 403, "forbidden"),
        (people.teacher, {"deadline": later, "signature": own}, 409, "lead_author"),
    ]
    for account, body, status, code in cases:
        refused(lambda account=account, body=body: account.request("POST", url, json=body), status, code)  # type: ignore[misc]
    assert client.post(url, json={"deadline": later, "signature": own}).status_code == 401
    assert client.get(url).status_code == 404, "a draft's authorship is not public"
    assert [a["status"] for a in co_author.request("GET", url)["authors"]] == ["lead", "unconfirmed"], "nothing recorded"
    co_author.request("POST", url, json={"deadline": later, "signature": own})
    refused(lambda: co_author.request("POST", url, json={"deadline": later, "signature": own}), 409, "already_confirmed")
    refused(lambda: co_author.confirm_authorship(version["resource_id"], 7), 404, "not_found")

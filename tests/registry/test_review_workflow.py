"""The review workflow (入库 / 出库): assignments, rubric reviews, decisions, revisions and versions,
withdrawal and reversals, automatic decisions, the tamper-evident history, and concurrency."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from registry.models import WorkflowEvent
from tests.registry.conftest import ClientFactory
from tests.utils.live import live_server
from tests.utils.postgres import fresh_database
from tests.utils.registry import (
    People,
    drain,
    lesson_bundle,
    lesson_metadata,
    new_signer,
    review_and_accept,
    set_up_people,
    sign_in,
)
from wallet_cli._registry import RegistryClient, RegistryError

GOOD = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}
POOR = {"科学性": 1, "适用性": 0, "规范性": 1, "思想性": 1, "技术性": 1}


def submit(people: People, label: str | None = None, *, resource_id: int | None = None) -> dict[str, Any]:
    files = lesson_bundle(label or f"wf-{uuid.uuid4()}")
    return people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files), resource_id=resource_id)


def path(version: dict[str, Any], action: str = "") -> str:
    return f"/resources/{version['resource_id']}/versions/{version['number']}{action}"


def review(
    reviewer: RegistryClient,
    version: dict[str, Any],
    scores: dict[str, int] = GOOD,
    *,
    orientation: bool = True,
    recommendation: str = "accept",
) -> dict[str, Any]:
    reviewer.request("POST", path(version, "/claim"))
    answer: dict[str, Any] = reviewer.request(
        "POST",
        path(version, "/reviews"),
        json={"orientation_pass": orientation, "scores": scores, "recommendation": recommendation, "comments": {"总体": "教学目标清晰"}},
    )
    return answer


def refused(call: Any, status: int, code: str) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), str(caught.value)
    return caught.value


def accept(people: People, version: dict[str, Any]) -> dict[str, Any]:
    return review_and_accept(people, version, GOOD)


def test_who_may_review(client: TestClient) -> None:
    people = set_up_people(client)
    version = submit(people)
    # A teacher who is also a reviewer never reviews their own resource.
    people.admin.request(
        "PUT", f"/users/{people.teacher.signer.address}", json={"institution_id": people.school_id, "roles": ["teacher", "reviewer"]}
    )
    drain(client)
    author_reviewer = sign_in(client, people.teacher.signer)
    assert "reviewer" in author_reviewer.roles
    own = refused(lambda: author_reviewer.request("POST", path(version, "/claim")), 409, "conflict_of_interest")
    assert own.body["conflict"] == "author" and own.body["overridable"] is False
    refused(
        lambda: people.admin.request(
            "POST", path(version, "/assignments"), json={"reviewer": people.teacher.signer.address, "override_reason": "人手不足"}
        ),
        409,
        "conflict_of_interest",
    )
    assert version["resource_id"] not in {i["resource_id"] for i in author_reviewer.request("GET", "/reviews/queue")["open"]}
    # Someone who is not a reviewer on chain cannot be assigned.
    refused(lambda: people.admin.request("POST", path(version, "/assignments"), json={"reviewer": new_signer().address}), 403, "forbidden")
    # A reviewer from the author's school only with an administrator's override (see test_conflict_of_interest_is_a_rule).
    colleague = new_signer()
    people.admin.request("PUT", f"/users/{colleague.address}", json={"institution_id": people.school_id, "roles": ["reviewer"]})
    drain(client)
    refused(
        lambda: people.admin.request("POST", path(version, "/assignments"), json={"reviewer": colleague.address}),
        409,
        "conflict_of_interest",
    )
    flagged = people.admin.request(
        "POST", path(version, "/assignments"), json={"reviewer": colleague.address, "override_reason": "本学科仅此一位专家"}
    )
    assert flagged["same_school"] is True and flagged["override_reason"] == "本学科仅此一位专家"
    refused(
        lambda: people.admin.request(
            "POST", path(version, "/assignments"), json={"reviewer": colleague.address, "override_reason": "再次"}
        ),
        409,
        "conflict",
    )
    outsider = people.reviewers[0].request("POST", path(version, "/claim"))
    assert outsider["same_school"] is False
    queue = people.reviewers[0].request("GET", "/reviews/queue")
    assert version["resource_id"] in {i["resource_id"] for i in queue["assigned"]}
    # Only an assigned reviewer reviews, once, with a complete rubric.
    refused(
        lambda: people.reviewers[1].request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}
        ),
        403,
        "forbidden",
    )
    refused(
        lambda: people.reviewers[0].request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": {**GOOD, "科学性": 4}, "recommendation": "accept"}
        ),
        422,
        "invalid_request",
    )
    refused(
        lambda: people.reviewers[0].request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": {"科学性": 3}, "recommendation": "accept"}
        ),
        422,
        "invalid_request",
    )
    refused(
        lambda: people.reviewers[0].request(
            "POST", path(version, "/reviews"), json={"orientation_pass": False, "scores": GOOD, "recommendation": "accept"}
        ),
        422,
        "invalid_request",
    )
    people.reviewers[0].request(
        "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}
    )
    refused(
        lambda: people.reviewers[0].request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}
        ),
        409,
        "conflict",
    )


def test_conflict_of_interest_is_a_rule(client: TestClient) -> None:
    """A reviewer from the author's school may not claim, be assigned or submit a counting review;
    an administrator overrides for a named reviewer with a reason, recorded in the history and on chain."""
    people = set_up_people(client, reviewers=1)
    version = submit(people)
    colleague_key = new_signer()
    people.admin.request("PUT", f"/users/{colleague_key.address}", json={"institution_id": people.school_id, "roles": ["reviewer"]})
    drain(client)
    colleague = sign_in(client, colleague_key)
    claimed = refused(lambda: colleague.request("POST", path(version, "/claim")), 409, "conflict_of_interest")
    assert claimed.body["conflict"] == "same_institution" and claimed.body["institution_id"] == people.school_id
    assert "滨海新区实验小学" in str(claimed) and claimed.body["overridable"] is True
    assert version["resource_id"] not in {i["resource_id"] for i in colleague.request("GET", "/reviews/queue")["open"]}
    assert colleague.request("GET", path(version))["allowed_actions"] == []
    refused(
        lambda: colleague.request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}
        ),
        403,
        "forbidden",
    )
    assigned = refused(
        lambda: people.admin.request("POST", path(version, "/assignments"), json={"reviewer": colleague_key.address}),
        409,
        "conflict_of_interest",
    )
    assert "override_reason" in str(assigned)
    # No override for a reviewer without a conflict, nor by the reviewer themselves.
    refused(
        lambda: people.admin.request(
            "POST", path(version, "/assignments"), json={"reviewer": people.reviewers[0].signer.address, "override_reason": "无需"}
        ),
        422,
        "invalid_request",
    )
    override = people.admin.request(
        "POST",
        path(version, "/assignments"),
        json={"reviewer": colleague_key.address, "override_reason": "本学科仅此一位专家，经局务会同意"},
    )
    assert override["conflict"] and override["same_school"]
    assert colleague.request("GET", path(version))["allowed_actions"] == ["review"]
    colleague.request("POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
    review(people.reviewers[0], version)
    accepted = people.admin.request("POST", path(version, "/decision"), json={"decision": "accept"})
    assert accepted["state"] == "ACCEPTED", "the overridden review counts"
    drain(client)
    events = people.teacher.request("GET", path(version, "/history"))["events"]
    overrides = [e for e in events if e["action"] == "override_conflict"]
    assert len(overrides) == 1 and overrides[0]["reason"] == "本学科仅此一位专家，经局务会同意"
    assert overrides[0]["details"]["reviewer"] == colleague_key.address and overrides[0]["details"]["conflict"] == "same_institution"
    assert overrides[0]["actor"] == people.admin.signer.address and overrides[0]["chain_tx"], "recorded on chain like every event"


def test_a_reviewer_who_joins_the_authors_school_after_claiming_cannot_submit(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    version = submit(people)
    reviewer = people.reviewers[0]
    reviewer.request("POST", path(version, "/claim"))
    people.admin.request("PUT", f"/users/{reviewer.signer.address}", json={"institution_id": people.school_id})
    late = refused(
        lambda: reviewer.request(
            "POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}
        ),
        409,
        "conflict_of_interest",
    )
    assert "would not count" in str(late)


def test_allowed_actions_are_the_callers(client: TestClient) -> None:
    """A teacher is not told it may accept; a vetoed version does not list accept; reviewers see what they may do."""
    people = set_up_people(client)
    version = submit(people)
    outsider_key = new_signer()
    people.admin.request("PUT", f"/users/{outsider_key.address}", json={"roles": ["teacher"]})
    outsider = sign_in(client, outsider_key)

    def allowed(account: RegistryClient, of: dict[str, Any] = version) -> list[str]:
        return list(account.request("GET", path(of))["allowed_actions"])

    assert allowed(people.teacher) == ["withdraw"]
    assert allowed(people.admin) == ["assign", "withdraw"], "no decision before the reviews are in"
    assert allowed(people.reviewers[0]) == ["claim"]
    people.reviewers[0].request("POST", path(version, "/claim"))
    assert allowed(people.reviewers[0]) == ["review"]
    people.reviewers[0].request(
        "POST", path(version, "/reviews"), json={"orientation_pass": False, "scores": POOR, "recommendation": "decline"}
    )
    assert allowed(people.reviewers[0]) == []
    review(people.reviewers[1], version)
    assert allowed(people.admin) == ["assign", "decline", "request_revisions", "withdraw"], "vetoed: no accept"
    assert allowed(people.teacher) == ["withdraw"]
    # A refusal lists what the caller may do, never another role's actions.
    by_teacher = refused(lambda: people.teacher.request("POST", path(version, "/reopen"), json={"reason": "x"}), 403, "forbidden")
    assert "allowed" not in by_teacher.body
    assert refused(lambda: people.reviewers[1].request("POST", path(version, "/claim")), 409, "conflict").body.get("allowed") is None
    people.admin.request("POST", path(version, "/decision"), json={"decision": "decline"})
    assert allowed(people.admin) == ["reopen"] and allowed(people.teacher) == [] and allowed(people.reviewers[0]) == []
    wrong = refused(lambda: people.reviewers[0].request("POST", path(version, "/claim")), 409, "invalid_transition")
    assert wrong.body["allowed"] == [] and "nothing for you" in str(wrong)
    again = refused(
        lambda: people.admin.request("POST", path(version, "/decision"), json={"decision": "accept"}), 409, "invalid_transition"
    )
    assert again.body["allowed"] == ["reopen"]
    # Withdrawn by an administrator: only an administrator may reinstate.
    accepted = accept(people, submit(people))
    assert allowed(outsider, accepted) == [] and client.get(path(accepted)).json()["allowed_actions"] == []
    assert allowed(people.teacher, accepted) == ["withdraw"] and allowed(people.admin, accepted) == ["withdraw"]
    people.admin.request("POST", path(accepted, "/withdrawal"), json={"reason_code": "content_finding"})
    assert allowed(people.admin, accepted) == ["reinstate"] and allowed(people.teacher, accepted) == []


def test_a_decision_needs_two_reviews_and_respects_the_veto(client: TestClient) -> None:
    people = set_up_people(client)
    version = submit(people)
    review(people.reviewers[0], version)
    error = refused(lambda: people.admin.request("POST", path(version, "/decision"), json={"decision": "accept"}), 409, "reviews_missing")
    assert error.body["completed"] == 1 and error.body["needed"] == 2
    review(people.reviewers[1], version, POOR, orientation=False, recommendation="decline")
    refused(lambda: people.admin.request("POST", path(version, "/decision"), json={"decision": "accept"}), 409, "orientation_veto")
    declined = people.admin.request("POST", path(version, "/decision"), json={"decision": "decline", "reason": "导向性不符合要求"})
    assert declined["state"] == "DECLINED" and declined["certificates"] == []
    # The author sees the reviews once the decision is taken.
    assert len(people.teacher.request("GET", path(version, "/reviews"))) == 2


def test_reviews_stay_independent_until_each_reviewer_has_submitted(client: TestClient) -> None:
    """A reviewer cannot read the round's other reviews before submitting their own; an author not before the decision."""
    people = set_up_people(client)
    version = submit(people)
    first, second = people.reviewers[0], people.reviewers[1]
    refused(lambda: people.teacher.request("GET", path(version, "/reviews")), 403, "forbidden")
    review(first, version, recommendation="decline")
    second.request("POST", path(version, "/claim"))
    assert second.request("GET", path(version, "/reviews")) == []
    assert [r["reviewer"] for r in first.request("GET", path(version, "/reviews"))] == [first.signer.address]
    assert len(people.admin.request("GET", path(version, "/reviews"))) == 1
    second.request("POST", path(version, "/reviews"), json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
    assert {r["reviewer"] for r in second.request("GET", path(version, "/reviews"))} == {first.signer.address, second.signer.address}
    refused(lambda: people.teacher.request("GET", path(version, "/reviews")), 403, "forbidden")


def test_illegal_transitions_are_409_listing_what_is_allowed(client: TestClient) -> None:
    people = set_up_people(client)
    version = accept(people, submit(people))
    error = refused(
        lambda: people.admin.request("POST", path(version, "/decision"), json={"decision": "decline"}), 409, "invalid_transition"
    )
    assert error.body["state"] == "ACCEPTED" and error.body["allowed"] == ["withdraw"], "what this administrator may do"
    assert "allowed now: withdraw" in str(error)
    refused(lambda: people.admin.request("POST", path(version, "/reopen"), json={"reason": "x"}), 409, "invalid_transition")
    refused(lambda: people.admin.request("POST", path(version, "/reinstate"), json={"reason": "x"}), 409, "invalid_transition")
    refused(lambda: people.reviewers[0].request("POST", path(version, "/claim")), 409, "invalid_transition")
    refused(lambda: people.admin.request("POST", "/resources/99999/versions/1/decision", json={"decision": "accept"}), 404, "not_found")


def test_revisions_then_a_resubmission_opens_a_new_round(client: TestClient) -> None:
    people = set_up_people(client)
    first = submit(people)
    review(people.reviewers[0], first, recommendation="revise")
    review(people.reviewers[1], first, recommendation="revise")
    people.admin.request("POST", path(first, "/decision"), json={"decision": "request_revisions", "reason": "补充课后练习"})
    drain(client)  # the first version is on chain: the next one names it as its predecessor
    second = submit(people, resource_id=first["resource_id"])
    assert (second["number"], second["round"], second["predecessor_version"], second["state"]) == (2, 2, 1, "IN_REVIEW")
    assert people.teacher.request("GET", path(first))["state"] == "SUPERSEDED"
    drain(client)
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    chain_second = people.teacher.request("GET", path(second))["chain"]["resource_id"]
    assert (
        ledger.contracts["ResourceRegistry"].call("resource", chain_second)["predecessor"]
        == people.teacher.request("GET", path(first))["chain"]["resource_id"]
    )
    # The version in review blocks a third until it is decided.
    refused(lambda: submit(people, resource_id=first["resource_id"]), 409, "in_review")
    # Only an author submits new versions.
    outsider_key = new_signer()
    people.admin.request("PUT", f"/users/{outsider_key.address}", json={"roles": ["teacher"]})
    outsider = sign_in(client, outsider_key)
    files = lesson_bundle(f"outsider-{uuid.uuid4()}")
    refused(
        lambda: outsider.submit(files, lesson_metadata(outsider_key.address, files), resource_id=first["resource_id"]), 403, "forbidden"
    )


def test_a_new_version_supersedes_the_accepted_one_only_when_accepted(client: TestClient) -> None:
    people = set_up_people(client)
    first = accept(people, submit(people))
    drain(client)
    second = submit(people, resource_id=first["resource_id"])
    assert people.teacher.request("GET", path(first))["state"] == "ACCEPTED", "the accepted version stays until the update is accepted"
    assert first["resource_id"] in {h["resource_id"] for h in client.get("/search", params={"q": "分数"}).json()["items"]}
    accept(people, second)
    drain(client)
    old = people.teacher.request("GET", path(first))
    assert old["state"] == "SUPERSEDED" and old["certificates"][0]["status"] == "issued", "a superseded certificate stays valid"
    hits = [(h["resource_id"], h["version"]) for h in client.get("/search", params={"q": "分数"}).json()["items"]]
    assert (first["resource_id"], 2) in hits and (first["resource_id"], 1) not in hits
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.contracts["ResourceRegistry"].call("resource", old["chain"]["resource_id"])["status"] == 4  # Superseded
    verification = client.get(f"/certificates/{old['certificates'][0]['id']}/verify").json()
    assert verification["outcome"] == "valid" and "newer version" in verification["checks"][-1]["detail"]


def test_withdrawal_rules(client: TestClient) -> None:
    people = set_up_people(client)
    pending = submit(people)
    refused(lambda: people.teacher.request("POST", path(pending, "/withdrawal"), json={"reason_code": "infringement"}), 403, "forbidden")
    refused(
        lambda: people.reviewers[0].request("POST", path(pending, "/withdrawal"), json={"reason_code": "author_request"}), 403, "forbidden"
    )
    refused(lambda: people.admin.request("POST", path(pending, "/withdrawal"), json={"reason_code": "boredom"}), 422, "invalid_request")
    withdrawn = people.teacher.request("POST", path(pending, "/withdrawal"), json={"reason_code": "author_request", "reason": "重新录制"})
    assert withdrawn["state"] == "WITHDRAWN"
    refused(lambda: people.admin.request("POST", path(pending, "/reinstate"), json={"reason": "误操作"}), 409, "conflict")


def test_reversals_are_explicit_events(client: TestClient) -> None:
    people = set_up_people(client)
    declined = submit(people)
    for reviewer in people.reviewers:
        review(reviewer, declined, POOR, recommendation="decline")
    people.admin.request("POST", path(declined, "/decision"), json={"decision": "decline"})
    reopened = people.admin.request("POST", path(declined, "/reopen"), json={"reason": "复议：补充材料后重审"})
    assert (reopened["state"], reopened["round"]) == ("IN_REVIEW", 2)
    refused(lambda: people.admin.request("POST", path(declined, "/decision"), json={"decision": "accept"}), 409, "reviews_missing")

    accepted = accept(people, submit(people))
    people.admin.request("POST", path(accepted, "/withdrawal"), json={"reason_code": "content_finding"})
    reinstated = people.admin.request("POST", path(accepted, "/reinstate"), json={"reason": "复核后内容无误"})
    drain(client)
    final = people.teacher.request("GET", path(accepted))
    assert final["state"] == "ACCEPTED" and [c["status"] for c in final["certificates"]] == ["revoked", "issued"]
    assert reinstated["state"] == "ACCEPTED"
    actions = [e["action"] for e in people.teacher.request("GET", path(accepted, "/history"))["events"]]
    assert actions[-3:] == ["accept", "withdraw", "reinstate"]


def test_automatic_decisions_by_threshold(make_client: ClientFactory) -> None:
    client = make_client(AUTO_ACCEPT_SCORE=12, AUTO_DECLINE_SCORE=6)
    people = set_up_people(client)
    good = submit(people)
    for reviewer in people.reviewers:
        review(reviewer, good)
    accepted = people.teacher.request("GET", path(good))
    assert accepted["state"] == "ACCEPTED" and len(accepted["certificates"]) == 1
    last = people.teacher.request("GET", path(good, "/history"))["events"][-1]
    assert (last["action"], last["actor"], last["role"]) == ("accept", "system", "system")
    poor = submit(people)
    for reviewer in people.reviewers:
        review(reviewer, poor, POOR, recommendation="decline")
    assert people.teacher.request("GET", path(poor))["state"] == "DECLINED"
    middling = submit(people)
    for reviewer in people.reviewers:
        review(reviewer, middling, {**POOR, "科学性": 3, "适用性": 3, "规范性": 3}, recommendation="revise")
    assert people.teacher.request("GET", path(middling))["state"] == "IN_REVIEW", "between the thresholds an administrator decides"


def test_the_history_is_tamper_evident_and_on_chain(client: TestClient) -> None:
    people = set_up_people(client)
    version = accept(people, submit(people))
    drain(client)
    history = people.teacher.request("GET", path(version, "/history"))
    assert history["intact"] and history["recorded_on_chain"] == len(history["events"]) == 8
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    registry = ledger.contracts["ResourceRegistry"]
    chain_id = people.teacher.request("GET", path(version))["chain"]["resource_id"]
    logs = ledger.rpc.request(
        "eth_getLogs",
        [
            {
                "address": registry.address,
                "fromBlock": "0x0",
                "toBlock": "latest",
                "topics": [None, "0x" + chain_id.to_bytes(32, "big").hex()],
            }
        ],
    )
    on_chain = {"0x" + bytes(e.args["decisionHash"]).hex() for e in registry.decode_logs(logs) if e.name == "DecisionRecorded"}
    assert on_chain == {e["hash"] for e in history["events"]}
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        db.execute(
            update(WorkflowEvent)
            .where(WorkflowEvent.seq == 7, WorkflowEvent.hash == history["events"][6]["hash"])
            .values(reason="篡改的理由")
        )
        db.commit()
    tampered = people.teacher.request("GET", path(version, "/history"))
    assert not tampered["intact"] and [e["hash_valid"] for e in tampered["events"]].index(False) == 6


@pytest.mark.postgres
def test_concurrent_actions_on_postgresql(module_ledger: Ledger, tmp_path: Any) -> None:
    """Two administrators deciding at once: one wins, the other gets a 409; reviewers reviewing at
    once are serialised by the row lock and both land, with one unbroken history."""
    with fresh_database() as url:
        settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=url)
        app = create_app(settings, ledger=module_ledger)
        with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
            people = set_up_people(http, app=app)
            second_admin = new_signer()
            people.admin.request("PUT", f"/users/{second_admin.address}", json={"roles": ["admin"]})
            admins = [people.admin, sign_in(http, second_admin)]
            for _ in range(4):
                version = submit(people)
                for reviewer in people.reviewers:
                    reviewer.request("POST", path(version, "/claim"))
                barrier = threading.Barrier(2)
                answers: list[httpx.Response] = []

                def act(
                    client: RegistryClient,
                    body: dict[str, Any],
                    url: str,
                    barrier: threading.Barrier = barrier,
                    answers: list[httpx.Response] = answers,
                ) -> None:
                    barrier.wait()  # both requests leave together
                    answers.append(client.http.post(url, json=body, headers=client.headers))

                reviews = [
                    threading.Thread(
                        target=act,
                        args=(r, {"orientation_pass": True, "scores": GOOD, "recommendation": "accept"}, path(version, "/reviews")),
                    )
                    for r in people.reviewers
                ]
                for thread in reviews:
                    thread.start()
                for thread in reviews:
                    thread.join()
                assert sorted(a.status_code for a in answers) == [201, 201], [a.text for a in answers]
                answers.clear()
                decisions = [
                    threading.Thread(target=act, args=(admin, {"decision": choice}, path(version, "/decision")))
                    for admin, choice in zip(admins, ("accept", "decline"), strict=True)
                ]
                for thread in decisions:
                    thread.start()
                for thread in decisions:
                    thread.join()
                codes = sorted(a.status_code for a in answers)
                assert codes == [200, 409], [a.text for a in answers]
                loser = next(a for a in answers if a.status_code == 409).json()
                assert loser["error"] in ("invalid_transition", "concurrent_update")
                history = people.teacher.request("GET", path(version, "/history"))
                assert history["intact"]
                assert [e["action"] for e in history["events"]].count("review") == 2
                assert sum(e["action"] in ("accept", "decline") for e in history["events"]) == 1

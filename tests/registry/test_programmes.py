"""Selection programmes through the API: set-up and its refusals, nomination with quotas, panel
scoring under blind review, ranking per quota bucket with the tie rule, 公示 with objections,
selection with 入选 / 推荐 certificates on chain, the next level taking recommendations in,
collection (收藏), and 出库 revoking a selected resource's certificates."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger_service.certificates import CertificateReader
from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from tests.registry.conftest import ClientFactory
from tests.utils.live import live_server
from tests.utils.postgres import fresh_database
from tests.utils.programmes import (
    CHAPTERS,
    Year,
    accepted_design,
    programme_body,
    refused,
    score_all,
    selected_programme,
    set_up_year,
    submit_design,
    to_notice,
)
from tests.utils.registry import drain, new_signer, sign_in


@pytest.fixture
def year(make_client: ClientFactory) -> Year:
    return set_up_year(make_client(MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10))


def test_an_administrator_sets_up_a_programme_and_inconsistent_ones_are_refused(year: Year) -> None:
    admin = year.admin
    created = admin.request("POST", "/programmes", json=programme_body(year, quota_per_school=3, quota_per_teacher=2, quota_per_node=1))
    assert created["phase"] == "nominating" and created["level"] == "district" and created["blind_review"] is True
    assert created["quota_per_node"] == 1 and created["node_level"] == "chapter" and "earlier nomination" in created["tie_rule"]
    assert created["chain_id"].startswith("0x") and len(created["chain_id"]) == 66
    assert admin.request("GET", f"/programmes/{created['id']}")["name"] == "2026年度区级优质教学设计遴选"
    past = (year.clock() - timedelta(minutes=1)).isoformat()
    for overrides, code in [
        ({"level": "city"}, "invalid_request"),  # a district bureau does not run a city programme
        ({"nomination_closes_at": past}, "invalid_request"),
        ({"nomination_closes_at": "2030-01-01T00:00:00"}, "invalid_request"),  # no time zone
        ({"panel": [year.panel[0].signer.address] * 2}, "invalid_request"),
        ({"min_scores": 3}, "invalid_request"),
        ({"resource_types": ["论文"]}, "invalid_request"),
        ({"catalogue_scope": ["primary.nope"]}, "invalid_request"),
        ({"quota_total": 0}, "invalid_request"),
        ({"notice_days": 0}, "invalid_request"),
        ({"recommend_count": 11}, "invalid_request"),
        ({"rubric": [{"criterion": "科学性", "max": 0}]}, "invalid_request"),
        ({"unknown_field": 1}, "invalid_request"),
    ]:
        refused(lambda o=overrides: admin.request("POST", "/programmes", json=programme_body(year, **o)), 422, code)
    refused(lambda: admin.request("POST", "/programmes", json=programme_body(year, institution_id="0x" + "ab" * 32)), 404, "not_found")
    teacher = year.teachers[year.schools[0]][0]
    refused(lambda: teacher.request("POST", "/programmes", json=programme_body(year)), 403, "forbidden")
    refused(lambda: admin.request("GET", "/programmes/999999"), 404, "not_found")
    assert len(admin.request("GET", "/programmes")) >= 1


def test_nominations_hit_their_quotas_and_the_panel_ranks_per_bucket(year: Year) -> None:
    admin = year.admin
    school_a, school_b = year.schools
    (ann, bob), (cai, _) = year.teachers[school_a], year.teachers[school_b]
    programme = admin.request(
        "POST", "/programmes", json=programme_body(year, quota_per_teacher=2, quota_per_school=3, quota_per_node=1, quota_total=2)
    )
    pid = programme["id"]
    ann_designs = [accepted_design(year, ann, CHAPTERS[c - 1]) for c in (1, 1, 2)]
    bob_design = accepted_design(year, bob, CHAPTERS[2 - 1])
    bob_second = accepted_design(year, bob, CHAPTERS[3 - 1])
    cai_design = accepted_design(year, cai, CHAPTERS[1 - 1])

    def nominate(teacher: Any, version: dict[str, Any], route: str = "self") -> dict[str, Any]:
        return teacher.request("POST", f"/programmes/{pid}/nominations", json={"resource_id": version["resource_id"], "route": route})

    first = nominate(ann, ann_designs[0])
    second = nominate(ann, ann_designs[1])
    assert first["bucket"] == "primary.math.g1.pep.vol1.c1" and first["status"] == "nominated"
    error = refused(lambda: nominate(ann, ann_designs[2]), 409, "quota_exceeded")
    assert "per-teacher quota is full" in str(error) and error.body and error.body["limit"] == 2 and error.body["count"] == 2
    refused(lambda: nominate(ann, ann_designs[0]), 409, "duplicate_nomination")
    refused(lambda: nominate(bob, ann_designs[2]), 403, "forbidden")  # not his own
    third = nominate(admin, bob_design, "school")  # the school nominates (an administrator here)
    error = refused(lambda: nominate(bob, bob_second), 409, "quota_exceeded")
    assert "per-school quota is full" in str(error) and "3 of 3" in str(error)
    in_review = submit_design(cai, CHAPTERS[4 - 1])
    refused(lambda: nominate(cai, in_review), 409, "not_accepted")
    fourth = nominate(cai, cai_design)
    assert len(admin.request("GET", f"/programmes/{pid}/nominees")) == 4

    # Blind review: the panel sees no teacher or school; scores are checked against the rubric.
    panel_view = year.panel[0].request("GET", f"/programmes/{pid}/nominees")
    assert all(n["teacher"] is None and n["school_id"] is None for n in panel_view)
    assert admin.request("GET", f"/programmes/{pid}/nominees")[0]["teacher"] == ann.signer.address
    refused(lambda: ann.request("GET", f"/programmes/{pid}/nominees"), 403, "forbidden")
    scores_path = f"/programmes/{pid}/nominees/{first['id']}/scores"
    reviewer = year.panel[0]
    refused(lambda: reviewer.request("POST", scores_path, json={"scores": {"科学性": 51, "创新性": 1}}), 422, "invalid_request")
    refused(lambda: reviewer.request("POST", scores_path, json={"scores": {"科学性": 5}}), 422, "invalid_request")
    outsider = sign_in(year.http, new_signer())
    year.admin.request("PUT", f"/users/{outsider.signer.address}", json={"roles": ["reviewer"]})
    drain(year.http)
    refused(lambda: outsider.request("POST", scores_path, json={"scores": {"科学性": 5, "创新性": 5}}), 403, "forbidden")

    # Bucket c1: first and fourth tie on the mean (80); fourth has the higher lowest total and wins.
    # Bucket c2: third alone. The per-node quota (1) and the total (2) decide the proposed list.
    score_all(year, pid, {first["id"]: [(40, 30), (45, 45)], fourth["id"]: [(40, 40), (40, 40)]})
    refused(lambda: reviewer.request("POST", scores_path, json={"scores": {"科学性": 1, "创新性": 1}}), 409, "already_scored")
    # Each panel member reads back their own scores (a reloaded page shows what is done), never another's.
    mine = {n["id"]: n["my_scores"] for n in reviewer.request("GET", f"/programmes/{pid}/nominees")}
    assert mine[first["id"]] == {"科学性": 40, "创新性": 30} and mine[second["id"]] is None
    assert admin.request("GET", f"/programmes/{pid}/nominees")[0]["my_scores"] is None
    refused(lambda: admin.request("POST", f"/programmes/{pid}/publish"), 409, "wrong_phase")  # nominations still open
    year.clock.advance(days=11)
    refused(lambda: nominate(bob, bob_second), 409, "wrong_phase")
    error = refused(lambda: admin.request("POST", f"/programmes/{pid}/publish"), 409, "scores_missing")
    score_all(year, pid, {second["id"]: [(10, 10), (10, 10)], third["id"]: [(30, 30), (30, 30)]})
    ranking = {r["nominee_id"]: r for r in admin.request("GET", f"/programmes/{pid}/ranking")}
    assert (
        ranking[fourth["id"]]["bucket_rank"] == 1 and ranking[first["id"]]["bucket_rank"] == 2 and ranking[second["id"]]["bucket_rank"] == 3
    )
    assert ranking[fourth["id"]]["mean"] == ranking[first["id"]]["mean"] == 80
    assert [n for n, r in ranking.items() if r["proposed"]] == [fourth["id"], third["id"]]
    assert ranking[first["id"]]["reason"].startswith("per-node quota")
    published = admin.request("POST", f"/programmes/{pid}/publish")
    assert {r["nominee_id"] for r in published if r["proposed"]} == {fourth["id"], third["id"]}
    assert admin.request("GET", f"/programmes/{pid}")["phase"] == "notice"
    refused(lambda: admin.request("POST", f"/programmes/{pid}/publish"), 409, "wrong_phase")
    refused(
        lambda: reviewer.request("POST", f"/programmes/{pid}/nominees/{second['id']}/scores", json={"scores": {"科学性": 1, "创新性": 1}}),
        409,
        "wrong_phase",
    )


def test_a_reviewer_from_the_nominees_school_may_not_score_it(year: Year) -> None:
    school = year.schools[0]
    teacher = year.teachers[school][0]
    colleague = new_signer()
    year.admin.request("PUT", f"/users/{colleague.address}", json={"institution_id": school, "roles": ["reviewer"]})
    drain(year.http)
    colleague_client = sign_in(year.http, colleague)
    programme = year.admin.request(
        "POST", "/programmes", json=programme_body(year, panel=[r.signer.address for r in year.panel] + [colleague.address])
    )
    version = accepted_design(year, teacher, CHAPTERS[5 - 1])
    nominee = teacher.request("POST", f"/programmes/{programme['id']}/nominations", json={"resource_id": version["resource_id"]})
    refused(
        lambda: colleague_client.request(
            "POST", f"/programmes/{programme['id']}/nominees/{nominee['id']}/scores", json={"scores": {"科学性": 50, "创新性": 50}}
        ),
        409,
        "conflict_of_interest",
    )


def test_the_notice_objections_selection_and_recommendation(year: Year) -> None:
    admin, http = year.admin, year.http
    named = year.teachers[year.schools[0]][0]
    named.request("PUT", "/users/me/profile", json={"display_name": "王丽华", "name_public": True})
    unnamed = year.teachers[year.schools[1]][0]
    unnamed.request("PUT", "/users/me/profile", json={"display_name": "李明", "name_public": False})
    pid, nominees = to_notice(year, 3, recommend_count=1)

    notice = http.get(f"/programmes/{pid}/notice", headers={"Authorization": ""}).json()
    assert notice["phase"] == "notice" and [e["nominee_id"] for e in notice["entries"]] == [n["id"] for n in nominees]
    by_id = {e["nominee_id"]: e for e in notice["entries"]}
    assert by_id[nominees[0]["id"]]["teacher_name"] == "王丽华" and by_id[nominees[0]["id"]]["school"]
    assert by_id[nominees[1]["id"]]["teacher_name"] is None and by_id[nominees[1]["id"]]["school"] is None
    assert unnamed.signer.address not in str(notice) and named.signer.address not in str(notice)  # no addresses on the public page

    objector = sign_in(http, new_signer())
    objections = f"/programmes/{pid}/nominees/{nominees[0]['id']}/objections"
    upheld = objector.request("POST", objections, json={"reason": "该教学设计与已发表文章高度雷同。"})
    rejected = objector.request(
        "POST", f"/programmes/{pid}/nominees/{nominees[1]['id']}/objections", json={"reason": "我认为评分偏高，请复核。"}
    )
    refused(lambda: objector.request("POST", objections, json={"reason": "短"}), 422, "invalid_request")
    anonymous = http.post(objections, json={"reason": "匿名异议不受理。"}, headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    refused(
        lambda: objector.request(
            "POST", f"/programmes/{pid}/objections/{upheld['id']}/decision", json={"decision": "uphold", "reason": "x"}
        ),
        403,
        "forbidden",
    )
    refused(lambda: admin.request("POST", f"/programmes/{pid}/selection"), 409, "notice_open")
    year.clock.advance(days=8)
    refused(lambda: objector.request("POST", objections, json={"reason": "窗口关闭后的异议。"}), 409, "wrong_phase")
    error = refused(lambda: admin.request("POST", f"/programmes/{pid}/selection"), 409, "objections_open")
    assert error.body and error.body["open"] == 2
    decided = admin.request(
        "POST",
        f"/programmes/{pid}/objections/{upheld['id']}/decision",
        json={"decision": "uphold", "reason": "经核查，内容与他人作品雷同，撤销推荐。"},
    )
    assert decided["status"] == "upheld" and decided["decided_by"] == admin.signer.address
    refused(
        lambda: admin.request(
            "POST", f"/programmes/{pid}/objections/{upheld['id']}/decision", json={"decision": "reject", "reason": "再议"}
        ),
        409,
        "already_decided",
    )
    admin.request(
        "POST", f"/programmes/{pid}/objections/{rejected['id']}/decision", json={"decision": "reject", "reason": "评分经复核无误。"}
    )
    selection = admin.request("POST", f"/programmes/{pid}/selection")
    assert [s["nominee_id"] for s in selection["selected"]] == [nominees[1]["id"], nominees[2]["id"]]
    top = selection["selected"][0]
    assert {c["kind"] for c in top["certificates"]} == {"selection", "recommendation"} and top["recommendation_id"]
    assert [c["kind"] for c in selection["selected"][1]["certificates"]] == ["selection"]
    refused(lambda: admin.request("POST", f"/programmes/{pid}/selection"), 409, "wrong_phase")
    notice = http.get(f"/programmes/{pid}/notice").json()
    assert {e["nominee_id"]: e["status"] for e in notice["entries"]}[nominees[0]["id"]] == "removed"

    # On chain: the certificates carry the programme; every decision about a nominee has its hash recorded.
    drain(http)
    programme = admin.request("GET", f"/programmes/{pid}")
    reader = CertificateReader.of(http.app.state.ledger)  # type: ignore[attr-defined]
    selection = admin.request("GET", f"/programmes/{pid}/selection")
    top = selection["selected"][0]
    for entry in selection["selected"]:
        for certificate in entry["certificates"]:
            number = certificate["chain_certificate_id"]
            facts = reader.read(number)
            assert facts.exists and facts.kind == certificate["kind"] and facts.level == "district"
            assert "0x" + facts.programme_id.hex() == programme["chain_id"]
            assert http.get(f"/certificates/{number}/verify").json()["outcome"] == "valid"
            assert http.get(f"/certificates/{number}/pdf").headers["content-type"] == "application/pdf"
            credential = http.get(f"/certificates/{number}/credential").json()
            assert f"ext:{certificate['kind'].title()}Certificate" in str(credential) and credential["proof"]
            assert programme["name"] in credential["credentialSubject"]["achievement"]["criteria"]["narrative"]
    events = admin.request("GET", f"/programmes/{pid}/events")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(events[:-1], events[1:], strict=True))
    about_nominees = [e for e in events if e["nominee_id"] is not None]
    assert about_nominees and all(e["chain_tx"] for e in about_nominees)
    assert {"uphold_objection", "reject_objection", "select", "recommend"} <= {e["action"] for e in events}

    # The city programme takes the recommendation in as a nominee, keeping the decision's hash.
    city = admin.request(
        "POST", "/programmes", json=programme_body(year, level="city", institution_id=year.bureau_id, name="2026年度市级优质教学设计遴选")
    )
    refused(lambda: admin.request("POST", f"/programmes/{city['id']}/intake", json={"from_programme_id": city["id"]}), 409, "not_selected")
    other_district = _district_programme(year)
    refused(lambda: admin.request("POST", f"/programmes/{other_district}/intake", json={"from_programme_id": pid}), 422, "invalid_request")
    # All or none: a second city programme where the resource is already nominated takes nothing in.
    crowded = admin.request(
        "POST", "/programmes", json=programme_body(year, level="city", institution_id=year.bureau_id, name="另一市级遴选")
    )
    admin.request("POST", f"/programmes/{crowded['id']}/nominations", json={"resource_id": top["resource_id"], "route": "school"})
    refused(
        lambda: admin.request("POST", f"/programmes/{crowded['id']}/intake", json={"from_programme_id": pid}), 409, "duplicate_nomination"
    )
    assert len(admin.request("GET", f"/programmes/{crowded['id']}/nominees")) == 1
    taken = admin.request("POST", f"/programmes/{city['id']}/intake", json={"from_programme_id": pid})
    assert [(n["resource_id"], n["route"]) for n in taken] == [(top["resource_id"], "recommendation")]
    recommendation = admin.request("GET", f"/programmes/{pid}/recommendations")[0]
    assert recommendation["taken_in_by"] == taken[0]["id"] and recommendation["to_level"] == "city"
    city_events = admin.request("GET", f"/programmes/{city['id']}/events")
    assert city_events[-1]["details"]["decisionHash"] == recommendation["decision_hash"]
    refused(lambda: admin.request("POST", f"/programmes/{city['id']}/intake", json={"from_programme_id": pid}), 409, "nothing_to_take_in")

    # 出库 of a selected resource revokes its certificates (入选 and 推荐 with 收录).
    withdrawn = admin.request(
        "POST",
        f"/resources/{top['resource_id']}/versions/{top['version']}/withdrawal",
        json={"reason_code": "infringement", "reason": "侵权投诉成立"},
    )
    assert withdrawn["state"] == "WITHDRAWN"
    drain(http)
    for certificate in admin.request("GET", f"/programmes/{pid}/selection")["selected"][0]["certificates"]:
        assert certificate["status"] == "revoked"
        check = http.get(f"/certificates/{certificate['chain_certificate_id']}/verify").json()
        assert check["outcome"] == "invalid" and any(c["name"] == "not_revoked" and c["result"] == "fail" for c in check["checks"]), check


def _district_programme(year: Year) -> int:
    return int(year.admin.request("POST", "/programmes", json=programme_body(year, name="另一区级遴选"))["id"])


def test_a_withdrawn_nominee_is_dropped_at_selection_and_unaccepted_ones_are_refused(year: Year) -> None:
    pid, nominees = to_notice(year, 2)
    admin = year.admin
    gone = admin.request("GET", f"/programmes/{pid}/nominees")[0]
    admin.request(
        "POST",
        f"/resources/{gone['resource_id']}/versions/{gone['version']}/withdrawal",
        json={"reason_code": "content_finding", "reason": "发现科学性错误"},
    )
    year.clock.advance(days=8)
    selection = admin.request("POST", f"/programmes/{pid}/selection")
    assert [s["nominee_id"] for s in selection["selected"]] == [nominees[1]["id"]]
    statuses = {n["id"]: n["status"] for n in admin.request("GET", f"/programmes/{pid}/nominees")}
    assert statuses[nominees[0]["id"]] == "dropped"
    # A new programme refuses the withdrawn resource with the reason.
    fresh = admin.request("POST", "/programmes", json=programme_body(year))
    teacher = year.teachers[year.schools[0]][0]
    error = refused(
        lambda: teacher.request("POST", f"/programmes/{fresh['id']}/nominations", json={"resource_id": gone["resource_id"]}),
        409,
        "not_accepted",
    )
    assert "withdrawn" in str(error)


def test_collection_issues_a_certificate_once_per_level(year: Year) -> None:
    teacher = year.teachers[year.schools[0]][0]
    version = accepted_design(year, teacher, CHAPTERS[6 - 1])
    path = f"/resources/{version['resource_id']}/versions/{version['number']}/collection"
    collected = year.admin.request("POST", path, json={"level": "national", "reason": "国家平台收藏"})
    assert collected["certificate"]["kind"] == "collection" and collected["level"] == "national"
    refused(lambda: year.admin.request("POST", path, json={"level": "national"}), 409, "already_collected")
    refused(lambda: year.admin.request("POST", path, json={"level": "galaxy"}), 422, "invalid_request")
    refused(lambda: teacher.request("POST", path, json={"level": "city"}), 403, "forbidden")
    pending = submit_design(teacher, CHAPTERS[7 - 1])
    refused(
        lambda: year.admin.request("POST", f"/resources/{pending['resource_id']}/versions/1/collection", json={"level": "city"}),
        409,
        "not_accepted",
    )
    drain(year.http)
    mine = {c["kind"]: c for c in teacher.request("GET", "/certificates")}
    assert mine["collection"]["level"] == "national" and mine["collection"]["status"] == "issued"
    check = year.http.get(f"/certificates/{mine['collection']['id']}/verify").json()
    assert check["outcome"] == "valid"


@pytest.mark.postgres
def test_two_nominations_at_once_cannot_both_take_the_last_place(module_ledger: Ledger, tmp_path: Path) -> None:
    """A teacher with one place left sends two nominations at the same moment: one lands, the other is refused whole."""
    with fresh_database() as url:
        app = create_app(
            Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=url, MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10), ledger=module_ledger
        )
        with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
            year = set_up_year(http, schools=1, teachers_per_school=1, app=app)
            teacher = year.teachers[year.schools[0]][0]
            pid = year.admin.request("POST", "/programmes", json=programme_body(year, quota_per_teacher=1))["id"]
            versions = [accepted_design(year, teacher, CHAPTERS[i]) for i in range(2)]
            barrier = threading.Barrier(2)
            answers: list[httpx.Response] = []

            def nominate(resource_id: int) -> None:
                barrier.wait()
                answers.append(http.post(f"/programmes/{pid}/nominations", json={"resource_id": resource_id}, headers=teacher.headers))

            threads = [threading.Thread(target=nominate, args=(v["resource_id"],)) for v in versions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            assert next(a for a in answers if a.status_code == 409).json()["error"] in ("quota_exceeded", "concurrent_update")
            assert len(year.admin.request("GET", f"/programmes/{pid}/nominees")) == 1


def test_a_recommendation_withdrawn_before_intake_goes_no_further(year: Year) -> None:
    admin = year.admin
    pid = selected_programme(year, nominees=2, recommend_count=2)
    recommendations = admin.request("GET", f"/programmes/{pid}/recommendations")
    gone = recommendations[0]
    admin.request(
        "POST",
        f"/resources/{gone['resource_id']}/versions/{gone['version']}/withdrawal",
        json={"reason_code": "outdated", "reason": "教材已改版"},
    )
    city = admin.request("POST", "/programmes", json=programme_body(year, level="city", institution_id=year.bureau_id))
    taken = admin.request("POST", f"/programmes/{city['id']}/intake", json={"from_programme_id": pid})
    assert [n["resource_id"] for n in taken] == [recommendations[1]["resource_id"]]
    skipped = [e for e in admin.request("GET", f"/programmes/{city['id']}/events") if e["action"] == "skip_recommendation"]
    assert len(skipped) == 1 and skipped[0]["details"]["versionState"] == "WITHDRAWN"


def test_the_panel_is_named_to_administrators_only(year: Year) -> None:
    created = year.admin.request("POST", "/programmes", json=programme_body(year))
    everyone = {member.signer.address for member in year.panel}
    assert set(year.admin.request("GET", f"/programmes/{created['id']}")["panel"]) == everyone
    member = year.panel[0]
    assert member.request("GET", f"/programmes/{created['id']}")["panel"] == [member.signer.address], "a member sees itself only"
    teacher = year.teachers[year.schools[0]][0]
    listed = {p["id"]: p for p in teacher.request("GET", "/programmes")}
    assert listed[created["id"]]["panel"] == [], "nobody else learns whom to lobby"
    anonymous = year.http.get(f"/programmes/{created['id']}")
    assert anonymous.status_code == 200 and anonymous.json()["panel"] == []


def test_a_school_lists_its_accepted_resources_for_its_issuers_only(year: Year) -> None:
    """学校推荐 picks from the school's accepted resources: its issuers and administrators read the list;
    another school's issuer, a teacher and an unknown school are refused."""
    school, other = year.schools[0], year.schools[1]
    teacher = year.teachers[school][0]
    accepted = accepted_design(year, teacher, CHAPTERS[0])
    submit_design(teacher, CHAPTERS[1])  # in review: not listed
    issuer, stranger = sign_in(year.http, new_signer()), sign_in(year.http, new_signer())
    year.admin.request("PUT", f"/users/{issuer.signer.address}", json={"institution_id": school, "roles": ["issuer"]})
    year.admin.request("PUT", f"/users/{stranger.signer.address}", json={"institution_id": other, "roles": ["issuer"]})
    listed = issuer.request("GET", f"/institutions/{school}/resources")
    assert listed["total"] == 1 and [i["resource_id"] for i in listed["items"]] == [accepted["resource_id"]]
    assert listed["items"][0]["author"]["address"] == teacher.signer.address and listed["items"][0]["accepted_at"]
    assert year.admin.request("GET", f"/institutions/{school}/resources")["total"] == 1
    refused(lambda: stranger.request("GET", f"/institutions/{school}/resources"), 403, "forbidden")
    refused(lambda: teacher.request("GET", f"/institutions/{school}/resources"), 403, "forbidden")
    refused(lambda: year.admin.request("GET", "/institutions/0xnope/resources"), 404, "not_found")
    refused(lambda: issuer.request("GET", f"/institutions/{school}/resources", params={"per_page": 101}), 422, "invalid_request")

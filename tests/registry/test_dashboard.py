"""The 数据驾驶舱 through the API, on SQLite and PostgreSQL: its numbers are what the other endpoints
report (resources, histories, certificates, credential batches, health); the database's own
aggregates and percentiles equal the ones computed here from thousands of rows written in bulk; the
public summary names no school, institution or person; bad months and callers are refused."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.crud.catalogue import SAMPLE_CATALOGUE, is_empty, load_catalogue, read_catalogue_file
from tests.registry.test_issuance import issuing_school, students
from tests.utils.dashboard import month_of, percentile_cont, seed_dashboard
from tests.utils.registry import People, drain, lesson_bundle, lesson_metadata, review_and_accept, set_up_people
from wallet_cli._registry import RegistryError

GOOD = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}
TOLERANCE_S = 0.01  # SQLite's julianday keeps milliseconds


def submit(people: People, title: str, node: str = "primary.math.g3.pep.vol1.c8.s1") -> dict[str, Any]:
    files = lesson_bundle(f"dash-{uuid.uuid4()}")
    return people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, title=title, catalogue_node=node))


def decide(people: People, version: dict[str, Any], decision: str, recommendation: str) -> None:
    path = f"/resources/{version['resource_id']}/versions/{version['number']}"
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": recommendation})
    people.admin.request("POST", path + "/decision", json={"decision": decision})


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_the_dashboard_reports_what_the_other_endpoints_report(client: TestClient) -> None:
    people = set_up_people(client)
    accepted = [review_and_accept(people, submit(people, f"同意收录 {i}")) for i in range(3)]
    revise = submit(people, "退回修改")
    decide(people, revise, "request_revisions", "revise")
    declined = submit(people, "不予收录")
    decide(people, declined, "decline", "decline")
    waiting = submit(people, "评审中")
    people.admin.request("POST", f"/resources/{accepted[0]['resource_id']}/versions/1/withdrawal", json={"reason_code": "infringement"})
    _, issuer, school = issuing_school(client)
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": "dash-g7", "kind": "growth_record", "records": students(6, label="dash")}
    )
    issuer.request("POST", f"/credentials/{batch['credentials'][0]['id']}/status", json={"action": "revoke", "reason": "误发"})
    issuer.request("POST", f"/credentials/{batch['credentials'][1]['id']}/status", json={"action": "suspend"})
    drain(client)

    # What the other endpoints say.
    mine = people.teacher.request("GET", "/resources", params={"per_page": 100})
    versions = [people.teacher.request("GET", f"/resources/{item['id']}/versions/{item['version']}") for item in mine["items"]]
    turnaround, outcomes = [], []
    for version in versions:
        history = people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/{version['number']}/history")
        first = next((e for e in history["events"] if e["action"] in ("accept", "decline", "request_revisions")), None)
        if first:
            outcomes.append(first["action"])
            turnaround.append((parse(first["created_at"]) - parse(version["created_at"])).total_seconds())
    certificates = people.teacher.request("GET", "/certificates")
    issued = [c for c in certificates if c["status"] in ("issued", "revoked")]
    statuses = [issuer.request("GET", f"/credentials/{c['id']}")["status"] for c in batch["credentials"]]
    health = client.get("/health").json()

    dashboard = people.admin.request("GET", "/dashboard")
    total = dashboard["total"]
    assert total["submissions"] == mine["total"] == 6
    assert total["decisions"] == len(outcomes) == 5 and total["accepted"] == outcomes.count("accept") == 3
    assert total["acceptance_rate"] == pytest.approx(3 / 5)
    assert total["turnaround_median_s"] == pytest.approx(percentile_cont(turnaround, 0.5), abs=TOLERANCE_S)
    assert total["turnaround_p90_s"] == pytest.approx(percentile_cont(turnaround, 0.9), abs=TOLERANCE_S)
    assert total["certificates_issued"] == len(issued) == 3
    assert total["certificates_revoked"] == sum(c["status"] == "revoked" for c in certificates) == 1
    assert dashboard["credentials"] == {
        "key": "",
        "label": "",
        "issued": batch["count"],
        "anchored": 6 if batch["tx_hash"] else 0,
        "revoked": statuses.count("revoked"),
        "suspended": statuses.count("suspended"),
    }
    assert dashboard["credentials_by_institution"] == [{**dashboard["credentials"], "key": school["id"], "label": school["name"]}]
    after = client.get("/health").json()  # the monitor looks every 0.2 s: the dashboard saw what /health saw before or after
    assert health["block_number"] <= dashboard["chain"]["block_number"] <= after["block_number"]
    assert dashboard["chain"]["status"] in (health["status"], after["status"]) and after["status"] == "ok"
    assert dashboard["chain"]["open_jobs"] == health["open_chain_jobs"] == 0 and dashboard["chain"]["jobs"].get("failed", 0) == 0
    assert dashboard["chain"]["registrations"] == {"mined": 6}

    # Every breakdown adds up to the total; the teacher's school and subject carry everything.
    for breakdown in ("by_stage", "by_subject", "by_school", "by_month"):
        for field in ("submissions", "decisions", "accepted", "certificates_issued", "certificates_revoked"):
            assert sum(row[field] for row in dashboard[breakdown]) == total[field], (breakdown, field)
    assert [(r["label"], r["submissions"]) for r in dashboard["by_school"]] == [("滨海新区实验小学", 6)]
    assert [(r["key"], r["submissions"]) for r in dashboard["by_subject"]] == [("数学", 6)]
    assert [(r["key"], r["submissions"]) for r in dashboard["by_stage"]] == [("小学", 6)]
    assert [r["key"] for r in dashboard["by_month"]] == sorted({month_of(parse(v["created_at"])) for v in versions})
    assert waiting["state"] == "IN_REVIEW" and revise and declined

    # The public summary: the same numbers, and no school, institution or address in it.
    summary = client.get("/dashboard/summary")
    assert summary.status_code == 200, summary.text
    public = summary.json()
    for name in ("total", "by_stage", "by_subject", "by_month", "credentials", "credentials_by_month"):
        assert public[name] == dashboard[name], name
    assert "by_school" not in public and "credentials_by_institution" not in public and "jobs" not in public["chain"]
    assert client.get("/dashboard/summary").json()["generated_at"] == public["generated_at"], (
        "anonymous callers share one computation per period for 30 s"
    )
    text = json.dumps(public, ensure_ascii=False)
    assert "滨海新区实验小学" not in text and school["name"] not in text and "0x" not in text

    # A period: months are Beijing time; a period before everything counts nothing.
    month = dashboard["by_month"][-1]["key"]
    only = people.admin.request("GET", "/dashboard", params={"from_month": month, "to_month": month})
    assert only["total"]["submissions"] == dashboard["by_month"][-1]["submissions"]
    empty = client.get("/dashboard/summary", params={"to_month": "2020-01"}).json()
    assert empty["total"]["submissions"] == 0 and empty["total"]["acceptance_rate"] is None and empty["by_month"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from_month": "2026-13"}, 422),
        ({"from_month": "2026-1"}, 422),
        ({"to_month": "26-01"}, 422),
        ({"from_month": "2026-11", "to_month": "2026-10"}, 422),
        ({"from_month": "1999-12"}, 422),
        ({"to_month": "2026-11'; --"}, 422),
    ],
)
def test_bad_months_are_refused(client: TestClient, params: dict[str, str], status: int) -> None:
    answer = client.get("/dashboard/summary", params=params)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error", "message"}


def test_the_decisions_counted_are_the_review_workflows() -> None:
    from registry.crud.dashboard import DECISIONS
    from registry.workflows.review import ACTIONS, State

    decided = {State.ACCEPTED, State.DECLINED, State.REVISIONS_REQUESTED}
    assert set(DECISIONS) == {name for name, spec in ACTIONS.items() if State.IN_REVIEW in spec.sources and spec.target in decided}


def test_only_administrators_see_schools(client: TestClient) -> None:
    people = set_up_people(client)
    assert client.get("/dashboard").status_code == 401
    for caller in (people.teacher, people.reviewers[0]):
        with pytest.raises(RegistryError) as refused:
            caller.request("GET", "/dashboard")
        assert refused.value.status == 403


def test_the_databases_aggregates_equal_the_rows(client: TestClient) -> None:
    """2,000 versions over 14 months and 24 schools written in bulk: every group's counts and
    percentiles, computed by the database, equal the ones computed here from the rows."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db:
        if is_empty(session=db):
            load_catalogue(session=db, data=read_catalogue_file(SAMPLE_CATALOGUE))
        expected = seed_dashboard(db, 2000)
        db.commit()
    people = set_up_people(client)
    dashboard = people.admin.request("GET", "/dashboard")
    for dimension, rows in (
        ("total", [dashboard["total"]]),
        ("stage", dashboard["by_stage"]),
        ("subject", dashboard["by_subject"]),
        ("school", dashboard["by_school"]),
        ("month", dashboard["by_month"]),
    ):
        keys = set(expected.submissions[dimension]) | set(expected.decisions[dimension]) | set(expected.certificates[dimension])
        assert {row["key"] for row in rows} == keys, dimension
        for row in rows:
            key = row["key"]
            samples = expected.turnaround[dimension].get(key, [])
            assert row["submissions"] == expected.submissions[dimension].get(key, 0), (dimension, key)
            assert row["decisions"] == expected.decisions[dimension].get(key, 0) == len(samples), (dimension, key)
            assert row["accepted"] == expected.accepted[dimension].get(key, 0), (dimension, key)
            assert row["certificates_issued"] == expected.certificates[dimension].get(key, 0), (dimension, key)
            assert row["certificates_revoked"] == expected.revoked[dimension].get(key, 0), (dimension, key)
            for field, p in (("turnaround_median_s", 0.5), ("turnaround_p90_s", 0.9)):
                want = percentile_cont(samples, p)
                assert (row[field] is None) == (want is None) and (want is None or abs(row[field] - want) <= TOLERANCE_S), (
                    dimension,
                    key,
                    field,
                    row[field],
                    want,
                )
    assert len(dashboard["by_school"]) == 24 and len(dashboard["by_month"]) >= 14
    credentials = expected.credentials
    assert dashboard["credentials"] == {
        "key": "",
        "label": "",
        "issued": credentials["issued"],
        "anchored": credentials["anchored"],
        "revoked": credentials["revoked"],
        "suspended": credentials["suspended"],
    }
    for row in dashboard["credentials_by_month"]:
        tag = f"|month:{row['key']}"
        assert (row["issued"], row["anchored"], row["revoked"]) == (
            credentials[f"issued{tag}"],
            credentials[f"anchored{tag}"],
            credentials[f"revoked{tag}"],
        )

    # A period of three months: each count in the month its event happened.
    months = sorted(expected.submissions["month"])[3:6]
    period = people.admin.request("GET", "/dashboard", params={"from_month": months[0], "to_month": months[-1]})["total"]
    assert period["submissions"] == sum(expected.submissions["month"][m] for m in months)
    assert period["decisions"] == sum(expected.decisions["month"].get(m, 0) for m in months)
    samples = [s for m in months for s in expected.turnaround["month"].get(m, [])]
    assert period["turnaround_p90_s"] == pytest.approx(percentile_cont(samples, 0.9), abs=TOLERANCE_S)

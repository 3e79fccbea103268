"""One programme year end to end through the API: 30 nominees across three schools, quotas that
bite, one objection upheld and one rejected, selection, recommendation to the city programme, the
city's own selection, the package for the national platform exported, imported and verified, and a
tampered package rejected."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.registry.conftest import ClientFactory
from tests.utils.programmes import CHAPTERS, Year, accepted_design, programme_body, refused, set_up_year
from tests.utils.registry import drain, new_signer, sign_in


@pytest.fixture
def year(make_client: ClientFactory) -> Year:
    return set_up_year(make_client(MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10), schools=3, teachers_per_school=4, panel=3)


def _score_everyone(year: Year, pid: int, nominees: list[dict[str, Any]]) -> None:
    # Scores fall with the nomination order, each panel member a little differently: no two means tie.
    for position, nominee in enumerate(nominees):
        for offset, reviewer in enumerate(year.panel):
            science = max(0, 50 - position - offset)
            reviewer.request(
                "POST", f"/programmes/{pid}/nominees/{nominee['id']}/scores", json={"scores": {"科学性": science, "创新性": 45}}
            )


def test_a_programme_year(year: Year) -> None:
    admin, http = year.admin, year.http
    district = admin.request(
        "POST",
        "/programmes",
        json=programme_body(
            year,
            quota_total=12,
            quota_per_school=10,
            quota_per_teacher=3,
            quota_per_node=2,
            node_level="chapter",
            recommend_count=3,
            min_scores=3,
        ),
    )
    pid = district["id"]

    # 30 nominations: each school fills its 10, each teacher applies with up to 3 (chapters in 8 buckets).
    nominees: list[dict[str, Any]] = []
    spare: dict[str, Any] = {}
    for s, school in enumerate(year.schools):
        teachers = year.teachers[school]
        for i in range(10):
            teacher = teachers[i % 4]
            version = accepted_design(year, teacher, CHAPTERS[(s * 10 + i) % 8])
            route = "self" if i % 2 == 0 else "school"
            nominator = teacher if route == "self" else admin
            nominees.append(
                nominator.request("POST", f"/programmes/{pid}/nominations", json={"resource_id": version["resource_id"], "route": route})
            )
        spare[school] = accepted_design(year, teachers[3], CHAPTERS[0])
    assert len(nominees) == 30
    # Quotas bite: the school's 11th nomination, and a teacher's 4th (checked before the school's).
    error = refused(
        lambda: admin.request(
            "POST", f"/programmes/{pid}/nominations", json={"resource_id": spare[year.schools[0]]["resource_id"], "route": "school"}
        ),
        409,
        "quota_exceeded",
    )
    assert error.body and error.body["quota"] == "per-school" and error.body["limit"] == 10
    busy_teacher = year.teachers[year.schools[0]][0]  # nominated 3 already (i = 0, 4, 8)
    fourth = accepted_design(year, busy_teacher, CHAPTERS[9])
    error = refused(
        lambda: busy_teacher.request("POST", f"/programmes/{pid}/nominations", json={"resource_id": fourth["resource_id"]}),
        409,
        "quota_exceeded",
    )
    assert error.body and error.body["quota"] == "per-teacher" and error.body["count"] == 3

    _score_everyone(year, pid, nominees)
    year.clock.advance(days=11)
    ranking = admin.request("GET", f"/programmes/{pid}/ranking")
    proposed = [r for r in ranking if r["proposed"]]
    assert len(proposed) == 12  # the total quota bites
    per_bucket: dict[str, int] = {}
    for r in proposed:
        per_bucket[r["bucket"]] = per_bucket.get(r["bucket"], 0) + 1
    assert max(per_bucket.values()) <= 2  # and the per-node quota
    assert any(r["reason"] and r["reason"].startswith("per-node") for r in ranking)
    assert any(r["reason"] and r["reason"].startswith("total") for r in ranking)
    admin.request("POST", f"/programmes/{pid}/publish")

    notice = http.get(f"/programmes/{pid}/notice", headers={"Authorization": ""}).json()
    assert len(notice["entries"]) == 12 and all(e["teacher_name"] is None for e in notice["entries"])
    objector = sign_in(http, new_signer())
    first, second = notice["entries"][0]["nominee_id"], notice["entries"][1]["nominee_id"]
    upheld = objector.request("POST", f"/programmes/{pid}/nominees/{first}/objections", json={"reason": "与往年入选作品雷同，请核查。"})
    rejected = objector.request("POST", f"/programmes/{pid}/nominees/{second}/objections", json={"reason": "课件存在版权疑问。"})
    refused(lambda: admin.request("POST", f"/programmes/{pid}/selection"), 409, "notice_open")
    year.clock.advance(days=8)
    refused(lambda: admin.request("POST", f"/programmes/{pid}/selection"), 409, "objections_open")
    admin.request("POST", f"/programmes/{pid}/objections/{upheld['id']}/decision", json={"decision": "uphold", "reason": "核查属实"})
    admin.request("POST", f"/programmes/{pid}/objections/{rejected['id']}/decision", json={"decision": "reject", "reason": "授权齐全"})
    selection = admin.request("POST", f"/programmes/{pid}/selection")
    assert len(selection["selected"]) == 11 and first not in {s["nominee_id"] for s in selection["selected"]}
    recommended = [s for s in selection["selected"] if s["recommendation_id"]]
    assert len(recommended) == 3
    drain(http)

    # The city programme takes the three recommendations in, runs its own round, and recommends two upward.
    city = admin.request(
        "POST",
        "/programmes",
        json=programme_body(
            year,
            level="city",
            institution_id=year.bureau_id,
            name="2026年度市级优质教学设计遴选",
            quota_total=2,
            recommend_count=2,
            min_scores=3,
        ),
    )
    taken = admin.request("POST", f"/programmes/{city['id']}/intake", json={"from_programme_id": pid})
    assert sorted(n["resource_id"] for n in taken) == sorted(s["resource_id"] for s in recommended)
    _score_everyone(year, city["id"], taken)
    year.clock.advance(days=11)
    admin.request("POST", f"/programmes/{city['id']}/publish")
    year.clock.advance(days=8)
    city_selection = admin.request("POST", f"/programmes/{city['id']}/selection")
    assert len(city_selection["selected"]) == 2
    drain(http)
    events = admin.request("GET", f"/programmes/{pid}/events") + admin.request("GET", f"/programmes/{city['id']}/events")
    assert all(e["chain_tx"] for e in events if e["nominee_id"] is not None)

    # The package for the national platform: verified and imported; a changed byte is rejected with the reason.
    package = http.get(f"/programmes/{city['id']}/package", headers={"Authorization": f"Bearer {admin.token}"})
    assert package.status_code == 200, package.text
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        assert sum(name.endswith(".car") for name in archive.namelist()) == 2
    imported = admin.request("POST", "/packages/import", content=package.content, headers={"Content-Type": "application/zip"})
    assert imported["outcome"] == "valid" and len(imported["imported"]) == 2
    kinds = [c for c in imported["checks"] if c["name"] == "certificate"]
    assert len(kinds) == 10  # each resource: 收录, 区级入选, 区级推荐, 市级入选, 市级推荐
    tampered = bytearray(package.content)
    tampered[len(tampered) // 2] ^= 0x04
    error = refused(
        lambda: admin.request("POST", "/packages/import", content=bytes(tampered), headers={"Content-Type": "application/zip"}),
        422,
        "package_invalid",
    )
    assert error.body and error.body["report"]["failed_check"]

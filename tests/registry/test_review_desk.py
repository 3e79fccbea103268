"""What the reviewer and administrator pages read: the rubric, versions by state with their round's
reviews, accounts with their reviewer grants on chain, blind review, and part previews (Word and
PowerPoint converted to PDF by headless LibreOffice, the original kept)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from registry.models import ChainJob
from registry.workflows.previews import FAILURE_KEPT, preview_kind
from tests.registry.conftest import ClientFactory
from tests.utils.office import real_docx, real_pptx
from tests.utils.registry import People, drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept, set_up_people, sign_in
from wallet_cli._registry import RegistryError

pytestmark = pytest.mark.anvil

GOOD = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}


def submit(people: People, files: dict[str, bytes] | None = None, **metadata: Any) -> dict[str, Any]:
    files = files or lesson_bundle(f"desk-{uuid.uuid4()}")
    return people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, **metadata))


def path(version: dict[str, Any], tail: str = "") -> str:
    return f"/resources/{version['resource_id']}/versions/{version['number']}{tail}"


def review(people: People, version: dict[str, Any], index: int, *, orientation: bool = True, recommendation: str = "accept") -> None:
    reviewer = people.reviewers[index]
    reviewer.request("POST", path(version, "/claim"))
    reviewer.request(
        "POST", path(version, "/reviews"), json={"orientation_pass": orientation, "scores": GOOD, "recommendation": recommendation}
    )


def refused(call: Any, status: int, code: str) -> None:
    with pytest.raises(RegistryError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), str(caught.value)


def test_the_rubric_is_the_workflows_own(client: TestClient) -> None:
    people = set_up_people(client)
    rubric = people.reviewers[0].request("GET", "/reviews/rubric")
    assert rubric == {
        "orientation": "政治性/导向性",
        "dimensions": ["思想性", "科学性", "规范性", "技术性", "适用性"],
        "max_score": 3,
        "overall_comment": "总体",
        "recommendations": ["accept", "revise", "decline"],
    }
    assert client.get("/reviews/rubric", headers={"Authorization": ""}).status_code == 401


def test_versions_by_state_carry_their_rounds_reviews_for_the_decision(client: TestClient) -> None:
    people = set_up_people(client)
    waiting, ready, vetoed = submit(people), submit(people), submit(people)
    review(people, ready, 0)
    review(people, ready, 1)
    review(people, vetoed, 0, orientation=False, recommendation="decline")
    listed = people.admin.request("GET", "/reviews/versions")
    items = {item["resource_id"]: item for item in listed["items"]}
    assert set(items) >= {waiting["resource_id"], ready["resource_id"], vetoed["resource_id"]}
    assert (items[waiting["resource_id"]]["reviews"], items[waiting["resource_id"]]["mean_total"]) == (0, None)
    assert items[ready["resource_id"]]["reviews"] == 2
    assert items[ready["resource_id"]]["reviews_needed"] == 2 and items[ready["resource_id"]]["mean_total"] == 14.0
    assert items[vetoed["resource_id"]]["vetoed"] is True and items[ready["resource_id"]]["vetoed"] is False
    assert listed["withdrawal_reasons"] == ["author_request", "infringement", "content_finding", "outdated", "not_selected"]

    people.admin.request("POST", path(ready, "/decision"), json={"decision": "accept"})
    accepted = people.admin.request("GET", "/reviews/versions", params={"state": "ACCEPTED"})
    assert [i["resource_id"] for i in accepted["items"]] == [ready["resource_id"]] and accepted["items"][0]["accepted_at"]
    assert ready["resource_id"] not in {i["resource_id"] for i in people.admin.request("GET", "/reviews/versions")["items"]}

    # A new round counts its own reviews only (the old round's are history).
    review(people, vetoed, 1)
    people.admin.request("POST", path(vetoed, "/decision"), json={"decision": "decline"})
    people.admin.request("POST", path(vetoed, "/reopen"), json={"reason": "复议"})
    again = next(i for i in people.admin.request("GET", "/reviews/versions")["items"] if i["resource_id"] == vetoed["resource_id"])
    assert (again["round"], again["reviews"], again["vetoed"]) == (2, 0, False)

    refused(lambda: people.teacher.request("GET", "/reviews/versions"), 403, "forbidden")
    refused(lambda: people.reviewers[0].request("GET", "/reviews/versions"), 403, "forbidden")
    for bad in ({"state": "SCREENING"}, {"state": "accepted"}, {"page": "0"}, {"per_page": "1000"}):
        answer = client.get("/reviews/versions", params=bad, headers={"Authorization": f"Bearer {people.admin.token}"})
        assert answer.status_code == 422 and answer.json()["error"], (bad, answer.text)


def test_accounts_list_their_roles_and_where_each_reviewer_grant_stands(make_client: ClientFactory) -> None:
    client = make_client(WORKER=False)  # chain jobs run when the test drains them: "pending" is seen for sure
    people = set_up_people(client)
    admin = people.admin
    reviewer = new_signer()
    admin.request("PUT", f"/users/{reviewer.address}", json={"institution_id": people.school_id, "roles": ["reviewer", "teacher"]})
    admin.request("PUT", f"/users/{reviewer.address}/profile", json={"display_name": "赵教研", "title": "小学数学教研员"})

    def row(address: str, **params: Any) -> dict[str, Any]:
        page = admin.request("GET", "/users", params={"per_page": 100, **params})
        return next(item for item in page["items"] if item["address"] == address)

    pending = row(reviewer.address)
    assert pending["reviewer_grant"] == {"action": "grant", "status": "pending", "tx_hash": None, "error": None}
    assert pending["roles"] == ["teacher"], "the reviewer role counts once it is mined"
    assert (pending["display_name"], pending["title"], pending["institution_id"]) == ("赵教研", "小学数学教研员", people.school_id)
    drain(client)
    mined = row(reviewer.address)
    assert mined["reviewer_grant"]["status"] == "mined" and mined["reviewer_grant"]["tx_hash"].startswith("0x")
    assert mined["roles"] == ["reviewer", "teacher"]
    assert row(people.teacher.signer.address)["reviewer_grant"] is None

    admin.request("PUT", f"/users/{reviewer.address}", json={"roles": ["teacher"]})
    revoking = row(reviewer.address)
    assert revoking["reviewer_grant"]["action"] == "revoke" and revoking["roles"] == ["teacher"], "a removal counts at once"
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        db.execute(
            update(ChainJob)
            .where(ChainJob.subject == f"reviewer:{reviewer.address}", ChainJob.kind == "revoke_reviewer")
            .values(status="failed", error="relayer out of gas")
        )
        db.commit()
    assert row(reviewer.address)["reviewer_grant"] == {
        "action": "revoke",
        "status": "failed",
        "tx_hash": None,
        "error": "relayer out of gas",
    }

    reviewers = admin.request("GET", "/users", params={"role": "reviewer", "per_page": 100})
    assert {people.reviewers[0].signer.address, reviewer.address} <= {i["address"] for i in reviewers["items"]}
    assert people.teacher.signer.address not in {i["address"] for i in reviewers["items"]}
    school = admin.request("GET", "/users", params={"institution_id": people.school_id, "per_page": 100})
    assert {i["address"] for i in school["items"]} == {people.teacher.signer.address, reviewer.address}
    first = admin.request("GET", "/users", params={"per_page": 1})
    assert first["total"] >= 4 and len(first["items"]) == 1
    refused(lambda: people.teacher.request("GET", "/users"), 403, "forbidden")
    answer = client.get("/users", params={"role": "owner"}, headers={"Authorization": f"Bearer {admin.token}"})
    assert answer.status_code == 422 and answer.json()["error"]


def test_blind_review_withholds_the_authors_from_reviewers_only(make_client: ClientFactory) -> None:
    client = make_client(BLIND_REVIEW=True)
    people = set_up_people(client)
    people.teacher.request("PUT", "/users/me/profile", json={"display_name": "王丽华", "name_public": True})
    original, copy = (people.teacher.submit(*pair) for pair in _plan_and_its_edit(people))  # the copy: a near-duplicate
    drain(client)
    teacher = people.teacher.signer.address
    reviewer = people.reviewers[0]
    for version in (original, copy):
        seen = reviewer.request("GET", path(version))
        assert seen["authors"] == [] and seen["authors_hidden"] is True
        assert teacher not in str(seen) and "王丽华" not in str(seen), "no address or name anywhere in the answer"
        history = reviewer.request("GET", path(version, "/history"))
        assert history["intact"] is True and teacher not in str(history)
        assert any(e["action"] == "submit" and e["actor"] == "author" and e["actor_name"] is None for e in history["events"])
        assert reviewer.request("GET", f"/resources/{version['resource_id']}")["owner"] is None
    hits = reviewer.request("GET", path(copy))["near_duplicates"]
    assert hits and all("owner" not in hit for hit in hits), hits
    assert all("owner" in hit for hit in people.admin.request("GET", path(copy))["near_duplicates"])

    for viewer in (people.admin, people.teacher):  # administrators and the authors themselves see the authors
        seen = viewer.request("GET", path(original))
        assert seen["authors_hidden"] is False and seen["authors"][0]["address"] == teacher
        assert viewer.request("GET", path(original, "/history"))["events"][0]["actor"] == teacher


def _plan_and_its_edit(people: People) -> list[tuple[dict[str, bytes], dict[str, Any]]]:
    text = ("认识分数（几分之一）教学设计：创设分月饼的情境，引导学生用折纸表示二分之一、四分之一。" * 12 + uuid.uuid4().hex).encode()
    meta = {"resource_type": "教学设计", "parts": [{"name": "教学设计.txt", "role": "教学设计"}]}
    pairs = []
    for files in ({"教学设计.txt": text}, {"教学设计.txt": text + "五、布置作业：完成练习册第八单元。".encode()}):
        pairs.append((files, lesson_metadata(people.teacher.signer.address, files, **meta)))
    return pairs


def test_blind_review_is_off_by_default(client: TestClient) -> None:
    people = set_up_people(client)
    version = submit(people)
    seen = people.reviewers[0].request("GET", path(version))
    assert seen["authors_hidden"] is False and seen["authors"][0]["address"] == people.teacher.signer.address


def _office_bundle(label: str) -> dict[str, bytes]:
    files = lesson_bundle(label)
    files["教学设计.docx"] = real_docx(f"{label} 教学设计", "教学目标：认识几分之一 Fractions")
    files["课件.pptx"] = real_pptx()
    return files


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (make run installs it as root)")
def test_word_and_powerpoint_parts_are_converted_to_pdf_the_originals_kept(client: TestClient, tmp_path: Path) -> None:
    people = set_up_people(client)
    files = _office_bundle(f"preview-{uuid.uuid4()}")
    version = submit(people, files)
    reviewer = people.reviewers[0]
    reviewer.request("POST", path(version, "/claim"))  # content in review: for assigned reviewers

    def preview(name: str, who: Any = reviewer) -> dict[str, Any]:
        answer: dict[str, Any] = who.request("GET", path(version, f"/parts/{name}/preview"))
        return answer

    first = preview("教学设计.docx")
    assert (first["kind"], first["status"], first["url"]) == ("converted", "converting", None)
    refused(lambda: reviewer.request("GET", path(version, "/parts/教学设计.docx/preview.pdf")), 409, "preview_not_ready")
    preview("课件.pptx")
    assert client.app.state.previews.wait(240), "the conversions finished"  # type: ignore[attr-defined]
    for name, text in (("教学设计.docx", "Fractions"), ("课件.pptx", "Fractions")):
        done = preview(name)
        assert done["status"] == "ready" and done["url"].endswith("/preview.pdf"), done
        pdf = client.get(done["url"], headers={"Authorization": f"Bearer {reviewer.token}"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        (tmp_path / "p.pdf").write_bytes(pdf.content)
        if shutil.which("pdftotext"):
            assert text in subprocess.run(["pdftotext", str(tmp_path / "p.pdf"), "-"], capture_output=True, text=True, check=True).stdout
        original = client.get(done["original_url"])
        assert original.status_code == 200 and original.content == files[name], "the original is kept as submitted"

    native = {name: preview(name) for name in ("学习任务单.pdf", "微课视频.mp4", "作业练习.txt")}
    assert (native["学习任务单.pdf"]["kind"], native["学习任务单.pdf"]["status"]) == ("pdf", "ready")
    assert native["学习任务单.pdf"]["url"] == native["学习任务单.pdf"]["original_url"]
    assert (native["微课视频.mp4"]["kind"], native["微课视频.mp4"]["status"]) == ("video", "ready")
    assert (native["作业练习.txt"]["kind"], native["作业练习.txt"]["status"]) == ("text", "ready")
    assert preview_kind("成绩.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "none"
    refused(lambda: reviewer.request("GET", path(version, "/parts/学习任务单.pdf/preview.pdf")), 404, "not_found")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (make run installs it as root)")
def test_a_file_libreoffice_cannot_open_is_a_failed_preview_with_the_reason(client: TestClient) -> None:
    people = set_up_people(client)
    version = submit(people)  # the lesson bundle's .docx and .pptx are zip files with no real document inside
    reviewer = people.reviewers[0]
    reviewer.request("POST", path(version, "/claim"))
    reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))
    assert client.app.state.previews.wait(240)  # type: ignore[attr-defined]
    failed = reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))
    assert failed["status"] == "failed" and "LibreOffice could not convert" in failed["message"]
    assert failed["original_url"].startswith("/ipfs/")
    again = reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))
    assert again["status"] == "failed", "a failure is remembered, not converted again and again"
    note = next(Path(client.app.state.previews.root).glob("*.failed"))  # type: ignore[attr-defined]
    old = time.time() - FAILURE_KEPT - 1
    os.utime(note, (old, old))  # an hour later the conversion is tried again
    assert reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))["status"] == "converting"
    assert client.app.state.previews.wait(240)  # type: ignore[attr-defined]
    assert reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))["status"] == "failed"


def test_previews_are_for_those_who_may_see_the_version(make_client: ClientFactory) -> None:
    client = make_client(OFFICE_CONVERTER="none")
    people = set_up_people(client)
    version = submit(people)
    stranger = new_signer()
    people.admin.request("PUT", f"/users/{stranger.address}", json={"roles": ["teacher"]})
    outsider = sign_in(client, stranger)
    refused(lambda: outsider.request("GET", path(version, "/parts/学习任务单.pdf/preview")), 403, "forbidden")
    refused(lambda: outsider.request("GET", path(version, "/parts/教学设计.docx/preview.pdf")), 403, "forbidden")
    assert client.get(path(version, "/parts/学习任务单.pdf/preview"), headers={"Authorization": ""}).status_code == 401
    reviewer = people.reviewers[0]
    # A reviewer not assigned sees the version, not its content (issue 10 item 10); claiming opens it.
    refused(lambda: reviewer.request("GET", path(version, "/parts/学习任务单.pdf/preview")), 403, "forbidden")
    reviewer.request("POST", path(version, "/claim"))
    for name in ("nope.pdf", "..%2F..%2Fetc%2Fpasswd", "%00"):
        answer = client.get(path(version, f"/parts/{name}/preview"), headers={"Authorization": f"Bearer {reviewer.token}"})
        assert answer.status_code in (404, 422) and answer.json()["error"], (name, answer.text)
    # No converter on this server: said so, the original still offered.
    none = reviewer.request("GET", path(version, "/parts/教学设计.docx/preview"))
    assert none["status"] == "unavailable" and "LibreOffice" in none["message"] and none["original_url"]
    # The author sees their own version's previews.
    assert people.teacher.request("GET", path(version, "/parts/学习任务单.pdf/preview"))["status"] == "ready"
    accepted = review_and_accept(people, submit(people))
    assert outsider.request("GET", path(accepted, "/parts/学习任务单.pdf/preview"))["status"] == "ready", "accepted versions are public"

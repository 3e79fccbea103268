"""Class rosters: a CSV or Excel file read into batch records and checked row by row before
anything is issued (duplicate student numbers, missing guardian consent under 14, bad dates); the
same checks refuse a batch sent directly; the issued batches listed; an offline bundle made by the
registry verifies."""

from __future__ import annotations

import io
import sqlite3
import uuid
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from registry.core.errors import InvalidRequestError, UnsupportedMediaTypeError
from registry.workflows.rosters import check_records, read_roster
from tests.utils.registry import new_signer, sign_in
from wallet_cli._registry import RegistryError

from .test_issuance import issuing_school, students, verify

HEADING = ["姓名", "学籍号", "出生日期", "监护人", "联系电话", "监护人同意书编号", "评价维度", "记录类型", "学期", "记录内容"]
TODAY = date.today()


BORN = date(date.today().year - 12, 3, 1)  # twelve: a guardian's consent is needed


def roster_rows(count: int, label: str) -> list[list[Any]]:
    return [
        [
            f"张{label}{i}",
            f"G1201{label}{i:04d}",
            f"{BORN.year}/3/1" if i % 2 else BORN.isoformat(),
            f"张建国{i}",
            f"1380000{i:04d}",
            f"同意书-{label}-{i}",
            "社会实践",
            "志愿服务",
            "2026-2027学年第一学期",
            f"社区服务 {i} 小时",
        ]
        for i in range(count)
    ]


def as_csv(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(HEADING), *(",".join(str(cell) for cell in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def as_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADING)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Reading files...


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_csv_roster_is_read_in_the_encodings_schools_save(encoding: str) -> None:
    roster = read_roster(as_csv(roster_rows(3, "ab"), encoding), "growth_record", max_records=100)
    assert roster.lines == [2, 3, 4]
    first = roster.records[0]
    assert first["subject"] == {
        "name": "张ab0",
        "student_number": "G1201ab0000",
        "birth_date": BORN.isoformat(),
        "guardian": "张建国0",
        "contact": "13800000000",
        "guardian_consent": "同意书-ab-0",
    }
    assert first["record"]["dimension"] == "社会实践" and roster.records[1]["subject"]["birth_date"] == BORN.isoformat()
    assert check_records("growth_record", roster.records, today=TODAY) == []


def test_an_excel_roster_keeps_numbers_and_dates_as_typed() -> None:
    rows = roster_rows(2, "cd")
    rows[0][1] = 120100001234  # a 学籍号 typed as a number: no '.0'
    rows[0][2] = BORN  # a real date cell
    rows[1][2] = f"{BORN.year}年3月1日"
    data = as_xlsx([[], *rows])  # a blank row is skipped; lines stay the sheet's row numbers
    roster = read_roster(data, "growth_record", max_records=100)
    assert roster.lines == [3, 4]
    assert roster.records[0]["subject"]["student_number"] == "120100001234"
    assert [r["subject"]["birth_date"] for r in roster.records] == [BORN.isoformat()] * 2


def test_files_that_are_not_rosters_are_refused() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        read_roster("姓名,学籍号\n张三,G1\n".encode(), "growth_record", max_records=100)
    assert caught.value.code == "missing_columns" and "出生日期" in caught.value.extra["columns"]
    with pytest.raises(UnsupportedMediaTypeError):
        read_roster(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "growth_record", max_records=100)
    for junk in (b"PK\x03\x04 not really a zip", b"\xff\xfe\x00\x00\x81\x82", b"", b"\r\n,,,\r\n"):
        with pytest.raises(InvalidRequestError) as caught:
            read_roster(junk, "growth_record", max_records=100)
        assert caught.value.code in ("unreadable_roster", "empty_roster"), junk
    with pytest.raises(InvalidRequestError) as caught:
        read_roster(as_csv(roster_rows(5, "ef")), "growth_record", max_records=4)
    assert caught.value.code == "roster_too_large"
    with pytest.raises(InvalidRequestError) as caught:
        read_roster(b"a" * (5 * 1024 * 1024 + 1), "growth_record", max_records=100)
    assert caught.value.code == "roster_too_large"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    with pytest.raises(InvalidRequestError) as caught:
        read_roster(bomb.getvalue(), "growth_record", max_records=100)
    assert caught.value.code == "unreadable_roster" and "too much" in str(caught.value)


# Checking rows...


def test_every_bad_row_is_named_and_the_good_ones_pass() -> None:
    roster = read_roster(as_csv(roster_rows(30, "gh")), "growth_record", max_records=100)
    records = roster.records
    records[7]["subject"]["student_number"] = records[3]["subject"]["student_number"].lower()  # the same 学籍号, typed lower-case
    del records[12]["subject"]["guardian_consent"]  # twelve: consent needed
    records[20]["subject"]["birth_date"] = f"{BORN.year}-02-30"
    records[21]["subject"]["birth_date"] = date(TODAY.year + 1, 1, 1).isoformat()
    records[22]["record"]["dimension"] = "打游戏"
    records[23]["subject"]["name"] = ""
    problems = check_records("growth_record", records, today=TODAY)
    found = {(p.index, p.field, p.code) for p in problems}
    assert found == {
        (7, "subject.student_number", "duplicate_number"),
        (12, "subject.guardian_consent", "guardian_consent_required"),
        (20, "subject.birth_date", "bad_date"),
        (21, "subject.birth_date", "future_date"),
        (22, "record.dimension", "not_allowed"),
        (23, "subject.name", "too_short"),
    }, problems
    older = [{**r, "subject": {k: v for k, v in r["subject"].items() if k != "guardian_consent"}} for r in records[:2]]
    assert check_records("growth_record", older, today=date(BORN.year + 14, 3, 1)) == [], "14 and over: no consent needed"
    assert [p.code for p in check_records("growth_record", [1, {"subject": {}}], today=TODAY)][:1] == ["invalid"]


# Through the API...


def vault_subjects(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "vault.sqlite3") as vault:
        return int(vault.execute("SELECT COUNT(*) FROM subjects").fetchone()[0])


def post_roster(client: TestClient, token: str | None, data: bytes, **query: str) -> Any:
    headers = {"Content-Type": "text/csv", **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.post("/credentials/rosters", content=data, headers=headers, params=query)


def test_a_roster_with_bad_rows_issues_nothing_and_the_fixed_one_issues(client: TestClient, tmp_path: Path) -> None:
    admin, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:4]
    rows = roster_rows(30, label)
    rows[9][1] = rows[4][1]  # duplicate 学籍号
    rows[17][5] = ""  # no guardian consent, under 14
    before = vault_subjects(tmp_path)
    answer = post_roster(client, issuer.token, as_csv(rows))
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert len(preview["records"]) == 30
    assert {(p["line"], p["code"]) for p in preview["problems"]} == {(11, "duplicate_number"), (19, "guardian_consent_required")}
    with pytest.raises(RegistryError) as caught:  # sent anyway: the same rules refuse it, all rows named
        issuer.request("POST", "/credentials/batches", json={"batch": f"r-{label}", "kind": "growth_record", "records": preview["records"]})
    assert caught.value.status == 422
    assert issuer.request("GET", "/credentials/batches")["count"] == 0 and vault_subjects(tmp_path) == before, "nothing issued or kept"
    checked = issuer.request("POST", "/credentials/batches/check", json={"kind": "growth_record", "records": preview["records"]})
    assert [(p["index"], p["code"]) for p in checked] == [(9, "duplicate_number"), (17, "guardian_consent_required")]

    rows[9][1], rows[17][5] = f"G1201{label}9999", "同意书-补"
    fixed = post_roster(client, issuer.token, as_xlsx(rows)).json()
    assert fixed["problems"] == []
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"r-{label}", "kind": "growth_record", "records": fixed["records"]}
    )
    assert batch["completed"] and batch["count"] == 30
    listed = issuer.request("GET", "/credentials/batches")
    assert listed["count"] == 1 and listed["data"][0]["batch"] == f"r-{label}" and listed["data"][0]["statuses"] == {"active": 30}
    issuer.request("POST", f"/credentials/{batch['credentials'][0]['id']}/status", json={"action": "suspend", "reason": "核对中"})
    assert issuer.request("GET", "/credentials/batches")["data"][0]["statuses"] == {"active": 29, "suspended": 1}
    with pytest.raises(RegistryError) as caught:  # refused: its reason is not kept either
        issuer.request("POST", f"/credentials/{batch['credentials'][2]['id']}/status", json={"action": "unsuspend", "reason": "误操作"})
    assert caught.value.code == "not_suspended"
    kept = issuer.request("GET", f"/credentials/batches/r-{label}")["credentials"]
    assert kept[0]["status_reason"] == "核对中" and kept[2]["status_reason"] is None
    assert issuer.request("GET", f"/credentials/{batch['credentials'][2]['id']}")["status_reason"] is None
    who = issuer.request("GET", f"/credentials/batches/r-{label}/subjects")
    assert [(w["credential_id"], w["subject_id"], w["name"], w["number"]) for w in who] == [
        (c["id"], c["subject_id"], row[0], row[1]) for c, row in zip(batch["credentials"], rows, strict=True)
    ], "the batch's order"
    issuer.request("DELETE", f"/subjects/{who[1]['subject_id']}")
    after = issuer.request("GET", f"/credentials/batches/r-{label}/subjects")[1]
    assert after["credential_id"] == who[1]["credential_id"] and after["erased"] and after["name"] is None and after["number"] is None
    _, stranger, _ = issuing_school(client)
    with pytest.raises(RegistryError) as caught:
        stranger.request("GET", f"/credentials/batches/r-{label}/subjects")
    assert caught.value.status == 404, "another school's issuer learns nothing"

    # Only issuers read rosters; a teacher is refused, an anonymous caller too.
    teacher = new_signer()
    admin.request("PUT", f"/users/{teacher.address}", json={"roles": ["teacher"]})
    assert post_roster(client, sign_in(client, teacher).token, as_csv(rows)).status_code == 403
    assert post_roster(client, None, as_csv(rows)).status_code == 401
    for data, status, code in [
        (b"\xd0\xcf\x11\xe0" + b"\0" * 50, 415, "unsupported_media_type"),
        ("姓名\n张三\n".encode(), 422, "missing_columns"),
        (b"x" * (5 * 1024 * 1024 + 10), 422, "roster_too_large"),
    ]:
        refused = post_roster(client, issuer.token, data)
        assert (refused.status_code, refused.json()["error"]) == (status, code), refused.text
    assert post_roster(client, issuer.token, as_csv(rows), kind="diploma").status_code == 422


def test_an_offline_bundle_is_made_for_a_holder(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": students(2, label=label)}
    )
    document = batch["credentials"][0]["document"]
    answer = client.post("/verify/bundles", json={"credential": document})  # anyone holding the credential: no sign-in
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    assert bundle["type"] == "EduLedgerVerificationBundle" and bundle["credential"] == document and bundle["statusLists"]
    assert verify(client, bundle)["outcome"] == "valid"
    unanchored = {**document, "proof": [p for p in document["proof"] if p.get("type") != "EduLedgerMerkleAnchor"]}
    anchor = next(p for p in document["proof"] if p.get("type") == "EduLedgerMerkleAnchor")
    others = [p for p in document["proof"] if p is not anchor]
    broken = [
        {**document, "proof": proof}
        for proof in (
            "x",
            [1],
            [*others, {**anchor, "merkleRoot": 5}],
            [*others, {**anchor, "merkleRoot": "0x" + "zz" * 32}],
            [*others, {**anchor, "merkleRoot": "0x" + "11" * 32}],
        )
    ]
    broken += [
        {**document, "credentialStatus": status}
        for status in (
            "x",
            [1],
            {"statusListCredential": 5},
            {**document["credentialStatus"], "statusListCredential": "http://elsewhere/l"},
        )
    ]
    for body in (
        {"credential": unanchored},
        {"credential": {"type": "VerifiableCredential"}},
        {"credential": "x"},
        {},
        *({"credential": credential} for credential in broken),
    ):
        refused = client.post("/verify/bundles", json=body)
        assert refused.status_code == 422 and refused.json()["error"] in ("not_bundled", "invalid_request"), refused.text


def test_a_professional_development_roster_is_read_and_checked_alike() -> None:
    heading = "姓名,工号,出生日期,联系电话,培训项目,培训类别,学时,学分,培训时间,培训机构\r\n"
    rows = [
        "赵老师,T0001,1985/3/2,13900000001,单元整体教学设计,集中培训,24,1.5,2026年秋季,天津师范大学",
        "钱老师,T0001,1986-04-05,,单元整体教学设计,集中培训,24,1.5,2026年秋季,",
        "孙老师,T0003,1987-05-06,,单元整体教学设计,打游戏,-2,1,2026年秋季,",
        "李老师,T0004,1987-05-06,,单元整体教学设计,集中培训,二十,1,2026年秋季,",
    ]
    roster = read_roster((heading + "\r\n".join(rows) + "\r\n").encode("gb18030"), "professional_development", max_records=100)
    assert roster.records[0] == {
        "subject": {"name": "赵老师", "staff_number": "T0001", "birth_date": "1985-03-02", "contact": "13900000001"},
        "record": {
            "training": "单元整体教学设计",
            "category": "集中培训",
            "hours": "24",
            "credits": "1.5",
            "period": "2026年秋季",
            "provider": "天津师范大学",
        },
    }
    found = {(p.index, p.field, p.code) for p in check_records("professional_development", roster.records, today=TODAY)}
    assert found == {
        (1, "subject.staff_number", "duplicate_number"),
        (2, "record.category", "not_allowed"),
        (2, "record.hours", "out_of_range"),
        (3, "record.hours", "not_a_number"),
    }
    with pytest.raises(InvalidRequestError) as caught:  # a growth-record roster is not a teachers' one
        read_roster(as_csv(roster_rows(2, "pd")), "professional_development", max_records=100)
    assert caught.value.code == "missing_columns"

"""A school issues through the web application and a parent opens the record: a 30-student roster
with two bad rows is shown row by row and nothing is issued; the fixed Excel file is issued with
progress; a record is suspended and another revoked with a reason; a student's personal data are
read and erased after a confirmation; the parent opens the school's link on a phone, sees it in
Chinese and valid, prints it as a PDF, makes an offline bundle and a presentation that verify.
axe runs on every page; screenshots are taken of each (when $EDULEDGER_SCREENSHOTS is set)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.registry.test_rosters import as_csv, as_xlsx, roster_rows
from tests.utils.registry import drain, new_signer, sign_in
from wallet_cli._registry import RegistryError

from .conftest import PHONE, World, write_keystore

pytestmark = pytest.mark.anvil


def accessible(world: World, page: Any, name: str) -> None:
    page.wait_for_load_state("networkidle")
    violations = world.axe(page)
    assert violations == [], f"{name}: {violations}"
    world.shoot(page, name)


def issuing_clerk(world: World, label: str) -> tuple[Any, Path, dict[str, Any]]:
    admin = world.people.admin
    school = admin.request("POST", "/institutions", json={"name": f"滨海新区第{label}中学", "kind": "school"})
    admin.request("POST", f"/institutions/{school['id']}/issuer")
    drain(world.app)
    clerk = new_signer()
    admin.request("PUT", f"/users/{clerk.address}", json={"institution_id": school["id"], "roles": ["issuer"]})
    admin.request("PUT", f"/users/{clerk.address}/profile", json={"display_name": "刘晓燕", "title": "教务处"})
    return sign_in(world.http, clerk), write_keystore(world.keystores / f"clerk-{label}.json", clerk), school


def credential_card(page: Any, index: int) -> Any:
    return page.locator("[data-testid=issued-credentials] > li").nth(index)


def change_status(page: Any, index: int, action: str, confirm: str, reason: str, *, world: World | None = None) -> None:
    credential_card(page, index).get_by_role("button", name=action, exact=True).click()
    dialog = page.get_by_role("dialog", name=action)
    dialog.get_by_role("button", name=confirm).wait_for()
    if world is not None:
        page.wait_for_selector(".dialog-fade-enter-active", state="detached")  # axe measures contrast after the fade-in
        accessible(world, page, "issuer-status-dialog")
    dialog.get_by_role("button", name=confirm).click()
    assert "请填写原因" in dialog.inner_text(), "a reason is required"
    page.fill("#status-reason", reason)
    dialog.get_by_role("button", name=confirm).click()
    dialog.wait_for(state="hidden")


def test_a_school_imports_a_roster_with_two_bad_rows_fixes_it_and_issues_and_a_parent_opens_a_record(world: World, tmp_path: Path) -> None:
    label = uuid.uuid4().hex[:4]
    clerk, keystore, school = issuing_clerk(world, label)
    page = world.page()
    world.sign_in(page, keystore)
    page.get_by_role("navigation").get_by_role("link", name="导入花名册").click()
    page.wait_for_selector("#roster-file")
    accessible(world, page, "issuer-import")

    # The roster as a class teacher sends it: 30 students, one 学籍号 twice, one twelve-year-old without consent.
    rows = roster_rows(30, label)
    rows[9][1] = rows[4][1]
    rows[17][5] = ""
    bad = tmp_path / "七年级1班.csv"
    bad.write_bytes(as_csv(rows))
    page.set_input_files("#roster-file", str(bad))
    page.wait_for_selector("[data-testid=roster-summary]")
    assert "共 30 行，其中 2 行有问题" in page.inner_text("[data-testid=roster-summary]")
    shown = page.locator("[data-testid=roster-preview] tbody tr.bad")
    assert shown.count() == 2 and page.locator("[data-testid=roster-preview] tbody tr").count() == 2, "only the rows with problems"
    assert "学籍号：与第 6 行重复" in page.inner_text("tr[data-line='11']")
    assert "未满 14 周岁，需填写监护人同意书编号" in page.inner_text("tr[data-line='19']")
    assert page.is_disabled("[data-testid=issue-button]")
    accessible(world, page, "issuer-import-errors")
    page.get_by_label("只显示有问题的行").uncheck()
    assert page.locator("[data-testid=roster-preview] tbody tr").count() == 30
    assert clerk.request("GET", "/credentials/batches")["count"] == 0, "nothing issued"

    # Fixed in Excel and imported again: every row passes; issued with progress.
    rows[9][1], rows[17][5] = f"G1201{label}9999", "同意书-补签"
    fixed = tmp_path / "七年级1班.xlsx"
    fixed.write_bytes(as_xlsx(rows))
    page.set_input_files("#roster-file", str(fixed))
    page.wait_for_selector("[data-testid=roster-summary].no-errors")
    assert "共 30 行，全部检查通过" in page.inner_text("[data-testid=roster-summary]")
    page.click("[data-testid=issue-button]")
    page.wait_for_selector("[data-testid=issue-done]", timeout=120_000)
    assert "已颁发 30 条记录" in page.inner_text("[data-testid=issue-done]")
    assert page.locator("[data-testid=issue-button]").count() == 0, "issued once: no button issues it again"
    world.shoot(page, "issuer-import-done")
    listed = clerk.request("GET", "/credentials/batches")
    assert listed["count"] == 1 and listed["data"][0]["statuses"] == {"active": 30}

    page.get_by_role("link", name="查看本批记录").click()
    page.wait_for_selector("[data-testid=issued-credentials]")
    assert page.locator("[data-testid=issued-credentials] > li").count() == 30
    accessible(world, page, "issuer-batch")
    change_status(page, 0, "暂停", "确认暂停", "核对学籍信息", world=world)
    assert credential_card(page, 0).locator("[data-testid=credential-status]").inner_text() == "已暂停"
    assert "原因：核对学籍信息" in credential_card(page, 0).locator("[data-testid=status-reason]").inner_text()
    change_status(page, 1, "撤销", "确认撤销", "记录录入错误")
    assert credential_card(page, 1).locator("[data-testid=credential-status]").inner_text() == "已撤销"
    assert credential_card(page, 1).get_by_role("button", name="撤销", exact=True).count() == 0, "a revocation is final"
    batch = clerk.request("GET", f"/credentials/batches/{listed['data'][0]['batch']}")
    assert [c["status"] for c in batch["credentials"][:3]] == ["suspended", "revoked", "active"]
    assert [c["status_reason"] for c in batch["credentials"][:3]] == ["核对学籍信息", "记录录入错误", None]

    # The third student's personal data: read on purpose, erased after a confirmation.
    credential_card(page, 2).get_by_role("button", name="个人信息").click()
    dialog = page.locator("[data-testid=subject-dialog]")
    dialog.get_by_text(f"张{label}2", exact=True).wait_for()
    assert rows[2][1] in dialog.inner_text()
    page.wait_for_selector(".dialog-fade-enter-active", state="detached")  # axe measures contrast after the fade-in
    accessible(world, page, "issuer-subject")
    assert page.get_by_role("button", name="永久删除").is_disabled()
    page.get_by_label("我已确认要永久删除这名学生的个人信息").check()
    page.get_by_role("button", name="永久删除").click()
    dialog.get_by_text("这名学生的个人信息已删除").wait_for()
    with pytest.raises(RegistryError) as caught:
        clerk.request("GET", f"/subjects/{batch['credentials'][2]['subject_id']}")
    assert caught.value.status == 410
    page.keyboard.press("Escape")
    assert credential_card(page, 2).locator("h3").inner_text() == "3. （个人信息已删除）"
    assert credential_card(page, 5).locator("h3").inner_text() == f"6. 张{label}5 {rows[5][1]}", "found by name, not by pseudonym"
    page.get_by_placeholder("按姓名或学籍号查找").fill(rows[7][1].lower())
    assert page.locator("[data-testid=issued-credentials] > li").count() == 1 and f"张{label}7" in credential_card(page, 0).inner_text()
    page.get_by_placeholder("按姓名或学籍号查找").fill("")

    page.get_by_role("navigation").get_by_role("link", name="已颁发记录").click()
    page.wait_for_selector("[data-testid=batches]")
    batches = page.inner_text("[data-testid=batches]")
    assert "30 条" in batches and "有效 28" in batches and "已暂停 1" in batches and "已撤销 1" in batches
    accessible(world, page, "issuer-batches")

    # The parent link of the fourth record, as the school sends it.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=world.base)
    page.go_back()
    page.wait_for_selector("[data-testid=issued-credentials]")
    credential_card(page, 3).get_by_role("button", name="复制家长链接").click()
    page.get_by_text("家长链接已复制").wait_for()
    link = page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(f"{world.base}/app/student/credential#c=")
    parent = world.page(PHONE)
    parent.goto(link)
    parent.wait_for_selector("[data-testid=record-status][data-status=valid]")
    record = parent.inner_text("[data-testid=held-credential]")
    for expected in (school["name"], "社会实践", "志愿服务", "2026-2027学年第一学期", "社区服务 3 小时", "有效"):
        assert expected in record, expected
    assert f"张{label}3" not in parent.inner_text("body") and rows[3][1] not in parent.inner_text("body"), "no name, no 学籍号"
    assert parent.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling at 390 px"
    accessible(world, parent, "student-credential")

    # A PDF as the browser prints it (the button opens the print dialog; headless Chromium prints here):
    # the record without the site's navigation or buttons.
    assert parent.is_visible("[data-testid=print-pdf]")
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(parent.pdf(format="A4"))
    if world.shots is not None:
        shutil.copy(pdf, world.shots / "student-credential.pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert school["name"] in text and "社区服务 3 小时" in text and "下载 PDF" not in text and "我的成长记录" not in text, text

    with parent.expect_download() as download:
        parent.click("[data-testid=make-bundle]")
    bundle = json.loads(Path(download.value.path()).read_text())
    assert bundle["type"] == "EduLedgerVerificationBundle"
    assert world.http.post("/verify", json={"credential": bundle}).json()["outcome"] == "valid"

    # The suspended record, opened from its file: shown as suspended; the presentation holds what is chosen.
    suspended = tmp_path / "suspended.json"
    suspended.write_text(json.dumps(batch["credentials"][0]["document"], ensure_ascii=False))
    parent.set_input_files("#student-file", str(suspended))
    parent.wait_for_selector("[data-testid=record-status][data-status=suspended]")
    assert "已暂停" in parent.locator("[data-testid=held-credential]").nth(1).inner_text()
    parent.locator("[data-testid=held-credential]").nth(1).get_by_label("加入出示材料").uncheck()
    with parent.expect_download() as download:
        parent.click("[data-testid=make-presentation]")
    presentation = json.loads(Path(download.value.path()).read_text())
    assert presentation["type"] == ["VerifiablePresentation"] and len(presentation["verifiableCredential"]) == 1
    assert presentation["verifiableCredential"][0]["id"] == batch["credentials"][3]["id"]
    world.shoot(parent, "student-credential-two")

    # A damaged link and a file that is not a credential: plain messages, nothing shown.
    damaged = world.page(PHONE)
    damaged.goto(link[: len(link) - 40])
    damaged.wait_for_selector("[data-testid=student-problem]")
    assert "链接不完整或已损坏" in damaged.inner_text("[data-testid=student-problem]")
    junk = tmp_path / "photo.json"
    junk.write_text("not json")
    damaged.set_input_files("#student-file", str(junk))
    damaged.get_by_text("不是 JSON 格式").wait_for()
    assert damaged.locator("[data-testid=held-credential]").count() == 0
    assert page.errors == [] and parent.errors == [] and damaged.errors == [], (page.errors, parent.errors, damaged.errors)


def test_an_issue_whose_answer_is_lost_is_retried_and_issued_once(world: World, tmp_path: Path) -> None:
    label = uuid.uuid4().hex[:4]
    clerk, keystore, _ = issuing_clerk(world, label)
    proxied = f"http://127.0.0.1:{world.proxy.port}"
    page = world.page()
    world.sign_in(page, keystore, base=proxied)
    page.goto(f"{proxied}/app/issuer/import")
    roster = tmp_path / "八年级2班.csv"
    roster.write_bytes(as_csv(roster_rows(5, label)))
    page.set_input_files("#roster-file", str(roster))
    page.wait_for_selector("[data-testid=roster-summary].no-errors")
    before = world.proxy.lost
    world.proxy.lose_next = b"HTTP/1.1 201"  # the registry issues the batch; its answer never arrives
    page.click("[data-testid=issue-button]")
    lost = page.get_by_text("网络中断，记录可能已经颁发")
    lost.or_(page.locator("[data-testid=issue-done]")).wait_for(timeout=120_000)
    assert world.proxy.lost == before + 1
    world.proxy.lost = before  # the proxy is the session's: other journeys count their own losses
    # Chromium may send the request again by itself on the reset connection (the same batch key: the same
    # batch); otherwise the page says so and its retry sends it again.
    if lost.is_visible():
        page.get_by_role("button", name="重试").click()
    page.wait_for_selector("[data-testid=issue-done]", timeout=120_000)
    assert "已颁发 5 条记录" in page.inner_text("[data-testid=issue-done]")
    listed = clerk.request("GET", "/credentials/batches")
    assert listed["count"] == 1 and listed["data"][0]["count"] == 5, "the retry finished the same batch: issued once"

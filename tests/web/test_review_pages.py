"""The reviewer's and the bureau administrator's pages in Chromium: two reviewers score a resource
(one with the mouse on a desktop, one with the keyboard alone on a phone) and an administrator
accepts it; previews of PDF and of Word/PowerPoint converted by LibreOffice; the veto; near-duplicates
side by side; blind review; 出库 with a reason code; institutions, accounts, issuers, the catalogue.
Every page is checked by axe-core and photographed at desktop and phone width."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.utils.office import real_docx, real_pptx
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, new_signer

from .conftest import PHONE, World, write_keystore

pytestmark = pytest.mark.anvil

GOOD = {"思想性": 2, "科学性": 3, "规范性": 3, "技术性": 3, "适用性": 2}  # in the rubric's order: the keyboard walks the form


def keystore_of(world: World, client: Any, label: str) -> Path:
    return write_keystore(world.keystores / f"{label}.json", client.signer)


def submit(world: World, title: str, *, office: bool = False) -> dict[str, Any]:
    teacher = world.people.teacher
    files = lesson_bundle(f"review-page-{uuid.uuid4()}")
    if office:
        files["教学设计.docx"] = real_docx(f"{title} 教学设计", "教学目标：认识几分之一 Fractions")
        files["课件.pptx"] = real_pptx()
    answer: dict[str, Any] = teacher.submit(files, lesson_metadata(teacher.signer.address, files, title=title))
    return answer


def no_violations(world: World, page: Any, name: str) -> None:
    page.wait_for_load_state("networkidle")
    # A dialog fading in or out is half transparent: axe would judge its colours mid-animation.
    from playwright.sync_api import expect

    expect(page.locator(".dialog-fade-enter-active, .dialog-fade-leave-active")).to_have_count(0)
    violations = world.axe(page)
    assert violations == [], f"{name}: {violations}"
    world.shoot(page, name)


def open_queue(page: Any) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评审任务").click()
    page.wait_for_selector("[data-testid=open]", state="attached")


def wait_for_previews(page: Any, *, office: bool) -> None:
    page.wait_for_selector("[data-part='学习任务单.pdf'] [data-testid=pdf-pages][data-pages='1'] canvas")
    if office:
        for name in ("教学设计.docx", "课件.pptx"):  # converted by LibreOffice in the background; the page asks again
            page.wait_for_selector(f"[data-part='{name}'][data-status=ready] [data-testid=pdf-pages][data-pages='1']", timeout=180_000)


def score_with_the_mouse(page: Any, comment: str) -> None:
    rubric = page.locator("[data-testid=rubric]")
    rubric.get_by_label("通过", exact=True).check()
    for dimension, score in GOOD.items():
        rubric.locator(f"[data-dimension='{dimension}']").get_by_label(f"{score} 分").check()
    rubric.locator("[data-dimension='适用性'] textarea").fill(comment)
    rubric.get_by_label("同意收录").check()
    rubric.get_by_role("button", name="提交评审").click()


def tab_to(page: Any, check: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(check):
            return
    raise AssertionError(f"Tab never reached {check}")


def score_with_the_keyboard(page: Any) -> None:
    """The rubric from the keyboard alone: a radio group is one Tab stop, arrows choose within it."""
    tab_to(page, "document.activeElement.name === 'orientation'")
    page.keyboard.press("Space")  # the first choice: 通过
    for score in GOOD.values():
        tab_to(page, "document.activeElement.type === 'radio' && document.activeElement.name.startsWith('score-')", limit=3)
        page.keyboard.press("Space")  # 0 分
        for _ in range(score):
            page.keyboard.press("ArrowRight")
    tab_to(page, "document.activeElement.name === 'recommendation'", limit=4)
    page.keyboard.press("Space")  # 同意收录
    tab_to(page, "document.activeElement.type === 'submit'", limit=2)
    page.keyboard.press("Enter")


def test_two_reviewers_score_and_an_administrator_accepts_through_the_pages(world: World) -> None:
    office = shutil.which("soffice") is not None
    title = f"分数的初步认识（网页评审 {uuid.uuid4().hex[:6]}）"
    version = submit(world, title, office=office)
    first, second = world.people.reviewers

    # The first reviewer, on a desktop: the queue, a claim, the previews, the rubric with the mouse.
    page = world.page()
    world.sign_in(page, keystore_of(world, first, "reviewer-one"))
    assert page.url.endswith("/app/review/queue"), "a reviewer lands on the queue"
    page.get_by_role("button", name=f"认领评审：{title}").click()
    page.wait_for_url(re.compile(rf"/app/review/resources/{version['resource_id']}/versions/1$"))
    wait_for_previews(page, office=office)
    assert page.get_by_role("img", name=re.compile(r"学习任务单\.pdf（学习任务单） 第 1 页")).count() == 1
    assert page.locator("[data-part='微课视频.mp4'] video").count() == 1
    assert "作业练习：1. 涂色表示分数。" in page.locator("[data-part='作业练习.txt'] pre").inner_text()
    assert page.get_attribute("[data-part='学习任务单.pdf'] a", "href").startswith("/ipfs/")
    no_violations(world, page, "review-version-rubric")
    score_with_the_mouse(page, "分层练习可再丰富。")
    page.wait_for_selector("[data-testid=reviews]")
    assert "分层练习可再丰富。" in page.inner_text("[data-testid=reviews]")
    assert page.locator("[data-testid=rubric]").count() == 0, "a review is final: no form any more"
    assert not page.errors, page.errors  # type: ignore[attr-defined]

    # The second reviewer, on a phone, with the keyboard alone.
    phone = world.page(PHONE)
    world.sign_in(phone, keystore_of(world, second, "reviewer-two"))
    phone.wait_for_selector("[data-testid=open]")
    tab_to(phone, f"document.activeElement.getAttribute('aria-label') === {json.dumps('认领评审：' + title)}")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/versions/1$"))
    phone.wait_for_selector("[data-testid=rubric]")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no horizontal scrolling on a phone"
    score_with_the_keyboard(phone)
    phone.wait_for_selector("[data-testid=reviews]")

    reviews = world.people.admin.request("GET", f"/resources/{version['resource_id']}/versions/1/reviews")
    assert sorted(r["reviewer"] for r in reviews) == sorted([first.signer.address, second.signer.address])
    assert all(r["scores"] == GOOD and r["orientation_pass"] and r["recommendation"] == "accept" for r in reviews), reviews
    assert any(r["comments"] == {"适用性": "分层练习可再丰富。"} for r in reviews)

    # The administrator: the decisions list, the version, 同意收录.
    admin = world.page()
    world.sign_in(admin, keystore_of(world, world.people.admin, "bureau-admin"))
    assert admin.url.endswith("/app/admin/decisions")
    item = admin.locator(f"[data-testid=decisions] li[data-resource='{version['resource_id']}']")
    assert "可以决定" in item.inner_text() and "评审 2 / 2 份" in item.inner_text() and "平均 13 分" in item.inner_text()
    no_violations(world, admin, "admin-decisions")
    item.get_by_role("link", name=title).click()
    admin.wait_for_selector("[data-testid=decision]")
    assert "分层练习可再丰富。" in admin.inner_text("[data-testid=reviews]")
    no_violations(world, admin, "admin-decision")
    admin.get_by_label("同意收录（入库并颁发收录证书）").check()
    admin.fill("#decision-reason", "两位评审专家均同意收录。")
    admin.get_by_role("button", name="提交决定").click()
    admin.wait_for_selector("[data-state=ACCEPTED]")
    drain(world.app)
    accepted = world.people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")
    assert accepted["state"] == "ACCEPTED" and accepted["certificates"][0]["kind"] == "inclusion"
    history = world.people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1/history")
    decision = next(e for e in history["events"] if e["action"] == "accept")
    assert decision["actor"] == world.people.admin.signer.address and decision["reason"] == "两位评审专家均同意收录。"
    assert not admin.errors and not phone.errors, (admin.errors, phone.errors)  # type: ignore[attr-defined]


def test_a_veto_keeps_accept_closed_and_duplicates_are_compared_side_by_side(world: World) -> None:
    teacher = world.people.teacher
    text = ("认识分数（几分之一）教学设计：创设分月饼的情境，用折纸表示二分之一、四分之一。" * 12 + uuid.uuid4().hex).encode()
    meta = {"resource_type": "教学设计", "parts": [{"name": "教学设计.txt", "role": "教学设计"}]}
    first_files = {"教学设计.txt": text}
    teacher.submit(first_files, lesson_metadata(teacher.signer.address, first_files, title="原教学设计", **meta))
    copy_files = {"教学设计.txt": text + "五、布置作业。".encode()}
    copy = teacher.submit(copy_files, lesson_metadata(teacher.signer.address, copy_files, title="改动很少的教学设计", **meta))
    assert copy["near_duplicates"], "flagged by the registry"
    path = f"/resources/{copy['resource_id']}/versions/1"
    vetoing, other = world.people.reviewers
    vetoing.request("POST", path + "/claim")
    vetoing.request(
        "POST",
        path + "/reviews",
        json={"orientation_pass": False, "scores": GOOD, "recommendation": "decline", "comments": {"政治性/导向性": "存在导向问题。"}},
    )
    other.request("POST", path + "/claim")
    other.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})

    page = world.page()
    world.sign_in(page, keystore_of(world, world.people.admin, "admin-veto"))
    item = page.locator(f"[data-testid=decisions] li[data-resource='{copy['resource_id']}']")
    assert "一票否决" in item.inner_text()
    page.goto(f"{world.base}/app/review/resources/{copy['resource_id']}/versions/1")
    page.wait_for_selector("[data-testid=decision]")
    assert "一票否决" in page.inner_text("[data-testid=veto]")
    assert page.get_by_label("同意收录（入库并颁发收录证书）").is_disabled()
    assert page.get_by_label("不予收录").is_enabled()
    hit = page.locator("[data-testid=duplicates] li").first
    assert "原教学设计" in hit.inner_text()
    hit.get_by_role("button", name="并排对比").click()
    sides = page.locator("[data-testid=side-by-side] figure")
    sides.nth(1).wait_for()
    assert sides.count() == 2 and "原教学设计" in page.inner_text("[data-testid=side-by-side]")
    sides.nth(1).locator("pre", has_text="用折纸表示二分之一").wait_for()
    assert "五、布置作业。" in sides.nth(0).locator("pre").inner_text() and "五、布置作业。" not in sides.nth(1).locator("pre").inner_text()
    no_violations(world, page, "admin-decision-veto-duplicates")


def test_blind_review_hides_the_author_in_the_page(world: World) -> None:
    teacher = world.people.teacher
    teacher.request("PUT", "/users/me/profile", json={"display_name": "匿名测试老师", "name_public": True})
    title = f"匿名评审的课例 {uuid.uuid4().hex[:6]}"
    version = submit(world, title)
    settings = world.app.state.settings
    settings.BLIND_REVIEW = True
    try:
        page = world.page()
        world.sign_in(page, keystore_of(world, world.people.reviewers[0], "blind-reviewer"))
        page.goto(f"{world.base}/app/review/resources/{version['resource_id']}/versions/1")
        page.wait_for_selector("[data-testid=authors-hidden]")
        main = page.inner_text("main")
        assert "匿名评审：作者信息已隐藏" in main
        assert "匿名测试老师" not in main and teacher.signer.address not in page.content()
    finally:
        settings.BLIND_REVIEW = False
        teacher.request("PUT", "/users/me/profile", json={"name_public": False})


def test_withdrawal_with_a_reason_code_through_the_page(world: World) -> None:
    from tests.utils.registry import review_and_accept

    title = f"将要出库的资源 {uuid.uuid4().hex[:6]}"
    version = review_and_accept(world.people, submit(world, title))
    page = world.page()
    world.sign_in(page, keystore_of(world, world.people.admin, "admin-withdraw"))
    page.get_by_role("navigation", name="管理", exact=True).get_by_role("link", name="出库管理").click()
    row = page.locator(f"[data-testid=withdrawals] li[data-resource='{version['resource_id']}']")
    row.get_by_role("button", name=f"出库：{title}").click()
    form = page.locator("[data-testid=withdrawal-form]")
    form.get_by_role("button", name="确认出库").click()
    assert "请选择出库原因" in form.get_by_role("alert").inner_text(), "no reason code: nothing sent"
    assert world.people.admin.request("GET", f"/resources/{version['resource_id']}/versions/1")["state"] == "ACCEPTED"
    options = page.eval_on_selector_all("#withdrawal-code option", "o => o.map(e => e.textContent.trim())")
    assert options[1:] == ["作者申请撤回", "侵权", "内容问题", "内容过时", "未入选"]
    no_violations(world, page, "admin-withdrawal-dialog")
    page.select_option("#withdrawal-code", "infringement")
    page.fill("#withdrawal-reason", "经核实存在侵权。")
    form.get_by_role("button", name="确认出库").click()
    row.wait_for(state="detached")
    withdrawn = world.people.admin.request("GET", f"/resources/{version['resource_id']}/versions/1/history")["events"][-1]
    assert (withdrawn["action"], withdrawn["reason_code"], withdrawn["reason"]) == ("withdraw", "infringement", "经核实存在侵权。")
    page.select_option("#withdrawal-state", "WITHDRAWN")
    page.wait_for_selector(f"[data-testid=withdrawals] li[data-resource='{version['resource_id']}']")
    no_violations(world, page, "admin-withdrawals")


def test_institutions_accounts_issuers_and_the_catalogue(world: World, tmp_path: Path) -> None:
    page = world.page()
    world.sign_in(page, keystore_of(world, world.people.admin, "admin-desk"))
    nav = page.get_by_role("navigation", name="管理", exact=True)

    # Institutions: the tree, and a new school registered on chain.
    nav.get_by_role("link", name="机构", exact=True).click()
    page.wait_for_selector("[data-testid=institution-tree] [data-institution='滨海新区实验小学']")
    school = f"滨海新区第{uuid.uuid4().hex[:4]}小学"
    page.fill("#institution-name", school)
    page.get_by_role("button", name="登记机构").click()
    added = page.locator(f"[data-institution='{school}']")
    added.wait_for()
    assert added.locator("[data-chain]").get_attribute("data-chain") in ("pending", "mined")
    drain(world.app)
    page.reload()
    page.wait_for_selector(f"[data-institution='{school}'] [data-chain=mined]")
    no_violations(world, page, "admin-institutions")

    # Accounts: a new reviewer, pending on chain, then mined.
    nav.get_by_role("link", name="用户与角色").click()
    page.wait_for_selector("[data-testid=users] li")
    reviewer = new_signer()
    page.fill("#user-address", "0x1234")
    page.get_by_role("button", name="保存").click()
    assert "正确的账户地址" in page.get_by_role("alert").inner_text()
    page.fill("#user-address", reviewer.address)
    page.select_option("#user-institution", label=school)
    page.get_by_label("评审专家（教研员）").check()
    page.fill("#user-name", "钱教研")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("[role=status]")
    row = page.locator(f"[data-testid=users] li[data-address='{reviewer.address}']")
    assert "钱教研" in row.inner_text() and school in row.inner_text()
    assert row.locator("[data-testid=reviewer-grant]").get_attribute("data-status") in ("pending", "mined")
    drain(world.app)
    page.reload()
    page.wait_for_selector(f"[data-address='{reviewer.address}'] [data-testid=reviewer-grant][data-status=mined]")
    assert "评审专家（教研员）" in page.locator(f"[data-address='{reviewer.address}']").inner_text()
    no_violations(world, page, "admin-users")

    # Issuers: the new school set up for issuing, its keys shown.
    nav.get_by_role("link", name="颁发机构").click()
    page.get_by_role("button", name=f"将 {school} 设为颁发机构").click()
    card = page.locator(f"[data-testid=issuers] [data-institution='{school}']")
    card.locator("code").first.wait_for()
    assert "did:key:" in card.inner_text()
    no_violations(world, page, "admin-issuers")

    # The catalogue: a file that is not JSON is refused in the page; a real one is shown, then loaded.
    nav.get_by_role("link", name="资源目录").click()
    page.wait_for_selector("[data-testid=catalogue-current]")
    (tmp_path / "目录.json").write_text("学段,学科\n小学,数学")
    page.set_input_files("#catalogue-file", str(tmp_path / "目录.json"))
    assert "不是 JSON 格式" in page.get_by_role("alert").inner_text()
    taxonomy = {
        "name": "补充目录",
        "children": [
            {
                "key": "primary",
                "name": "小学",
                "level": "stage",
                "children": [{"key": "science", "name": "科学", "level": "subject", "children": []}],
            }
        ],
    }
    (tmp_path / "补充.json").write_text(json.dumps(taxonomy, ensure_ascii=False))
    page.set_input_files("#catalogue-file", str(tmp_path / "补充.json"))
    assert "补充目录" in page.inner_text("[data-testid=catalogue-preview]")
    no_violations(world, page, "admin-catalogue")
    page.get_by_role("button", name="确认导入").click()
    assert "新增 1 个" in page.wait_for_selector("[data-testid=catalogue-result]").inner_text()
    assert any(node["name"] == "科学" for stage in world.http.get("/catalogue").json() for node in stage["children"])
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_the_review_queue_is_accessible_on_a_phone(world: World) -> None:
    submit(world, f"手机上的评审任务 {uuid.uuid4().hex[:6]}")
    page = world.page(PHONE)
    world.sign_in(page, keystore_of(world, world.people.reviewers[1], "queue-phone"))
    page.wait_for_selector("[data-testid=open] li")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    no_violations(world, page, "review-queue")


def test_an_administrator_assigns_reviewers_and_overrides_a_same_school_conflict_with_a_reason(world: World) -> None:
    people = world.people
    colleague = new_signer()  # a reviewer from the author's own school (利益回避)
    people.admin.request("PUT", f"/users/{colleague.address}", json={"institution_id": people.school_id, "roles": ["reviewer"]})
    people.admin.request("PUT", f"/users/{colleague.address}/profile", json={"display_name": "孙同校"})
    drain(world.app)
    title = f"待指派的课例 {uuid.uuid4().hex[:6]}"
    version = submit(world, title)
    page = world.page()
    world.sign_in(page, keystore_of(world, people.admin, "admin-assign"))
    page.goto(f"{world.base}/app/review/resources/{version['resource_id']}/versions/1")
    page.wait_for_selector("#assign-reviewer")
    page.select_option("#assign-reviewer", people.reviewers[0].signer.address)
    page.get_by_role("button", name="指派", exact=True).click()
    page.locator("[data-testid=assignments] li").first.wait_for()
    assert "待评审" in page.inner_text("[data-testid=assignments]")

    page.select_option("#assign-reviewer", colleague.address)
    page.get_by_role("button", name="指派", exact=True).click()
    assert "利益回避" in page.wait_for_selector(".el-message--error").inner_text()
    page.wait_for_selector("#assign-reason")
    assert len(world.people.admin.request("GET", f"/resources/{version['resource_id']}/versions/1/assignments")) == 1, "refused"
    page.fill("#assign-reason", "本学科仅此一位教研员。")
    page.get_by_role("button", name="指派", exact=True).click()
    page.locator("[data-testid=assignments] li").nth(1).wait_for()
    assert "利益回避例外：本学科仅此一位教研员。" in page.inner_text("[data-testid=assignments]")
    assigned = world.people.admin.request("GET", f"/resources/{version['resource_id']}/versions/1/assignments")
    assert {a["reviewer"] for a in assigned} == {people.reviewers[0].signer.address, colleague.address}
    assert next(a for a in assigned if a["reviewer"] == colleague.address)["override_reason"] == "本学科仅此一位教研员。"
    no_violations(world, page, "admin-assign")

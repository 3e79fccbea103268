"""The selection programme's pages in Chromium, a whole round on a live server and chain: an
administrator sets a programme up with the form, teachers nominate accepted resources, a panel
reviewer scores with the programme's rubric, the list is published, the public 公示 page shows only
consented names, a signed-in teacher files an objection which the administrator upholds, the
selection is made final, the teacher's contribution page counts it and gives the signed statement,
and the package is exported, verified on the import page, and a tampered copy rejected.
Every page is checked by axe-core and photographed at desktop and phone width."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.utils.programmes import Clock
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept

from .conftest import World, write_keystore

pytestmark = pytest.mark.anvil

RUBRIC_SCORES = {"思想性": 18, "科学性": 17, "创新性": 16, "规范性": 18, "应用效果": 17}


def checked(world: World, page: Any, name: str, ready: str) -> None:
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    violations = world.axe(page)
    assert violations == [], f"{name}: {violations}"
    world.shoot(page, name)


def accepted_lesson(world: World, teacher: Any, title: str) -> dict[str, Any]:
    files = lesson_bundle(f"programme-page-{uuid.uuid4()}")
    version = teacher.submit(files, lesson_metadata(teacher.signer.address, files, title=title))
    return review_and_accept(world.people, version)


def test_nomination_through_the_notice_to_selection_in_the_pages(world: World, tmp_path: Path) -> None:
    from tests.utils.registry import sign_in

    previous_clock = getattr(world.app.state, "clock", None)
    clock = Clock()
    world.app.state.clock = clock
    try:
        _round(world, clock, tmp_path, sign_in)
    finally:
        world.app.state.clock = previous_clock


def _round(world: World, clock: Clock, tmp_path: Path, sign_in: Any) -> None:
    admin = world.people.admin
    tag = uuid.uuid4().hex[:6]
    district = admin.request("POST", "/institutions", json={"name": f"滨海新区教育局 {tag}", "kind": "district"})
    consenting, consenting_keys = world.new_teacher(f"prog-a-{tag}", display_name="李晓梅", title="小学数学教师", name_public=True)
    shy, _ = world.new_teacher(f"prog-b-{tag}", display_name="不公开的老师", name_public=False)
    teacher_a, teacher_b = sign_in(world.http, consenting), sign_in(world.http, shy)
    title_a, title_b = f"分数的初步认识 {tag}", f"认识钟表 {tag}"
    version_a = accepted_lesson(world, teacher_a, title_a)
    version_b = accepted_lesson(world, teacher_b, title_b)
    drain(world.app)
    admin_keys = write_keystore(world.keystores / f"prog-admin-{tag}.json", admin.signer)
    first, second = world.people.reviewers

    # The administrator sets the programme up with the form.
    page = world.page()
    world.sign_in(page, admin_keys)
    page.goto(f"{world.base}/app/programmes")
    page.get_by_role("link", name="新建遴选").click()
    page.wait_for_selector("[data-testid=programme-form]")
    name = f"{tag} 年度基础教育精品课遴选"
    page.fill("#p-name", name)
    page.select_option("#p-level", "district")
    page.select_option("#p-bureau", label=district["name"])
    page.fill("#p-total", "2")
    page.fill("#p-teacher", "1")
    page.fill("#p-recommend", "1")
    page.fill("#p-notice", "7")
    for reviewer in (first, second):
        page.get_by_label(reviewer.signer.address).check()
    checked(world, page, "programme-setup", "#c-name-0")
    page.get_by_role("button", name="创建遴选").click()
    page.wait_for_url(re.compile(r"/app/programmes/\d+$"))
    programme_id = int(page.url.rsplit("/", 1)[1])
    programme = admin.request("GET", f"/programmes/{programme_id}")
    assert (programme["name"], programme["level"], programme["quota_total"], programme["quota_per_teacher"]) == (name, "district", 2, 1)
    assert sorted(programme["panel"]) == sorted([first.signer.address, second.signer.address]) and programme["blind_review"] is True
    assert [c["criterion"] for c in programme["rubric"]] == list(RUBRIC_SCORES)
    assert page.get_attribute("[data-testid=phase]", "data-phase") == "nominating"

    # A teacher nominates an accepted resource on the programmes page; a second nomination of the same teacher is refused.
    teacher_page = world.page()
    world.sign_in(teacher_page, consenting_keys)
    teacher_page.goto(f"{world.base}/app/programmes")
    card = teacher_page.locator(f"[data-programme='{programme_id}']")
    card.get_by_label("选择一件已入库的资源申报").select_option(str(version_a["resource_id"]))
    checked(world, teacher_page, "programmes-teacher", f"[data-programme='{programme_id}'] [data-testid=nominate]")
    card.get_by_role("button", name="申报").click()
    card.get_by_text(f"已申报：{title_a}").wait_for()
    card.get_by_role("button", name="申报").click()  # nothing chosen any more
    card.get_by_text("请先选择要申报的资源。").wait_for()
    teacher_b.request("POST", f"/programmes/{programme_id}/nominations", json={"resource_id": version_b["resource_id"]})

    # Nominations close; the panel scores (one reviewer in the page, blind: no teacher shown).
    clock.advance(days=15)
    reviewer_page = world.page()
    world.sign_in(reviewer_page, write_keystore(world.keystores / f"prog-rev-{tag}.json", first.signer))
    reviewer_page.goto(f"{world.base}/app/programmes/{programme_id}/scores")
    reviewer_page.wait_for_selector("form[data-nominee]")
    assert "李晓梅" not in reviewer_page.inner_text("main"), "blind review shows no teacher"
    checked(world, reviewer_page, "programme-score", "form[data-nominee]")
    for form in reviewer_page.locator("form[data-nominee]").all():
        for criterion, value in RUBRIC_SCORES.items():
            form.get_by_label(re.compile(f"^{criterion}")).fill(str(value))
        form.get_by_role("button", name=re.compile("^提交评分")).click()
        form.get_by_text("评分已提交。").wait_for()
    reviewer_page.reload()  # after a reload the page still shows what this member has scored, with the scores
    reviewer_page.wait_for_selector("form[data-nominee]")
    for form in reviewer_page.locator("form[data-nominee]").all():
        form.get_by_text("已评分").wait_for()
        assert form.get_by_role("button", name=re.compile("^提交评分")).count() == 0
    nominees = admin.request("GET", f"/programmes/{programme_id}/nominees")
    for nominee in nominees:
        low = {k: v - 2 for k, v in RUBRIC_SCORES.items()}
        second.request("POST", f"/programmes/{programme_id}/nominees/{nominee['id']}/scores", json={"scores": low})
    by_title = {n["title"]: n for n in nominees}

    # The administrator publishes the list (公示).
    page.reload()
    page.wait_for_selector("[data-testid=ranking]")
    assert page.locator("[data-testid=ranking] li.proposed").count() == 2
    checked(world, page, "programme-manage-scoring", "[data-testid=nominees]")
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("拟入选名单已公示。").wait_for()
    assert page.get_attribute("[data-testid=phase]", "data-phase") == "notice"

    # The public 公示 page, signed out: the consented name and school only.
    public = world.page()
    public.goto(f"{world.base}/app/programmes/{programme_id}/notice")
    public.wait_for_selector("[data-testid=notice]")
    entry_a = public.locator(f"[data-nominee='{by_title[title_a]['id']}']")
    entry_b = public.locator(f"[data-nominee='{by_title[title_b]['id']}']")
    assert "李晓梅" in entry_a.inner_text() and "滨海新区实验小学" in entry_a.inner_text()
    assert "不公开的老师" not in public.inner_text("main") and "未公开" in entry_b.inner_text()
    assert public.get_by_role("button", name=re.compile("提出异议")).count() == 0, "signed out: no objection"
    public.get_by_role("link", name="登录后可对公示名单提出异议").wait_for()
    checked(world, public, "programme-notice-public", "[data-testid=notice]")

    # A signed-in teacher objects to the other nominee, with a reason (a too-short one is refused first).
    teacher_page.goto(f"{world.base}/app/programmes/{programme_id}/notice")
    teacher_page.get_by_role("button", name=f"对《{title_b}》提出异议").click()
    teacher_page.fill("#objection-reason", "短")
    teacher_page.get_by_role("button", name="提交异议").click()
    teacher_page.get_by_text("异议理由至少 5 个字。").wait_for()
    teacher_page.fill("#objection-reason", "该课例的练习部分与另一所学校去年公开的课例雷同，请核实。")
    checked(world, teacher_page, "programme-objection", "[data-testid=objection-form]")
    teacher_page.get_by_role("button", name="提交异议").click()
    teacher_page.get_by_text("异议已提交，等待组织单位处理。").wait_for()
    assert "1" in teacher_page.locator(f"[data-nominee='{by_title[title_b]['id']}'] dd").last.inner_text()

    # Selection before the window closes is not offered; the administrator upholds the objection with a reason.
    page.reload()
    page.wait_for_selector("[data-testid=objections]")
    assert page.get_by_role("button", name="确定入选").count() == 0
    objection = page.locator("[data-objection][data-status=open]")
    objection.get_by_role("button", name="异议成立（撤出）").click()
    page.get_by_text("请填写处理意见。").wait_for()
    objection.get_by_label("处理意见（必填）").fill("经核实，练习部分与他人课例雷同，撤出名单。")
    objection.get_by_role("button", name="异议成立（撤出）").click()
    page.get_by_text("已认定异议成立，该作品撤出名单。").wait_for()
    assert page.locator("[data-objection][data-status=upheld]").count() == 1
    checked(world, page, "programme-manage-notice", "[data-testid=objections]")

    # The window closes; the selection is made final: 入选 and 推荐 certificates, the recommendation upward.
    clock.advance(days=8)
    page.reload()
    page.get_by_role("button", name="确定入选").click()
    page.get_by_text("入选名单已确定，证书已提交上链。").wait_for()
    drain(world.app)
    page.reload()
    page.wait_for_selector("[data-testid=recommendations]")
    selection = page.inner_text("[data-testid=selection]")
    assert title_a in selection and title_b not in selection and "入选证书" in selection and "推荐证书" in selection
    assert page.get_attribute("[data-testid=phase]", "data-phase") == "selected"
    checked(world, page, "programme-manage-selected", "[data-testid=recommendations]")
    public.reload()
    public.wait_for_selector("[data-testid=notice]")
    assert public.get_attribute(f"[data-nominee='{by_title[title_a]['id']}']", "data-status") == "selected"
    assert public.get_attribute(f"[data-nominee='{by_title[title_b]['id']}']", "data-status") == "removed"

    # The package: exported from the programme page, verified on the import page; one byte changed is rejected.
    drain(world.app)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出推荐包（国家平台）").click()
    package = tmp_path / "package.zip"
    download.value.save_as(package)
    assert zipfile.is_zipfile(package)
    page.goto(f"{world.base}/app/packages")
    page.set_input_files("#package-file", str(package))
    page.get_by_role("button", name="仅核验").click()
    page.wait_for_selector("[data-testid=package-result]")
    assert page.get_attribute("[data-testid=package-result]", "data-outcome") == "valid", page.inner_text("[data-testid=package-result]")
    assert "核验通过" in page.inner_text("[data-testid=package-result]")
    assert page.locator("[data-check=signature][data-result=pass]").inner_text().startswith("通过")
    assert "推荐单位对清单的签名" in page.inner_text("[data-testid=package-result]")
    checked(world, page, "packages-valid", "[data-testid=package-result]")
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))
    page.set_input_files("#package-file", str(tampered))
    page.get_by_role("button", name="核验并导入").click()
    page.wait_for_selector("[data-testid=package-result][data-outcome=invalid]")
    assert "核验未通过" in page.inner_text("[data-testid=package-result]")
    checked(world, page, "packages-tampered", "[data-testid=package-result]")
    # The teacher's contribution page counts the selection and gives the signed statement.
    teacher_page.goto(f"{world.base}/app/contributions")
    teacher_page.wait_for_selector("[data-testid=held]")
    assert teacher_page.inner_text("[data-count=selected] dd") == "1"
    assert "入选证书" in teacher_page.inner_text("[data-testid=held]")
    checked(world, teacher_page, "contributions", "[data-testid=held]")
    with teacher_page.expect_download() as download:
        teacher_page.get_by_role("button", name="下载贡献证明").click()
    statement = json.loads(Path(download.value.path()).read_text())
    assert (
        statement["credentialSubject"]["id"].lower().endswith(consenting.address.lower())
        or consenting.address.lower() in json.dumps(statement).lower()
    )

    assert "未通过的检查：" in page.inner_text("[data-testid=package-result]")
    assert page.locator("[data-testid=package-result] [data-result=fail]").count() >= 1
    page.errors[:] = [e for e in page.errors if "422" not in e]  # type: ignore[attr-defined]  # the refused import's answer

    # 收藏: on the programme page the administrator collects the selected resource at the national level.
    page.goto(f"{world.base}/app/programmes/{programme_id}")
    page.wait_for_selector("[data-testid=selection]")
    page.select_option(f"#collect-{by_title[title_a]['id']}", "national")
    page.get_by_role("button", name=f"收藏《{title_a}》").click()
    page.get_by_text("已收藏，收藏证书已提交上链。").wait_for()
    assert "收藏证书 · 国家级" in page.inner_text("[data-testid=collection]")
    checked(world, page, "programme-manage-collected", "[data-testid=collection]")
    page.get_by_role("button", name=f"收藏《{title_a}》").click()  # the same level twice is refused, in words
    page.wait_for_selector("p.problem[role=alert]")
    assert page.locator("[data-testid=collection]").count() == 1

    # A city programme takes in the district's recommendation (接收推荐) on its page; a second intake is refused.
    city_programme = admin.request(
        "POST",
        "/programmes",
        json={
            "name": f"{tag} 市级精品课遴选",
            "year": programme["year"],
            "level": "city",
            "institution_id": world.app.state.bureau.id_hex,  # the platform's own bureau is a city one
            "quota_total": 3,
            "nomination_closes_at": (clock() + timedelta(days=10)).isoformat(),
            "notice_days": 7,
            "panel": programme["panel"],
            "min_scores": 2,
            "rubric": programme["rubric"],
        },
    )
    city_id = city_programme["id"]
    page.goto(f"{world.base}/app/programmes/{city_id}")
    page.wait_for_selector("[data-testid=intake]")
    page.get_by_role("button", name="接收推荐").click()  # nothing chosen yet
    page.get_by_text("请先选择下级遴选。").wait_for()
    page.get_by_label("下级遴选").select_option(str(programme_id))
    page.wait_for_selector("[data-testid=offered] li")
    assert f"资源 #{version_a['resource_id']}" in page.inner_text("[data-testid=offered]")
    checked(world, page, "programme-manage-intake", "[data-testid=offered]")
    page.get_by_role("button", name="接收推荐").click()
    page.wait_for_selector("p.ok[role=status], p.problem[role=alert]")
    assert page.get_by_text("已接收下级推荐的作品。").is_visible(), page.inner_text("main")
    nominees_text = page.inner_text("[data-testid=nominees]")
    assert title_a in nominees_text and "下级推荐" in nominees_text and title_b not in nominees_text
    taken = admin.request("GET", f"/programmes/{city_id}/nominees")
    assert [(n["resource_id"], n["route"]) for n in taken] == [(version_a["resource_id"], "recommendation")]
    page.get_by_label("下级遴选").select_option(str(programme_id))
    page.get_by_role("button", name="接收推荐").click()
    page.wait_for_selector("p.problem[role=alert]")
    assert len(admin.request("GET", f"/programmes/{city_id}/nominees")) == 1

    # 学校推荐: the school's issuer nominates its teacher's accepted resource on the programmes page.
    issuer = new_signer()
    admin.request("PUT", f"/users/{issuer.address}", json={"institution_id": world.people.school_id, "roles": ["issuer"]})
    issuer_page = world.page()
    world.sign_in(issuer_page, write_keystore(world.keystores / f"prog-issuer-{tag}.json", issuer))
    issuer_page.goto(f"{world.base}/app/programmes")
    school_card = issuer_page.locator(f"[data-programme='{city_id}']")
    school_card.get_by_role("button", name="以学校名义推荐").click()
    school_card.get_by_text("请先选择要申报的资源。").wait_for()
    picker = school_card.get_by_label("学校推荐：本校教师已入库的资源")
    offered = picker.locator("option").all_inner_texts()
    assert any(title_a in o for o in offered) and any(title_b in o for o in offered), offered  # the school's accepted resources
    picker.select_option(str(version_b["resource_id"]))
    checked(world, issuer_page, "programmes-issuer", f"[data-programme='{city_id}'] [data-testid=nominate-school]")
    school_card.get_by_role("button", name="以学校名义推荐").click()
    school_card.get_by_text(f"已以学校名义推荐：{title_b}").wait_for()
    picker.select_option(str(version_a["resource_id"]))  # taken in already
    school_card.get_by_role("button", name="以学校名义推荐").click()
    school_card.locator("p.problem").wait_for()
    routes = {n["resource_id"]: n["route"] for n in admin.request("GET", f"/programmes/{city_id}/nominees")}
    assert routes == {version_a["resource_id"]: "recommendation", version_b["resource_id"]: "school"}
    page.errors[:] = [e for e in page.errors if "409" not in e and "422" not in e]  # type: ignore[attr-defined]  # refused on purpose
    issuer_page.errors[:] = [e for e in issuer_page.errors if "409" not in e and "422" not in e]  # type: ignore[attr-defined]
    assert not issuer_page.errors, issuer_page.errors  # type: ignore[attr-defined]
    for p in (page, teacher_page, reviewer_page, public):
        assert not p.errors, p.errors  # type: ignore[attr-defined]

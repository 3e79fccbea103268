"""The 数据驾驶舱 in Chromium: an administrator sees the counts the API reports (cards, table, every
breakdown, the CSV download); the public sees the summary without schools; both pass axe and fit a
phone without horizontal scrolling; a reversed period is a clear message."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.utils.registry import drain, lesson_bundle, lesson_metadata, review_and_accept

from .conftest import PHONE, World, write_keystore

pytestmark = pytest.mark.anvil


def some_activity(world: World) -> None:
    """One accepted (certified) resource and one sent back for revisions, on chain."""
    people = world.people
    teacher = people.teacher
    files = lesson_bundle(f"dash-web-{uuid.uuid4()}")
    review_and_accept(people, teacher.submit(files, lesson_metadata(teacher.signer.address, files)))
    files = lesson_bundle(f"dash-web-revise-{uuid.uuid4()}")
    version = teacher.submit(files, lesson_metadata(teacher.signer.address, files, title="退回修改的课例"))
    path = f"/resources/{version['resource_id']}/versions/1"
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request(
            "POST",
            path + "/reviews",
            json={
                "orientation_pass": True,
                "scores": {"科学性": 2, "适用性": 1, "规范性": 2, "思想性": 2, "技术性": 2},
                "recommendation": "revise",
            },
        )
    people.admin.request("POST", path + "/decision", json={"decision": "request_revisions"})
    drain(world.app)


def digits(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def table_rows(page: Any, selector: str = "[data-testid=dashboard-table]") -> dict[str, dict[str, str]]:
    """The table's rows by key: {column: text}."""
    rows = page.eval_on_selector_all(
        f"{selector} tr[data-key]",
        """rows => rows.map(r => [r.dataset.key,
        Object.fromEntries([...r.querySelectorAll('td')].map(td => [td.dataset.column, td.innerText.trim()])),
        r.querySelector('th').innerText.trim()])""",
    )
    return {key: {**cells, "label": label} for key, cells, label in rows}


def assert_rows_match(page: Any, rows: list[dict[str, Any]], total: dict[str, Any]) -> None:
    shown = table_rows(page)
    assert set(shown) == {row["key"] for row in rows} | {"total"}, (shown.keys(), [row["key"] for row in rows])
    for row in [*rows, {**total, "key": "total"}]:
        cells = shown[row["key"]]
        for column in ("submissions", "decisions", "accepted", "certificates_issued", "certificates_revoked"):
            assert digits(cells[column]) == row[column], (row["key"], column, cells[column], row[column])
        if row["acceptance_rate"] is not None:
            assert cells["acceptance_rate"].endswith("%")
            assert float(cells["acceptance_rate"].rstrip("%")) == pytest.approx(row["acceptance_rate"] * 100, abs=0.01)


def no_horizontal_scroll(page: Any) -> None:
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"horizontal scrolling at {width} px"


def test_the_dashboard_shows_the_counts_the_api_reports(world: World, tmp_path: Path) -> None:
    some_activity(world)
    admin = world.people.admin
    keystore = write_keystore(world.keystores / "dashboard-admin.json", admin.signer)
    api = admin.request("GET", "/dashboard")
    assert api["total"]["submissions"] >= 2 and api["total"]["decisions"] >= 2 and api["total"]["certificates_issued"] >= 1

    page = world.page()
    world.sign_in(page, keystore)
    page.get_by_role("navigation").get_by_role("link", name="数据驾驶舱").click()
    page.wait_for_selector("[data-testid=kpi-submissions]")
    page.wait_for_load_state("networkidle")
    total = api["total"]
    for kpi, value in (
        ("submissions", total["submissions"]),
        ("decisions", total["decisions"]),
        ("certificates", total["certificates_issued"]),
        ("credentials", api["credentials"]["anchored"]),
    ):
        assert page.get_attribute(f"[data-testid=kpi-{kpi}]", "data-value") == str(value), kpi
        assert digits(page.inner_text(f"[data-testid=kpi-{kpi}] .kpi-value")) == value, kpi
    assert page.get_attribute("[data-testid=kpi-chain]", "data-value") == api["chain"]["status"] == "ok"
    assert page.inner_text("[data-testid=chain-open-jobs]") == str(api["chain"]["open_jobs"])
    assert_rows_match(page, api["by_month"], total)
    assert page.locator(".chart svg").count() >= 2, "the charts are drawn"
    violations = world.axe(page)
    assert violations == [], violations
    world.shoot(page, "dashboard-admin")

    for label, name in (("学段", "by_stage"), ("学科", "by_subject"), ("学校", "by_school")):
        page.get_by_role("radio", name=label).check()
        page.wait_for_selector(f"[data-testid=dashboard-table] thead th:text-is('{label}')")
        assert_rows_match(page, api[name], total)
    school = table_rows(page)[world.people.school_id]
    assert school["label"] == "滨海新区实验小学"
    world.shoot(page, "dashboard-admin-schools")
    assert world.axe(page) == []

    with page.expect_download() as download:
        page.click("[data-testid=download-groups]")
    content = Path(download.value.path()).read_bytes().decode("utf-8")
    assert content.startswith("\ufeff"), "a byte-order mark: Excel reads the Chinese"
    table = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert table[0][:3] == ["学校", "提交数", "评审决定"]
    by_label = {row[0]: row for row in table[1:]}
    for row in api["by_school"]:
        assert [int(v) for v in by_label[row["label"]][1:4]] == [row["submissions"], row["decisions"], row["accepted"]]
    assert [int(v) for v in by_label["合计"][1:4]] == [total["submissions"], total["decisions"], total["accepted"]]

    # A reversed period is refused here, with the reason.
    page.fill("#dashboard-from", "2026-12")
    page.fill("#dashboard-to", "2026-01")
    page.get_by_role("button", name="查询").click()
    assert "起始月份不能晚于截止月份" in page.wait_for_selector("[data-testid=dashboard-problem]").inner_text()
    no_horizontal_scroll(page)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_the_public_summary_has_no_schools_and_fits_a_phone(world: World) -> None:
    summary = world.http.get("/dashboard/summary").json()
    page = world.page(PHONE)
    page.goto(f"{world.base}/app/dashboard")
    page.wait_for_selector("[data-testid=kpi-submissions]")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("[data-testid=kpi-submissions]", "data-value") == str(summary["total"]["submissions"])
    assert_rows_match(page, summary["by_month"], summary["total"])
    assert page.get_by_role("radio", name="学校").count() == 0, "no school breakdown in public"
    assert "滨海新区实验小学" not in page.inner_text("main") and "0x" not in page.inner_text("main")
    violations = world.axe(page)
    assert violations == [], violations
    world.shoot(page, "dashboard-public")
    no_horizontal_scroll(page)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_a_school_named_like_a_formula_is_defused_in_the_csv(world: World) -> None:
    """A name is typed by people: in the CSV it must not run as a spreadsheet formula."""
    some_activity(world)
    admin = world.people.admin
    school = world.people.school_id
    original = next(i["name"] for i in admin.request("GET", "/institutions") if i["id"] == school)
    keystore = write_keystore(world.keystores / "dashboard-csv-admin.json", admin.signer)
    admin.request("PATCH", f"/institutions/{school}", json={"name": '=HYPERLINK("http://evil.example","点我")'})
    try:
        page = world.page()
        world.sign_in(page, keystore)
        page.goto(f"{world.base}/app/dashboard")
        page.get_by_role("radio", name="学校").check()
        page.wait_for_selector("[data-testid=dashboard-table] thead th:text-is('学校')")
        assert table_rows(page)[school]["label"] == '=HYPERLINK("http://evil.example","点我")', "shown as it is on the page"
        with page.expect_download() as download:
            page.click("[data-testid=download-groups]")
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8").lstrip("\ufeff"))))
        assert any(row[0] == '\'=HYPERLINK("http://evil.example","点我")' for row in rows), rows
        assert not any(row[0].startswith("=") for row in rows)
    finally:
        admin.request("PATCH", f"/institutions/{school}", json={"name": original})

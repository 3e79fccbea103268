"""Bad input on the existing pages, beyond the journeys: an upload whose request never reaches the
server is retried once the network is back (one resource, not two); a network that stays down is a
clear message and the form stays filled; a wrong passphrase in the signing dialog; a file that is
not JSON dropped as a keystore in the signing dialog; an expired session on the dashboard."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from registry.models import Session as SessionRow
from registry.models import utcnow
from tests.utils.registry import lesson_bundle

from .conftest import PASSWORD, World, write_keystore
from .test_journeys import fill_submission, login, open_submit_page, write_files

pytestmark = pytest.mark.anvil

POSTS_OF_RESOURCES = re.compile(r".*/resources$")


def my_resources(world: World, signer: Any) -> int:
    return int(world.http.get("/resources", headers={"Authorization": f"Bearer {login(world, signer)}"}).json()["total"])


def test_an_upload_that_never_arrived_is_retried_when_the_network_is_back(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("offline-upload")
    page = world.page()
    world.sign_in(page, keystore)
    open_submit_page(page)
    fill_submission(page, "断网后重试的提交", write_files(tmp_path / "files", lesson_bundle(f"offline-{uuid.uuid4()}")))

    # A wrong passphrase in the signing dialog: said plainly, nothing sent, the dialog stays open.
    page.get_by_role("button", name="签名并提交").click()
    page.fill("#sign-passphrase", "not-my-passphrase")
    page.get_by_role("button", name="签名", exact=True).click()
    dialog = page.get_by_role("dialog")
    assert "口令不正确" in dialog.get_by_role("alert").inner_text()
    (tmp_path / "notes.txt").write_text("这不是密钥文件")
    page.set_input_files("#sign-keystore", str(tmp_path / "notes.txt"))
    assert "不是有效的密钥文件" in dialog.get_by_role("alert").inner_text()
    assert my_resources(world, signer) == 0
    world.shoot(page, "teacher-submit-wrong-passphrase")
    page.set_input_files("#sign-keystore", str(keystore))

    # The network drops twice: the POST never reaches the registry; the page retries, then it goes through.
    dropped: list[str] = []

    def flaky(route: Any) -> None:
        if route.request.method == "POST" and len(dropped) < 2:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(POSTS_OF_RESOURCES, flaky)
    page.fill("#sign-passphrase", PASSWORD)
    page.get_by_role("button", name="签名", exact=True).click()
    assert "网络中断，正在重试" in page.wait_for_selector("[role=status]:has-text('重试')").inner_text()
    page.wait_for_url(re.compile(r"/app/teacher/resources/\d+$"), timeout=90_000)
    assert len(dropped) == 2
    assert my_resources(world, signer) == 1, "one resource, not one per attempt"
    assert "断网后重试的提交" in page.inner_text("h1")


def test_a_network_that_stays_down_keeps_the_form_and_says_so(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("no-network")
    page = world.page()
    world.sign_in(page, keystore)
    open_submit_page(page)
    fill_submission(page, "网络一直不通的提交", write_files(tmp_path / "files", lesson_bundle(f"down-{uuid.uuid4()}")))
    page.route(
        POSTS_OF_RESOURCES, lambda route: route.abort("internetdisconnected") if route.request.method == "POST" else route.continue_()
    )
    page.get_by_role("button", name="签名并提交").click()
    page.fill("#sign-passphrase", PASSWORD)
    page.get_by_role("button", name="签名", exact=True).click()
    problem = page.wait_for_selector("[data-testid=submit-problem]", timeout=60_000).inner_text()
    assert "无法连接到服务器，请检查网络后重试" in problem, problem
    assert page.input_value("#submit-title") == "网络一直不通的提交" and page.locator("[data-testid=parts] li").count() == 5
    assert page.get_by_role("button", name="签名并提交").is_enabled(), "the teacher can send it again"
    assert my_resources(world, signer) == 0
    world.shoot(page, "teacher-submit-network-down")


def test_an_expired_session_on_the_dashboard_asks_to_sign_in_again(world: World) -> None:
    admin = world.people.admin
    keystore = write_keystore(world.keystores / "expiring-admin.json", admin.signer)
    page = world.page()
    world.sign_in(page, keystore)
    page.wait_for_load_state("networkidle")  # the landing page's own requests answered before the session runs out
    try:
        with world.app.state.sessions() as db:  # the administrator's sessions run out while the page is open
            db.execute(
                update(SessionRow).where(SessionRow.address == admin.signer.address).values(expires_at=utcnow() - timedelta(seconds=1))
            )
            db.commit()
        page.get_by_role("navigation").get_by_role("link", name="数据驾驶舱").click()
        dialog = page.get_by_role("dialog", name="登录已过期")
        dialog.wait_for()
        world.shoot(page, "dashboard-session-expired")
        page.fill("#reauth-passphrase", PASSWORD)
        dialog.get_by_role("button", name="解密并登录").click()
        page.wait_for_selector("[data-testid=kpi-submissions]")
        assert page.get_by_role("radio", name="学校").count() == 1, "signed in again: the administrators' dashboard"
    finally:
        admin.sign_in()  # the test client's own session ran out with the others

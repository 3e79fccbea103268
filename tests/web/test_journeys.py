"""Journeys through the web application in Chromium: a teacher signs in with a keystore file and
submits; a parent scans a certificate on a phone; a tampered credential is dropped on the
verification page; an expired session keeps the form; a wrong passphrase; a login link; an upload
whose answer is lost; a file over the upload limit."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from ledger_service.credentials import ChainView, did_web_url, make_bundle
from registry.models import Session as SessionRow
from registry.models import utcnow
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, review_and_accept
from wallet_cli.main import app as wallet_app

from .conftest import PASSWORD, PHONE, World

pytestmark = pytest.mark.anvil

CATALOGUE_SEARCH = "几分之一"


def write_files(folder: Path, files: dict[str, bytes]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        paths.append(str(folder / name))
    return paths


def open_submit_page(page: Any) -> None:
    page.get_by_role("navigation").get_by_role("link", name="提交资源").click()
    page.wait_for_selector("#submit-title")


def fill_submission(page: Any, title: str, paths: list[str]) -> None:
    page.fill("#submit-title", title)
    page.fill("#submit-description", "通过分月饼的情境认识几分之一。")
    page.fill("#submit-keywords", "分数 几分之一")
    page.locator("[data-testid=catalogue] input").click()
    page.locator("[data-testid=catalogue] input").fill(CATALOGUE_SEARCH)
    page.locator(".el-cascader__suggestion-item", has_text=CATALOGUE_SEARCH).first.click()
    page.set_input_files("#submit-files", paths)
    page.locator("[data-testid=parts] li").nth(len(paths) - 1).wait_for()  # (no wait_for_function: the app's CSP forbids eval)


def sign_and_submit(page: Any, password: str = PASSWORD) -> None:
    page.get_by_role("button", name="签名并提交").click()
    page.fill("#sign-passphrase", password)
    page.get_by_role("button", name="签名", exact=True).click()


def certified(world: World) -> tuple[dict[str, Any], int]:
    teacher = world.people.teacher
    files = lesson_bundle(f"web-{uuid.uuid4()}")
    version = review_and_accept(world.people, teacher.submit(files, lesson_metadata(teacher.signer.address, files)))
    drain(world.app)
    version = teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")
    return version, int(version["certificates"][0]["id"])


def test_a_teacher_signs_in_with_a_keystore_file_and_submits(world: World, tmp_path: Path) -> None:
    # The keystore as `edu-wallet key import` writes it (scrypt n=2^18), decrypted by ethers in the page.
    signer, _ = world.new_teacher("cli-teacher", display_name="王丽华", title="小学数学教师", name_public=True)
    keystore = tmp_path / "teacher.json"
    made = CliRunner().invoke(
        wallet_app,
        ["key", "import", "-k", str(keystore)],
        env={"EDU_WALLET_PRIVATE_KEY": signer.private_key_bytes().hex(), "EDU_WALLET_PASSWORD": PASSWORD},
    )
    assert made.exit_code == 0, made.output
    page = world.page()
    world.sign_in(page, keystore)
    assert page.url.endswith("/app/teacher/resources")
    assert "王丽华" in page.locator("header").inner_text(), "the header names the person, not only the address"
    world.shoot(page, "teacher-resources-empty")

    open_submit_page(page)  # within the app: the keystore chosen at sign-in stays in memory
    files = lesson_bundle(f"browser-{uuid.uuid4()}")
    fill_submission(page, "认识分数（网页提交）", write_files(tmp_path / "files", files))
    roles = page.eval_on_selector_all("[data-testid=parts] select", "s => s.map(e => e.value)")
    assert sorted(roles) == sorted(["微课视频", "教学设计", "学习任务单", "课件", "作业练习"]), roles
    world.shoot(page, "teacher-submit-filled")
    sign_and_submit(page)
    page.wait_for_url(re.compile(r"/app/teacher/resources/\d+$"), timeout=90_000)
    resource_id = int(page.url.rsplit("/", 1)[1])

    # The registry accepted the browser's CID and EIP-712 signature: the version exists, signed by this teacher.
    version = world.http.get(f"/resources/{resource_id}/versions/1", headers={"Authorization": f"Bearer {login(world, signer)}"}).json()
    assert version["authors"] == [
        {"address": signer.address, "share": 10000, "status": "lead", "name": "王丽华", "institution": "滨海新区实验小学"}
    ]
    assert version["title"] == "认识分数（网页提交）" and version["catalogue_node"] == "primary.math.g3.pep.vol1.c8.s1"
    assert version["state"] == "IN_REVIEW" and version["keywords"] == ["分数", "几分之一"]
    drain(world.app)
    page.reload()
    page.wait_for_selector("[data-testid=history] .el-timeline-item")
    assert "已上链" in page.inner_text("main")
    world.shoot(page, "teacher-resource")
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def login(world: World, signer: Any) -> str:
    from tests.utils.registry import sign_in

    return str(sign_in(world.http, signer).token)


def test_a_parent_opens_the_qr_code_on_a_phone_and_sees_green(world: World, tmp_path: Path) -> None:
    from tests.registry.test_certificates import qr_code_of

    version, number = certified(world)
    url = qr_code_of(world.http.get(f"/certificates/{number}/pdf").content, tmp_path)
    assert url == f"{world.base}/certificates/{number}/verify", "the PDF's QR code points at the verification URL"
    page = world.page(PHONE)
    page.goto(url)
    page.wait_for_selector("[data-testid=outcome]")
    assert page.get_attribute("[data-testid=outcome]", "data-outcome") == "valid"
    assert "有效" in page.inner_text("[data-testid=outcome]")
    facts = page.inner_text("[data-testid=certificate-facts]")
    assert version["title"] in facts and "市级教育资源平台" in facts and "收录证书" in facts
    assert version["certificates"][0]["id"] and "0x" in facts  # the anchoring transaction
    assert world.people.teacher.signer.address in facts, "no consent: the author is shown by address only"
    for check in ("链上存证", "未撤销", "内容一致（未被篡改）", "颁发机构在颁发时已获授权"):
        assert check in page.inner_text("main"), check
    assert "on_chain" not in page.inner_text("main")
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"horizontal scrolling at {width} px"
    world.shoot(page, "verify-certificate-valid")

    # The teacher consents: the public page and the PDF name them.
    teacher = world.people.teacher
    teacher.request("PUT", "/users/me/profile", json={"display_name": "李明", "name_public": True})
    page.reload()
    page.wait_for_selector("[data-testid=certificate-facts]")
    assert "李明（滨海新区实验小学）" in page.inner_text("[data-testid=certificate-facts]")
    teacher.request("PUT", "/users/me/profile", json={"name_public": False})

    # Withdrawn (出库): the same QR code now shows red, naming the failed check.
    world.people.admin.request("POST", f"/resources/{version['resource_id']}/versions/1/withdrawal", json={"reason_code": "infringement"})
    drain(world.app)
    page.reload()
    page.wait_for_selector("[data-testid=outcome]")
    assert page.get_attribute("[data-testid=outcome]", "data-outcome") == "invalid"
    assert "未通过：未撤销" in page.inner_text("[data-testid=outcome]")
    assert page.get_attribute("[data-check=not_revoked]", "data-result") == "fail"


def test_a_tampered_credential_dropped_on_the_page_is_red_with_the_check_named(world: World, tmp_path: Path) -> None:
    _, number = certified(world)
    drain(world.app)
    credential = world.http.get(f"/certificates/{number}/credential")
    assert credential.status_code == 200, credential.text
    document = credential.json()
    (tmp_path / "good.json").write_text(json.dumps(document, ensure_ascii=False))
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["achievement"]["name"] = "伪造的证书"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered, ensure_ascii=False))
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not json at all")

    page = world.page()
    page.goto(f"{world.base}/app/verify")
    page.set_input_files("#verify-file", str(tmp_path / "good.json"))
    page.wait_for_selector("[data-testid=outcome]")
    assert page.get_attribute("[data-testid=outcome]", "data-outcome") == "valid", page.inner_text("main")
    assert "credential-facts" in page.content()

    page.set_input_files("#verify-file", str(tmp_path / "tampered.json"))
    page.wait_for_selector("[data-testid=outcome][data-outcome=invalid]")
    failed = page.eval_on_selector_all("[data-result=fail]", "items => items.map(i => i.dataset.check)")
    assert failed, "a failed check is listed"
    outcome = page.inner_text("[data-testid=outcome]")
    assert outcome.startswith("✘") and "未通过：" in outcome
    assert not re.search(r"[a-z]+_[a-z]+", outcome), f"the check is named in Chinese, not by its code: {outcome}"
    world.shoot(page, "verify-credential-tampered")

    # An offline bundle, and a presentation holding the good and the tampered credential.
    ledger = world.app.state.ledger
    chain = ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)
    bundle = make_bundle(
        document,
        chain=chain,
        status_resolver=lambda url: world.http.get(url.replace(world.base, "")).json(),
        did_resolver=lambda did: world.http.get(did_web_url(did).replace(world.base, "")).json(),
    )
    (tmp_path / "bundle.json").write_text(json.dumps(bundle, ensure_ascii=False))
    page.set_input_files("#verify-file", str(tmp_path / "bundle.json"))
    page.wait_for_selector("[data-check=bundle]")
    assert page.get_attribute("[data-testid=outcome]", "data-outcome") == "valid", page.inner_text("main")
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [document, tampered],
    }
    (tmp_path / "presentation.json").write_text(json.dumps(presentation, ensure_ascii=False))
    page.set_input_files("#verify-file", str(tmp_path / "presentation.json"))
    page.locator("[data-testid=outcome]").nth(1).wait_for()
    outcomes = page.eval_on_selector_all("[data-testid=outcome]", "items => items.map(i => i.dataset.outcome)")
    assert outcomes == ["valid", "invalid"] and "含 2 份凭证" in page.inner_text("main")

    page.set_input_files("#verify-file", str(tmp_path / "photo.jpg"))
    problem = page.wait_for_selector("[data-testid=verify-problem]").inner_text()
    assert "不是 JSON 格式" in problem and "photo.jpg" in problem
    assert page.query_selector("[data-testid=outcome]") is None


def test_a_check_the_page_does_not_know_yet_is_shown_as_it_comes(world: World) -> None:
    """The verifier may add checks: the page shows a new one with the verifier's own words, never hides it."""
    page = world.page()
    answer = {
        "certificate_id": 77,
        "outcome": "invalid",
        "block_number": 9,
        "checks": [
            {"name": "on_chain", "result": "pass", "detail": "certificate of resource #1"},
            {"name": "key_not_compromised", "result": "fail", "detail": "the signing key was reported compromised"},
        ],
    }
    page.route(re.compile(r".*/certificates/77/verify\?format=json$"), lambda route: route.fulfill(json=answer))
    page.goto(f"{world.base}/app/verify/certificate/77")
    page.wait_for_selector("[data-check=key_not_compromised]")
    item = page.inner_text("[data-check=key_not_compromised]")
    assert "Key not compromised" in item and "the signing key was reported compromised" in item and "暂无中文说明" in item
    assert "未通过：Key not compromised" in page.inner_text("[data-testid=outcome]")


def test_a_wrong_passphrase_is_a_clear_message(world: World) -> None:
    _, keystore = world.new_teacher("wrong-passphrase")
    page = world.page()
    page.goto(f"{world.base}/app/login")
    page.set_input_files("#login-keystore", str(keystore))
    page.fill("#login-passphrase", "not-the-passphrase")
    page.get_by_role("button", name="解密并登录").click()
    alert = page.wait_for_selector("[role=alert]").inner_text()
    assert "口令不正确" in alert
    assert "/app/login" in page.url and page.evaluate("sessionStorage.getItem('eduledger.session')") is None
    world.shoot(page, "login-wrong-passphrase")


def test_an_expired_session_asks_to_sign_in_again_and_keeps_the_form(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("expiring")
    page = world.page()
    world.sign_in(page, keystore)
    open_submit_page(page)
    files = lesson_bundle(f"expiry-{uuid.uuid4()}")
    fill_submission(page, "会话过期后仍保留的标题", write_files(tmp_path / "files", files))
    with world.app.state.sessions() as db:  # the session runs out while the teacher is filling in the form
        db.execute(update(SessionRow).where(SessionRow.address == signer.address).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    page.get_by_role("button", name="签名并提交").click()
    dialog = page.get_by_role("dialog", name="登录已过期")
    dialog.wait_for()
    assert page.input_value("#submit-title") == "会话过期后仍保留的标题"
    world.shoot(page, "teacher-submit-session-expired")
    page.fill("#reauth-passphrase", PASSWORD)
    dialog.get_by_role("button", name="解密并登录").click()
    page.fill("#sign-passphrase", PASSWORD)  # then the registration is signed as usual
    page.get_by_role("button", name="签名", exact=True).click()
    page.wait_for_url(re.compile(r"/app/teacher/resources/\d+$"), timeout=90_000)
    assert "会话过期后仍保留的标题" in page.inner_text("h1")


def test_a_new_version_after_revisions_is_signed_against_its_predecessor(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("reviser")
    teacher = login_client(world, signer)
    files = lesson_bundle(f"revise-{uuid.uuid4()}")
    first = teacher.submit(files, lesson_metadata(signer.address, files, title="待修改的课例"))
    path = f"/resources/{first['resource_id']}/versions/1"
    for reviewer in world.people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request(
            "POST",
            path + "/reviews",
            json={
                "orientation_pass": True,
                "scores": {"科学性": 2, "适用性": 1, "规范性": 2, "思想性": 2, "技术性": 3},
                "comments": {"适用性": "请补充分层练习。"},
                "recommendation": "revise",
            },
        )
    world.people.admin.request("POST", path + "/decision", json={"decision": "request_revisions"})
    drain(world.app)
    page = world.page()
    world.sign_in(page, keystore)
    page.get_by_role("link", name="待修改的课例").click()
    page.get_by_role("link", name="提交新版本").click()
    page.wait_for_url(re.compile(r"/new-version$"))
    assert "请补充分层练习。" in page.wait_for_selector("[data-testid=reviews]").inner_text()
    assert page.input_value("#submit-title") == "待修改的课例"
    page.fill("#submit-title", "待修改的课例（修订版）")
    revised = lesson_bundle(f"revised-{uuid.uuid4()}")
    page.set_input_files("#submit-files", write_files(tmp_path / "revised", revised))
    page.locator("[data-testid=parts] li").nth(len(revised) - 1).wait_for()
    sign_and_submit(page)
    page.wait_for_url(re.compile(rf"/app/teacher/resources/{first['resource_id']}$"), timeout=90_000)
    second = teacher.request("GET", f"/resources/{first['resource_id']}/versions/2")
    assert second["predecessor_version"] == 1 and second["round"] == 2 and second["title"] == "待修改的课例（修订版）"
    assert teacher.request("GET", path)["state"] == "SUPERSEDED"


def login_client(world: World, signer: Any) -> Any:
    from tests.utils.registry import sign_in

    return sign_in(world.http, signer)


def test_a_lost_answer_is_retried_without_a_second_resource(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("flaky-network")
    page = world.page()
    proxied = f"http://127.0.0.1:{world.proxy.port}"
    world.sign_in(page, keystore, base=proxied)
    open_submit_page(page)
    fill_submission(page, "网络中断的提交", write_files(tmp_path / "files", lesson_bundle(f"flaky-{uuid.uuid4()}")))
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" and request.url.endswith("/resources") else None
    )
    world.proxy.lose_next = b"HTTP/1.1 201"  # the registry stores the submission; its answer never arrives
    sign_and_submit(page)
    page.wait_for_url(re.compile(r"/app/teacher/resources/\d+$"), timeout=90_000)
    assert world.proxy.lost == 1 and len(posts) >= 1, (world.proxy.lost, posts)
    mine = world.http.get("/resources", headers={"Authorization": f"Bearer {login(world, signer)}"}).json()
    assert mine["total"] == 1, mine
    assert page.url.endswith(f"/teacher/resources/{mine['items'][0]['id']}")
    assert "服务器已收到此次提交" in page.inner_text("body")


def test_a_file_over_the_upload_limit_is_refused_before_any_upload(world: World, tmp_path: Path) -> None:
    _, keystore = world.new_teacher("big-file")
    page = world.page()
    world.sign_in(page, keystore)
    limit = world.app.state.settings.MAX_UPLOAD_SIZE
    big = tmp_path / "课堂实录.mp4"
    with open(big, "wb") as handle:  # sparse: 2 GiB + 1 MiB that take no disk space
        handle.truncate(limit + 1024 * 1024)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.goto(f"{world.base}/app/teacher/submit")
    page.set_input_files("#submit-files", str(big))
    problem = page.wait_for_selector("[data-testid=submit-problem]").inner_text()
    assert "超过上传上限 2.0 GB" in problem, problem
    assert page.get_by_role("button", name="签名并提交").is_disabled()
    assert posts == [], "nothing was sent"
    world.shoot(page, "teacher-submit-too-large")


def test_a_login_link_printed_by_the_wallet_signs_the_browser_in_once(world: World, tmp_path: Path) -> None:
    signer, keystore = world.new_teacher("link")
    printed = CliRunner().invoke(
        wallet_app, ["login", "--web", "-k", str(keystore), "-r", world.base], env={"EDU_WALLET_PASSWORD": PASSWORD}
    )
    assert printed.exit_code == 0, printed.output
    url = next(line for line in printed.output.splitlines() if "/app/login#code=" in line).strip()
    assert "Bearer" not in printed.output, "--web prints a link, not a token"
    page = world.page()
    page.goto(url)
    page.wait_for_url(lambda current: "/login" not in current)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('eduledger.session')).address") == signer.address
    assert "#code=" not in page.url
    again = world.page()
    again.goto(url)
    assert "已使用过" in again.wait_for_selector("[role=alert]").inner_text()


def test_not_json_keystore_and_unknown_pages(world: World, tmp_path: Path) -> None:
    page = world.page()
    (tmp_path / "notes.txt").write_text("not a keystore")
    page.goto(f"{world.base}/app/login")
    page.set_input_files("#login-keystore", str(tmp_path / "notes.txt"))
    assert "不是有效的密钥文件" in page.wait_for_selector("[role=alert]").inner_text()
    page.goto(f"{world.base}/app/no-such-page")
    assert "页面不存在" in page.inner_text("main")
    page.goto(f"{world.base}/app/teacher/submit")
    page.wait_for_url(re.compile(r"/app/login\?redirect="))

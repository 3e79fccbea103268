"""The student's key page under attack: the passphrase never leaves the browser (no request carries it,
while the key is made, exported and used to sign), what is stored is the encrypted key only, a wrong
passphrase is said in Chinese, and a key file that is not what the page writes (too few PBKDF2
iterations, so a weaker lock than promised; far too many, which would hang the page; garbage base64)
is refused in Chinese before anything is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import World
from .test_presentation_journey import PASSPHRASE, create_key

pytestmark = pytest.mark.anvil


def test_the_key_page_keeps_the_passphrase_in_the_browser_and_refuses_tampered_key_files(world: World, tmp_path: Path) -> None:
    page = world.page()
    sent: list[str] = []

    def record(request: Any) -> None:
        sent.append(f"{request.url}\n{json.dumps(request.headers, ensure_ascii=False)}\n{request.post_data or ''}")

    page.on("request", record)
    did = create_key(world, page)
    stored = page.evaluate("localStorage.getItem('eduledger.holderKey')")
    assert PASSPHRASE not in stored and json.loads(stored)["cipher"]["ciphertext"], "the key is kept encrypted"
    with page.expect_download() as download:
        page.get_by_test_id("export-key").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["did"] == did and exported["kdf"]["iterations"] >= 310_000

    credential = tmp_path / "记录.json"
    credential.write_text(json.dumps({"@context": [], "type": ["VerifiableCredential"], "id": "urn:uuid:attack11"}))
    page.set_input_files("#present-file", str(credential))
    page.locator("[data-testid=present-credential]").first.wait_for()
    page.fill("#sign-passphrase", PASSPHRASE + "x")
    page.get_by_test_id("sign-presentation").click()
    assert "口令不正确" in page.locator("[data-testid=present-problem]").inner_text(timeout=60_000)
    page.fill("#sign-passphrase", PASSPHRASE)
    with page.expect_download():
        page.get_by_test_id("sign-presentation").click()
    page.locator("[data-testid=present-outcome]").wait_for(timeout=60_000)
    assert sent and not [r for r in sent if PASSPHRASE in r or (PASSPHRASE + "x") in r], "the passphrase never leaves the browser"
    assert any("/presentations/challenges" in r for r in sent), "the requests were watched"

    # Tampered copies of the exported file: refused on import, the stored key kept.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="从本浏览器移除密钥").click()
    page.get_by_role("button", name="新建身份密钥").wait_for()
    weak = {**exported, "kdf": {**exported["kdf"], "iterations": 1}}
    huge = {**exported, "kdf": {**exported["kdf"], "iterations": 10**12}}
    garbage = {**exported, "cipher": {**exported["cipher"], "iv": "%%%"}}
    short = {**exported, "cipher": {**exported["cipher"], "ciphertext": exported["cipher"]["ciphertext"][:8]}}
    for name, document in (("weak", weak), ("huge", huge), ("garbage", garbage), ("short", short)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        page.set_input_files("#key-file", str(path))
        problem = page.locator("[data-testid=key-problem]")
        assert "不是本平台导出的身份密钥文件" in problem.inner_text(timeout=10_000), name
        assert page.evaluate("localStorage.getItem('eduledger.holderKey')") is None, name
    path = tmp_path / "good.json"
    path.write_text(json.dumps(exported))
    page.set_input_files("#key-file", str(path))
    assert page.locator("[data-testid=holder-did]").inner_text(timeout=10_000) == did
    errors = [e for e in page.errors if "status of" not in e]  # type: ignore[attr-defined]
    assert errors == [], errors
    page.context.close()

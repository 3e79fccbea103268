"""A student's own key and a holder-bound presentation, through the web application: the student
creates their identity key in the page (kept in the browser, encrypted with their passphrase) and
gives its DID to the school; the school issues a record bound to it; the student opens the record,
signs a presentation in the browser over the platform's one-use challenge and hands the file to the
credit bank, whose page grants the credits. The same file again, a presentation of the record made
with another person's key, and one signed with another key in the student's name are each refused,
with the failed check named in Chinese. axe runs on each page; screenshots at desktop and phone width."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.registry.test_issuance import students

from .conftest import PHONE, World
from .test_issuing_journeys import accessible, issuing_clerk

pytestmark = pytest.mark.anvil

PASSPHRASE = "我的口令-2026"


def create_key(world: World, page: Any, shot: str | None = None) -> str:
    page.goto(f"{world.base}/app/student/present")
    page.get_by_role("heading", name="我的身份密钥", exact=True).wait_for()
    if shot:
        accessible(world, page, shot)
    page.fill("#key-passphrase", "短口令")
    page.fill("#key-repeat", "短口令")
    page.get_by_role("button", name="新建身份密钥").click()
    assert "至少需要 8 个字符" in page.locator("[data-testid=key-problem]").inner_text()
    page.fill("#key-passphrase", PASSPHRASE)
    page.fill("#key-repeat", PASSPHRASE)
    page.get_by_role("button", name="新建身份密钥").click()
    did = page.locator("[data-testid=holder-did]").inner_text(timeout=60_000)
    assert did.startswith("did:key:z6Mk"), did  # Ed25519 (multicodec 0xed01)
    return str(did)


def sign_presentation(page: Any, record: Path, tmp: Path, name: str, passphrase: str = PASSPHRASE) -> Path:
    page.set_input_files("#present-file", str(record))
    page.locator("[data-testid=present-credential]").first.wait_for()
    page.fill("#sign-passphrase", passphrase)
    with page.expect_download() as download:
        page.get_by_test_id("sign-presentation").click()
    path = tmp / name
    download.value.save_as(str(path))
    assert "已签名 1 条记录" in page.locator("[data-testid=present-outcome]").inner_text()
    return path


def import_file(page: Any, path: Path, attempt: int) -> Any:
    """The outcome of the page's ``attempt``-th file (not the one shown before it)."""
    page.set_input_files("#credit-bank-file", str(path))
    outcome = page.locator(f"[data-testid=credit-outcome][data-attempt='{attempt}']")
    outcome.wait_for(timeout=120_000)
    return outcome


def test_a_student_signs_a_presentation_in_the_browser_and_the_credit_bank_grants_credits(world: World, tmp_path: Path) -> None:
    label = uuid.uuid4().hex[:6]
    student = world.page(PHONE)
    did = create_key(world, student, shot="student-present-new")
    stored = student.evaluate("localStorage.getItem('eduledger.holderKey')")
    assert did in stored and "ciphertext" in stored, "kept in the browser, encrypted"
    with student.expect_download() as download:
        student.get_by_test_id("export-key").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["did"] == did and set(exported) == {"type", "did", "kdf", "cipher"}, "only the encrypted key leaves the page"

    # The school binds the student's record to the DID the page showed.
    clerk, _, _ = issuing_clerk(world, f"持{label}")
    records = [{**students(1, label=label)[0], "holder": did}]
    issued = clerk.request("POST", "/credentials/batches", json={"batch": f"present-{label}", "kind": "growth_record", "records": records})
    credential = issued["credentials"][0]["document"]
    assert credential["credentialSubject"]["id"] == did
    record = tmp_path / "成长记录.json"
    record.write_text(json.dumps(credential, ensure_ascii=False))

    # The credit bank: another institution, with its conversion rules.
    bank, bank_keystore, _ = issuing_clerk(world, f"银{label}")
    bank.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])

    # A wrong passphrase opens nothing; the right one signs.
    student.set_input_files("#present-file", str(record))
    student.fill("#sign-passphrase", "不是这个口令")
    student.get_by_test_id("sign-presentation").click()
    assert "口令不正确" in student.locator("[data-testid=present-problem]").inner_text(timeout=60_000)
    presentation = sign_presentation(student, record, tmp_path, "出示材料.json")
    signed = json.loads(presentation.read_text())
    assert signed["holder"] == did and signed["proof"][0]["proofPurpose"] == "authentication"
    accessible(world, student, "student-present-signed")

    staff = world.page()
    world.sign_in(staff, bank_keystore)
    staff.goto(f"{world.base}/app/issuer/batches")
    staff.get_by_test_id("to-credit-bank").click()
    staff.get_by_role("heading", name="学分银行：认定出示材料").wait_for()
    accessible(world, staff, "credit-bank-empty")
    outcome = import_file(staff, presentation, 1)
    assert outcome.get_attribute("data-outcome") == "granted", outcome.inner_text()
    assert "已认定 0.5 学分" in outcome.inner_text() and "持有人签名" in outcome.inner_text()
    accessible(world, staff, "credit-bank-granted")
    grants = bank.request("GET", "/credit-bank/grants")
    assert grants[0]["credits"] == 0.5 and grants[0]["converted"] == [credential["id"]]

    # The same file again: its challenge is spent.
    again = import_file(staff, presentation, 2)
    assert again.get_attribute("data-outcome") == "refused" and "已经使用过" in again.inner_text()

    # Someone else's key (another browser) presenting the student's record: bound to another holder.
    other = world.page()
    other_did = create_key(world, other)
    assert other_did != did
    theirs = sign_presentation(other, record, tmp_path, "别人的出示材料.json")
    refused = import_file(staff, theirs, 3)
    assert (refused.get_attribute("data-outcome"), refused.get_attribute("data-check")) == ("refused", "holder_binding")
    assert "记录绑定的持有人" in refused.inner_text()
    accessible(world, staff, "credit-bank-refused")

    # Signed with that other key but in the student's name: the holder's signature does not verify.
    forged = json.loads(sign_presentation(other, record, tmp_path, "冒名.json").read_text())
    forged["holder"] = did
    forged["proof"][0]["verificationMethod"] = f"{did}#{did.removeprefix('did:key:')}"
    (tmp_path / "冒名.json").write_text(json.dumps(forged, ensure_ascii=False))
    refused = import_file(staff, tmp_path / "冒名.json", 4)
    assert (refused.get_attribute("data-outcome"), refused.get_attribute("data-check")) == ("refused", "holder_proof")
    assert "未通过的核验项：持有人签名" in refused.inner_text()
    assert grants == bank.request("GET", "/credit-bank/grants"), "nothing more granted"
    for page in (student, staff, other):
        errors = [e for e in page.errors if "status of 422" not in e]  # type: ignore[attr-defined] # (the refusals' own answers)
        assert errors == [], errors
        page.context.close()

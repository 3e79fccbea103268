"""The issuer's pages when the chain is slow (202: decided and committed, the chain write on its way).
Before: the credit bank's page took the 202's body for a grant and its render threw (grant.converted of
undefined), the import page took it for a batch (a link to a batch with no key), the batch page showed
the credential's status as "pending". Now each says in Chinese that it completes by itself."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ledger_service.chain import Ledger
from tests.registry.test_issuance import students
from tests.registry.test_rosters import as_csv, roster_rows

from .conftest import World
from .test_issuing_journeys import change_status, credential_card, issuing_clerk
from .test_presentation_journey import create_key, import_file, sign_presentation

pytestmark = pytest.mark.anvil


@contextmanager
def slow_chain(world: World) -> Iterator[None]:
    """No blocks mined, and the service waits 1 s for a chain write before answering 202."""
    ledger: Ledger = world.app.state.ledger
    assert ledger.node is not None
    timeout = ledger.write_timeout
    with ledger.node._snapshot_lock:  # holds the automine keeper off while mining is paused
        ledger.rpc.request("evm_setAutomine", [False])
        ledger.write_timeout = 1.0
        try:
            yield
        finally:
            ledger.write_timeout = timeout
            ledger.rpc.request("evm_setAutomine", [True])
            ledger.rpc.request("evm_mine")


def test_a_credit_grant_the_chain_is_slow_to_anchor_is_said_as_on_its_way(world: World, tmp_path: Path) -> None:
    label = uuid.uuid4().hex[:6]
    student = world.page()
    did = create_key(world, student)
    clerk, _, _ = issuing_clerk(world, f"慢{label}")
    records = [{**students(1, label=label)[0], "holder": did}]
    issued = clerk.request("POST", "/credentials/batches", json={"batch": f"slow-{label}", "kind": "growth_record", "records": records})
    record = tmp_path / "成长记录.json"
    record.write_text(json.dumps(issued["credentials"][0]["document"], ensure_ascii=False))
    bank, bank_keystore, _ = issuing_clerk(world, f"缓{label}")
    bank.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    presentation = sign_presentation(student, record, tmp_path, "出示材料.json")

    staff = world.page()
    world.sign_in(staff, bank_keystore)
    staff.goto(f"{world.base}/app/issuer/credit-bank")
    staff.get_by_role("heading", name="学分银行：认定出示材料").wait_for()
    with slow_chain(world):
        outcome = import_file(staff, presentation, 1)
        assert outcome.get_attribute("data-outcome") == "anchoring", outcome.inner_text()
        assert "正在上链" in outcome.inner_text()
    deadline = time.monotonic() + 60
    while not (grants := bank.request("GET", "/credit-bank/grants")) or not grants[0]["completed"]:
        assert time.monotonic() < deadline, grants
        time.sleep(0.5)
    assert grants[0]["credits"] == 0.5
    for page in (student, staff):
        errors = [e for e in page.errors if "status of" not in e]  # type: ignore[attr-defined]
        assert errors == [], errors
        page.context.close()


def test_a_batch_and_a_status_change_the_chain_is_slow_to_anchor_are_said_as_on_their_way(world: World, tmp_path: Path) -> None:
    label = uuid.uuid4().hex[:4]
    clerk, keystore, _ = issuing_clerk(world, f"慢批{label}")
    page = world.page()
    world.sign_in(page, keystore)
    page.goto(f"{world.base}/app/issuer/import")
    roster = tmp_path / "八年级3班.csv"
    roster.write_bytes(as_csv(roster_rows(3, label)))
    page.set_input_files("#roster-file", str(roster))
    page.wait_for_selector("[data-testid=roster-summary].no-errors")
    with slow_chain(world):
        page.click("[data-testid=issue-button]")
        done = page.locator("[data-testid=issue-done]")
        done.wait_for(timeout=60_000)
        assert done.get_attribute("data-outcome") == "anchoring" and "自动完成" in done.inner_text(), done.inner_text()
    deadline = time.monotonic() + 60
    while not (listed := clerk.request("GET", "/credentials/batches"))["data"][0]["completed"]:
        assert time.monotonic() < deadline, listed
        time.sleep(0.5)
    done.get_by_role("link").click()  # the batch's page, by the key the page kept
    page.locator("[data-testid=issued-credentials] > li").first.wait_for(timeout=30_000)
    with slow_chain(world):
        change_status(page, 0, "撤销", "确认撤销", "误发")
        assert "已撤销" in credential_card(page, 0).inner_text(), credential_card(page, 0).inner_text()
        assert "pending" not in credential_card(page, 0).inner_text()
    key = listed["data"][0]["batch"]
    deadline = time.monotonic() + 60
    while clerk.request("GET", f"/credentials/batches/{key}")["credentials"][0]["status"] != "revoked":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    errors = [e for e in page.errors if "status of" not in e]  # type: ignore[attr-defined]
    assert errors == [], errors
    page.context.close()

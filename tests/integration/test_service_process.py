"""``python -m registry`` as `make run` starts it: serves, stops cleanly on Ctrl-C, keeps the chain."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ledger_service.chain import BoundContract, HttpRpcClient, dev_signer, free_port, load_artifacts
from tests.utils.registry import lesson_bundle, lesson_metadata, new_signer, sign_in
from tests.utils.service import (
    batch_completed_by_its_job,
    grant_teacher,
    interrupt,
    kill_9,
    kill_9_settings,
    restart_after_kill_9,
    set_up_issuer,
    start,
    students,
    verified,
    wait_for,
    wait_healthy,
)
from wallet_cli._registry import RegistryClient

pytestmark = pytest.mark.anvil


def test_serves_stops_on_ctrl_c_and_restarts_on_the_same_chain(tmp_path: Path) -> None:
    port = free_port()
    first = start(tmp_path, port)
    chain = wait_healthy(port, first)
    output = interrupt(first)
    assert "Traceback" not in output
    assert (tmp_path / "chain" / "anvil-state.json.gz").is_file()
    assert (tmp_path / "deployment.json").is_file()

    assert "chain state saved (snapshot at block" in output, output

    second = start(tmp_path, port)
    again = wait_healthy(port, second)
    interrupt(second)
    assert again["contracts"] == chain["contracts"], "the recorded deployment is reused"
    assert again["block_number"] >= chain["block_number"], "the chain state was kept"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"EDULEDGER_RPC_URL": "ftp://example"}, "ConfigurationError: EDULEDGER_RPC_URL"),
        ({"EDULEDGER_PORT": "not-a-port"}, "ConfigurationError: EDULEDGER_PORT"),
        ({"EDULEDGER_RELAYER_KEY": "11" * 32, "EDULEDGER_RPC_URL": "http://127.0.0.1:9"}, "ChainUnavailableError: "),
    ],
    ids=["rpc-scheme", "port", "unreachable-node"],
)
def test_bad_configuration_is_one_line_and_exit_1(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    process = start(tmp_path, free_port(), **extra)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith(message), output
    assert "Traceback" not in output


def test_kill_9_after_a_submission_loses_nothing(tmp_path: Path) -> None:
    """A submission accepted and mined, then kill -9 before the chain state is snapshotted: after a
    restart the database still has it and the registration is on chain again — the same
    transaction, resent from the outbox — exactly once."""
    port, anvil_port = free_port(), free_port()
    first = start(tmp_path, port, EDULEDGER_SNAPSHOT_INTERVAL="3600", EDULEDGER_ANVIL_PORT=str(anvil_port))
    wait_healthy(port, first)
    key = new_signer()
    files = lesson_bundle(f"crash-{uuid.uuid4()}")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        grant_teacher(http, key.address)
        teacher = sign_in(http, key)
        version = teacher.submit(files, lesson_metadata(key.address, files))
        path = f"/resources/{version['resource_id']}/versions/1"
        deadline = time.monotonic() + 30
        while teacher.request("GET", path)["chain"]["status"] != "mined":
            assert time.monotonic() < deadline, "the registration was not mined"
            time.sleep(0.2)
        mined = teacher.request("GET", path)["chain"]
    second = restart_after_kill_9(first, tmp_path, port, EDULEDGER_ANVIL_PORT=str(anvil_port))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            teacher = RegistryClient(http, key)
            teacher.sign_in()
            after = teacher.request("GET", path)
            assert after["state"] == "IN_REVIEW", "the database kept the accepted submission"
            assert {**after["chain"], "block_number": None} == {**mined, "block_number": None}
            history = teacher.request("GET", f"{path}/history")
            assert history["intact"] and [e["action"] for e in history["events"]] == ["submit", "screen", "pass_screening"]
            contracts = http.get("/chain").json()["contracts"]
        chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
        receipt = chain.request("eth_getTransactionReceipt", [mined["tx_hash"]])
        assert receipt is not None and int(receipt["status"], 16) == 1, "the same transaction is on chain again"
        assert after["chain"]["block_number"] == int(receipt["blockNumber"], 16), "the block the receipt names, not the lost one"
        registry = BoundContract("ResourceRegistry", contracts["ResourceRegistry"], load_artifacts()["ResourceRegistry"].abi, chain)
        content_hash = bytes.fromhex(version["content_hash"][2:])
        assert registry.call("resourceIdByContent", content_hash) == mined["resource_id"]
        logs = chain.request(
            "eth_getLogs",
            [{"address": registry.address, "fromBlock": "0x0", "toBlock": "latest", "topics": [None, None, "0x" + content_hash.hex()]}],
        )
        assert len([e for e in registry.decode_logs(logs) if e.name == "ResourceRegistered"]) == 1, "registered once"
        chain.close()
    finally:
        interrupt(second)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_a_second_service_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    """Two services on one data directory would run two chains from one snapshot: the second is
    refused in one line naming the first; the first goes on undisturbed."""
    port = free_port()
    first = start(tmp_path, port)
    try:
        wait_healthy(port, first)
        second = start(tmp_path, free_port())
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert (
            output.strip()
            .splitlines()[-1]
            .startswith(f"ConfigurationError: the data directory {tmp_path} is in use by process {first.pid}")
        ), output
        assert "Traceback" not in output
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        interrupt(first)
    third = start(tmp_path, port)  # released on a clean stop (and by the kernel on a crash)
    wait_healthy(port, third)
    interrupt(third)


def test_no_snapshot_no_claim_that_the_chain_state_was_saved(tmp_path: Path) -> None:
    port = free_port()
    service = start(tmp_path, port)
    wait_healthy(port, service)
    anvil = next(pid for pid in children(service.pid) if "anvil" in Path(f"/proc/{pid}/cmdline").read_text())
    os.kill(anvil, signal.SIGKILL)
    service.send_signal(signal.SIGINT)
    output, _ = service.communicate(timeout=60)
    assert "chain state saved" not in output, output
    assert "chain state NOT saved" in output, output


def test_kill_9_after_an_institution_issued_and_revoked(tmp_path: Path) -> None:
    """Issue #11 item 1 and 3: a school's batch and status-list update, sent by its own issuer key, are
    lost when kill -9 rewinds the embedded chain to its last snapshot. After a restart its outbox is
    reconciled like the relayer's: the same transactions land again, every credential verifies as
    before (the hosted list matches the chain), the database names the blocks the receipts name,
    a new batch goes through at once, and /health is ok."""
    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port)
    first = start(tmp_path, port, **settings)
    wait_healthy(port, first)
    issuer_key = new_signer()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        admin = RegistryClient(http, dev_signer(1))
        admin.sign_in()
        school = admin.request("POST", "/institutions", json={"name": "滨海新区崩溃测试中学", "kind": "school"})
        admin.request("POST", f"/institutions/{school['id']}/issuer")
        wait_for(lambda: admin.request("GET", f"/institutions/{school['id']}/issuer")["chain_status"] == "ready", "the issuer keys")
        admin.request("PUT", f"/users/{issuer_key.address}", json={"institution_id": school["id"], "roles": ["issuer"]})
        issuer = RegistryClient(http, issuer_key)
        issuer.sign_in()
        earlier = issuer.request(
            "POST", "/credentials/batches", json={"batch": "g7-1", "kind": "growth_record", "records": students(3, "a")}
        )
    assert "chain state saved" in interrupt(first)  # the snapshot holds the set-up and the first batch

    second = start(tmp_path, port, **settings)
    wait_healthy(port, second)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        issuer = RegistryClient(http, issuer_key)
        issuer.sign_in()
        lost = issuer.request("POST", "/credentials/batches", json={"batch": "g7-2", "kind": "growth_record", "records": students(3, "b")})
        revoked = lost["credentials"][0]
        issuer.request("POST", f"/credentials/{revoked['id']}/status", json={"action": "revoke"})
        assert verified(http, revoked["document"]) == "invalid"
        assert verified(http, lost["credentials"][1]["document"]) == "valid"
    # kill -9: the chain goes back to the snapshot, the batch and the revocation are gone from it
    third = restart_after_kill_9(second, tmp_path, port, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            issuer = RegistryClient(http, issuer_key)
            issuer.sign_in()
            for credential in earlier["credentials"] + lost["credentials"][1:]:
                assert verified(http, credential["document"]) == "valid", "anchored again, and the hosted list matches the chain"
            assert verified(http, revoked["document"]) == "invalid", "the revocation is on chain again"
            stored = issuer.request("GET", "/credentials/batches/g7-2")
            chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
            receipt = chain.request("eth_getTransactionReceipt", [stored["tx_hash"]])
            chain.close()
            assert receipt is not None and int(receipt["status"], 16) == 1, "the same anchoring transaction landed again"
            assert stored["block_number"] == int(receipt["blockNumber"], 16), "the block the receipt names"
            again = [c for c in stored["credentials"] if c["id"] != revoked["id"]]
            assert all(verified(http, c["document"]) == "valid" for c in again), "the stored copies name the new block"
            began = time.monotonic()
            later = http.post(
                "/credentials/batches", headers=issuer.headers, json={"batch": "g7-3", "kind": "growth_record", "records": students(2, "c")}
            )
            assert later.status_code == 201 and time.monotonic() - began < 30, later.text
            health = http.get("/health").json()
            assert health["status"] == "ok" and health["chain_writes"] == "ok", health
    finally:
        interrupt(third)


def test_a_batch_that_answered_202_completes_by_itself_even_after_kill_9(tmp_path: Path) -> None:
    """Issue 11 item 1: a batch the chain is slow to anchor answers 202; it used to stay unfinished (no
    anchor proofs, completed false) until the client sent its key again. Now its anchor is a chain job
    committed with the batch: after a kill -9 of the service and a restart it completes by itself, and
    its credentials verify."""
    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port, EDULEDGER_CHAIN_WAIT_SECONDS="2")
    first = start(tmp_path, port, **settings)
    wait_healthy(port, first)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        issuer_key = set_up_issuer(http, "滨海新区慢链测试中学").signer
    assert "chain state saved" in interrupt(first)  # the snapshot holds the school's keys

    second = start(tmp_path, port, **settings)
    wait_healthy(port, second)
    chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
    chain.request("evm_setIntervalMining", [0])  # the chain stops mining: the anchor waits in the pool
    chain.request("evm_setAutomine", [False])
    chain.close()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        issuer = RegistryClient(http, issuer_key)
        issuer.sign_in()
        body = {"batch": "g8-1", "kind": "growth_record", "records": students(3, "slow")}
        answer = http.post("/credentials/batches", headers=issuer.headers, json=body)
        assert answer.status_code == 202, answer.text
        job_url = answer.json()["chain_job_url"]
        job = http.get(job_url).json()
        assert job["kind"] == "anchor_batch" and job["status"] in ("pending", "sent"), job
    # kill -9 after the 202: the pool and the unmined blocks are gone with the chain
    third = restart_after_kill_9(second, tmp_path, port, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            stored, followed = batch_completed_by_its_job(http, sign_in(http, issuer_key), "g8-1", job_url)
            assert followed["block_number"] == stored["block_number"], "the block the batch names"
            health = http.get("/health").json()
            assert health["status"] == "ok" and health["chain_writes"] == "ok", health
    finally:
        interrupt(third)


def test_a_credit_grant_that_answered_202_completes_by_itself_after_kill_9(tmp_path: Path) -> None:
    """Issue 11 item 1: a credit-bank import used to send the grant's anchor from the request and answer 504
    when the chain was slow. Now it answers 202 with the grant's status URL; after a kill -9 of the service
    and a restart the grant is anchored by itself and verifies."""
    from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation

    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port, EDULEDGER_CHAIN_WAIT_SECONDS="2")
    student = Ed25519KeyPair.generate()
    first = start(tmp_path, port, **settings)
    wait_healthy(port, first)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        school = set_up_issuer(http, "滨海新区学分测试中学")
        college_key = set_up_issuer(http, "滨海新区学分测试学院").signer
        records = [{**record, "holder": holder_did(student.public)} for record in students(1, "credit")]
        issued = school.request("POST", "/credentials/batches", json={"batch": "g9-1", "kind": "growth_record", "records": records})
        mine = [issued["credentials"][0]["document"]]
        college = RegistryClient(http, college_key)
        college.sign_in()
        college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 1.5}])
    assert "chain state saved" in interrupt(first)

    second = start(tmp_path, port, **settings)
    wait_healthy(port, second)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        college = RegistryClient(http, college_key)
        college.sign_in()
        given = http.post("/presentations/challenges").json()
        signed = sign_presentation(mine, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
        chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
        chain.request("evm_setIntervalMining", [0])  # the chain stops mining
        chain.request("evm_setAutomine", [False])
        chain.close()
        answer = http.post("/credit-bank/imports", headers=college.headers, json={"presentation": signed, "challenge": given["challenge"]})
        assert answer.status_code == 202, answer.text  # was 504 after the chain wait
        status_url = answer.json()["status_url"]
        assert status_url.startswith("/credentials/credit-grant:")
    third = restart_after_kill_9(second, tmp_path, port, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            college = RegistryClient(http, college_key)
            college.sign_in()
            wait_for(lambda: college.request("GET", status_url)["document"] is not None, "the grant to be anchored by itself", 120)
            grant = college.request("GET", status_url)
            assert grant["status"] == "active" and verified(http, grant["document"]) == "valid"
            (listed,) = college.request("GET", "/credit-bank/grants")
            assert listed["completed"] and listed["credits"] == 1.5 and listed["converted"] == [mine[0]["id"]]
    finally:
        interrupt(third)


@pytest.mark.slow
def test_kill_9_while_a_large_batch_is_signed_leaves_no_worker_and_a_free_port(tmp_path: Path) -> None:
    """Issue 11 item 2: a batch of 2,000+ records is signed by forked workers; a kill -9 of the service
    left them running, holding its port and the client's socket, and the next start failed."""
    import threading

    port = free_port()
    service = start(tmp_path, port)
    wait_healthy(port, service)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
        issuer = set_up_issuer(http, "滨海新区大批量中学")
    answer: list[BaseException | httpx.Response] = []

    def send() -> None:
        try:
            answer.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/credentials/batches",
                    headers=issuer.headers,
                    timeout=120,
                    json={"batch": "grade-7", "kind": "growth_record", "records": students(2_400, "big")},
                )
            )
        except httpx.HTTPError as exc:
            answer.append(exc)

    client = threading.Thread(target=send)
    client.start()
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while not workers:
        assert time.monotonic() < deadline and service.poll() is None, "no signing worker was seen"
        workers = [pid for pid in children(service.pid) if "registry" in Path(f"/proc/{pid}/cmdline").read_text()]
        time.sleep(0.01)
    kill_9(service)
    client.join(30)
    assert not client.is_alive() and isinstance(answer[0], httpx.TransportError), "the client is not left hanging"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2] for pid in workers):
        assert time.monotonic() < deadline, "a signing worker outlived the service"
        time.sleep(0.05)
    again = start(tmp_path, port)  # the port is free and the data directory no longer held
    wait_healthy(port, again)
    interrupt(again)


def test_a_contribution_statement_is_a_chain_job_that_completes_after_kill_9_between_commit_and_send(tmp_path: Path) -> None:
    """Issue 11 item 1, the bureau's own writes: a contribution statement used to be signed and anchored
    from the request, by the relayer, outside any chain job. Now its document is committed with the job
    that anchors it (kind anchor_batch, sent by the bureau's key: the relayer). With the chain frozen the
    request answers 202 with the statement's status URL and the job stays pending — committed, never
    sent; after a kill -9 of the service and a restart the statement completes by itself and verifies."""
    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port, EDULEDGER_CHAIN_WAIT_SECONDS="2")
    key = new_signer()
    first = start(tmp_path, port, **settings)
    chain_info = wait_healthy(port, first)
    anvil = next(pid for pid in children(first.pid) if "anvil" in Path(f"/proc/{pid}/cmdline").read_text())
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        grant_teacher(http, key.address)
        teacher = sign_in(http, key)
        os.kill(anvil, signal.SIGSTOP)  # the chain answers nothing: the worker cannot send
        try:
            answer = http.post("/contributions/me/statement", headers=teacher.headers)
            assert answer.status_code == 202, answer.text
            status_url, job_url = answer.json()["status_url"], answer.json()["chain_job_url"]
            assert status_url.startswith("/contributions/statements/urn:uuid:") and job_url.startswith("/chain/jobs/")
            pending = http.get(status_url)
            assert pending.status_code == 202 and pending.json()["chain_job_url"] == job_url, "the statement is committed with its job"
            job = http.get(job_url).json()
            assert job["kind"] == "anchor_batch" and job["sender"] == chain_info["relayer"], job
            assert job["status"] == "pending" and job["tx_hash"] is None, "committed, not sent"
        finally:
            kill_9(first)
            os.kill(anvil, signal.SIGKILL)
            os.kill(anvil, signal.SIGCONT)

    wait_for(lambda: not Path(f"/proc/{anvil}").exists() or "Z" in Path(f"/proc/{anvil}/stat").read_text().split()[2], "the old chain")
    second = start(tmp_path, port, **settings)
    wait_healthy(port, second)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            wait_for(lambda: http.get(status_url).status_code == 200, "the statement to complete by itself", 120)
            document = http.get(status_url).json()
            assert document["id"] == status_url.removeprefix("/contributions/statements/")
            assert verified(http, document) == "valid"
            followed = http.get(job_url).json()
            assert followed["status"] == "done" and followed["tx_hash"] is not None, followed
            health = http.get("/health").json()
            assert health["status"] == "ok" and health["chain_writes"] == "ok", health
    finally:
        interrupt(second)


def test_a_mined_contribution_statement_names_the_block_its_anchor_lands_in_again_after_kill_9(tmp_path: Path) -> None:
    """The bureau's own credentials are corrected like an institution's batches: kill -9 rewinds the embedded
    chain to its snapshot, the statement's anchor is re-sent from the outbox (the same transaction) and lands
    in another block; the stored statement then names that block, and verifies."""
    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port)
    key = new_signer()
    first = start(tmp_path, port, **settings)
    wait_healthy(port, first)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        grant_teacher(http, key.address)
    assert "chain state saved" in interrupt(first)  # the snapshot holds the teacher's role, not the statement

    second = start(tmp_path, port, **settings)
    wait_healthy(port, second)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        teacher = RegistryClient(http, key)
        teacher.sign_in()
        time.sleep(3)  # empty blocks: the re-sent anchor lands lower than it first did
        answer = http.post("/contributions/me/statement", headers=teacher.headers)
        assert answer.status_code == 201, answer.text
        statement = answer.json()
    (first_anchor,) = [p for p in statement["proof"] if "transactionHash" in p]
    third = restart_after_kill_9(second, tmp_path, port, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
            receipt = chain.request("eth_getTransactionReceipt", [first_anchor["transactionHash"]])
            chain.close()
            assert receipt is not None and int(receipt["status"], 16) == 1, "the same anchoring transaction landed again"
            landed = int(receipt["blockNumber"], 16)
            assert landed != first_anchor["blockNumber"], "the test needs the anchor to land in another block"

            def stored_block() -> int:
                document = http.get(f"/contributions/statements/{statement['id']}").json()
                return int(next(p for p in document["proof"] if "transactionHash" in p)["blockNumber"])

            wait_for(lambda: stored_block() == landed, "the stored statement to name the block its anchor landed in again")
            assert verified(http, http.get(f"/contributions/statements/{statement['id']}").json()) == "valid"
    finally:
        interrupt(third)

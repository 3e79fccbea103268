"""``edu-wallet`` with a registry: import a key, sign in, submit a bundle (signed as lead author);
and a certificate verified against the chain with no registry at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger_service.chain import ChainConfig, Ledger, dev_signer
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.live import live_server
from tests.utils.registry import drain, lesson_bundle, new_signer, sign_in

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}


def wallet(*args: str, password: str = "wallet password", key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "EDU_WALLET_PASSWORD": password}
    if key:
        env["EDU_WALLET_PRIVATE_KEY"] = key
    return subprocess.run([sys.executable, "-m", "wallet_cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Ledger]]:
    workdir = tmp_path_factory.mktemp("wallet-registry")
    with Ledger.open(ChainConfig(data_dir=workdir / "chain", anvil_port=0, snapshot_interval=0, block_time=None)) as ledger:
        app = create_app(Settings(ENVIRONMENT="test", DATA_DIR=workdir / "data"), ledger=ledger)
        with live_server(app) as base:
            yield base, app, ledger


def test_import_login_submit(registry: tuple[str, Any, Ledger], tmp_path: Path) -> None:
    base, app, _ = registry
    teacher = new_signer()
    keystore = tmp_path / "teacher.json"
    imported = wallet("key", "import", "-k", str(keystore), key=teacher.private_key_bytes().hex())
    assert imported.returncode == 0 and teacher.address in imported.stdout, imported.stderr
    assert teacher.private_key_bytes().hex() not in keystore.read_text(), "stored encrypted"
    with httpx.Client(base_url=base) as http:
        sign_in(http, dev_signer(1)).request("PUT", f"/users/{teacher.address}", json={"roles": ["teacher"]})
    login = wallet("login", "-k", str(keystore), "--registry", base)
    assert login.returncode == 0 and "roles: teacher" in login.stdout and "Authorization: Bearer " in login.stdout

    files = lesson_bundle(f"wallet-{uuid.uuid4()}")
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    metadata = {
        "title": "认识分数",
        "description": "三年级上册",
        "keywords": ["分数"],
        "resource_type": "课例",
        "catalogue_node": "primary.math.g3.pep.vol1.c8.s1",
        "licence": "CC-BY-4.0",
        "parts": [{"name": name, "role": name.split(".")[0]} for name in files],
    }
    (tmp_path / "meta.json").write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    submitted = wallet("submit", *paths, "-m", str(tmp_path / "meta.json"), "-k", str(keystore), "--registry", base)
    assert submitted.returncode == 0, submitted.stderr
    assert "version 1: IN_REVIEW" in submitted.stdout
    again = wallet("submit", *paths, "-m", str(tmp_path / "meta.json"), "-k", str(keystore), "--registry", base)
    assert again.returncode == 1 and "409 duplicate_content" in again.stderr and "Traceback" not in again.stderr
    wrong = wallet("login", "-k", str(keystore), "--registry", base, password="not the password")
    assert wrong.returncode == 1 and "wrong password" in wrong.stderr
    away = wallet("login", "-k", str(keystore), "--registry", "http://127.0.0.1:9")
    assert away.returncode == 1 and "does not answer" in away.stderr


def test_a_certificate_verified_on_chain_without_the_registry(registry: tuple[str, Any, Ledger], tmp_path: Path) -> None:
    base, app, ledger = registry
    with httpx.Client(base_url=base, timeout=60) as http:
        admin = sign_in(http, dev_signer(1))
        teacher_key, reviewers = new_signer(), [new_signer(), new_signer()]
        admin.request("PUT", f"/users/{teacher_key.address}", json={"roles": ["teacher"]})
        for key in reviewers:
            admin.request("PUT", f"/users/{key.address}", json={"roles": ["reviewer"]})
        drain(app)
        teacher = sign_in(http, teacher_key)
        document = f"教学设计 {uuid.uuid4()}".encode()
        files = {"教学设计.txt": document}
        version = teacher.submit(
            files,
            {
                "title": "钟表",
                "description": "",
                "keywords": [],
                "resource_type": "教学设计",
                "catalogue_node": "primary.math.g1.pep.vol1.c7",
                "licence": "CC0-1.0",
                "authors": [{"address": teacher_key.address, "share": 10_000}],
                "parts": [{"name": "教学设计.txt", "role": "教学设计"}],
            },
        )
        path = f"/resources/{version['resource_id']}/versions/1"
        for key in reviewers:
            reviewer = sign_in(http, key)
            reviewer.request("POST", path + "/claim")
            reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
        admin.request("POST", path + "/decision", json={"decision": "accept"})
        drain(app)
        number = str(teacher.request("GET", path)["certificates"][0]["id"])
        (tmp_path / "chain.json").write_text(json.dumps(http.get("/chain").json()))
    rpc = ledger.node.url  # type: ignore[union-attr]
    (tmp_path / "教学设计.txt").write_bytes(document)
    (tmp_path / "other.txt").write_bytes(b"something else")
    chain = ["--deployment", str(tmp_path / "chain.json"), "--rpc-url", rpc]
    valid = wallet("certificate", number, *chain, "--content", str(tmp_path / "教学设计.txt"))
    assert valid.returncode == 0 and "outcome: valid" in valid.stdout, valid.stdout + valid.stderr
    other = wallet("certificate", number, *chain, "--content", str(tmp_path / "other.txt"))
    assert other.returncode == 1 and "resource_hash" in other.stdout
    missing = wallet("certificate", "99999", *chain)
    assert missing.returncode == 1 and "outcome: invalid" in missing.stdout
    away = wallet("certificate", number, "--deployment", str(tmp_path / "chain.json"), "--rpc-url", "http://127.0.0.1:9")
    assert away.returncode == 3 and "cannot_tell" in away.stdout


def test_a_co_author_confirms_with_the_wallet(registry: tuple[str, Any, Ledger], tmp_path: Path) -> None:
    base, app, ledger = registry
    lead_key, co_key = new_signer(), new_signer()
    keystore = tmp_path / "co-author.json"
    assert wallet("key", "import", "-k", str(keystore), key=co_key.private_key_bytes().hex()).returncode == 0
    with httpx.Client(base_url=base, timeout=60) as http:
        admin = sign_in(http, dev_signer(1))
        admin.request("PUT", f"/users/{lead_key.address}", json={"roles": ["teacher"]})
        lead = sign_in(http, lead_key)
        files = {"教学设计.txt": f"合作教学设计 {uuid.uuid4()}".encode()}
        version = lead.submit(
            files,
            {
                "title": "合作",
                "description": "",
                "keywords": [],
                "resource_type": "教学设计",
                "catalogue_node": "primary.math.g1.pep.vol1.c7",
                "licence": "CC0-1.0",
                "authors": [{"address": lead_key.address, "share": 7000}, {"address": co_key.address, "share": 3000}],
                "parts": [{"name": "教学设计.txt", "role": "教学设计"}],
            },
        )
    confirmed = wallet("confirm-authorship", str(version["resource_id"]), "-k", str(keystore), "--registry", base)
    assert confirmed.returncode == 0 and "confirms 30%" in confirmed.stdout, confirmed.stdout + confirmed.stderr
    drain(app)
    with httpx.Client(base_url=base, timeout=60) as http:
        chain_id = sign_in(http, lead_key).request("GET", f"/resources/{version['resource_id']}/versions/1")["chain"]["resource_id"]
    assert ledger.contracts["ResourceRegistry"].call("rightsHolders", chain_id) == ([lead_key.address, co_key.address], [7000, 3000])
    again = wallet("confirm-authorship", str(version["resource_id"]), "-k", str(keystore), "--registry", base)
    assert again.returncode == 1 and "already_confirmed" in again.stderr and "Traceback" not in again.stderr

"""``edu-wallet``: keystores and chain status; every failure is one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ledger_service.chain import EmbeddedNode, free_port

ROOT = Path(__file__).resolve().parents[2]


def wallet(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("EDU_WALLET_PASSWORD", None)
    if password is not None:
        env["EDU_WALLET_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "wallet_cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_create_show_and_unlock_a_keystore(tmp_path: Path) -> None:
    keystore = tmp_path / "teacher.json"
    created = wallet("key", "create", "-k", str(keystore), password="correct horse")
    assert created.returncode == 0, created.stderr
    address = created.stdout.split("address ")[1].strip()
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600, "a keystore is readable by its owner only"
    document = json.loads(keystore.read_text())
    assert document["crypto"]["kdf"] == "scrypt" and "correct horse" not in keystore.read_text()
    assert wallet("key", "address", "-k", str(keystore)).stdout.strip() == address
    assert wallet("key", "check", "-k", str(keystore), password="correct horse").stdout.strip().endswith(address)


@pytest.fixture(scope="module")
def _created_keystore(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A keystore ``edu-wallet key create`` wrote (password "the password"), created once for the module."""
    keystore = tmp_path_factory.mktemp("keystore") / "k.json"
    assert wallet("key", "create", "-k", str(keystore), password="the password").returncode == 0
    return keystore.read_bytes()


@pytest.mark.parametrize(
    ("args", "password", "expected"),
    [
        (["key", "check"], "wrong password", "ConfigurationError: wrong password"),
        (["key", "create"], "long enough", "already exists"),
        (["key", "create-new"], None, "No such command"),
    ],
)
def test_failures_are_one_line(tmp_path: Path, _created_keystore: bytes, args: list[str], password: str | None, expected: str) -> None:
    keystore = tmp_path / "k.json"
    keystore.write_bytes(_created_keystore)
    result = wallet(*args, *(["-k", str(keystore)] if args[1] != "create-new" else []), password=password)
    assert result.returncode != 0
    assert expected in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_short_passwords_and_bad_files_are_refused(tmp_path: Path) -> None:
    short = wallet("key", "create", "-k", str(tmp_path / "a.json"), password="short")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    assert not (tmp_path / "a.json").exists()
    (tmp_path / "junk.json").write_text("{not json")
    junk = wallet("key", "address", "-k", str(tmp_path / "junk.json"))
    assert junk.returncode == 1 and "is not a keystore file" in junk.stderr


@pytest.mark.anvil
def test_chain_status(tmp_path: Path) -> None:
    with EmbeddedNode(tmp_path / "chain", port=0, snapshot_interval=0, block_time=None) as node:
        result = wallet("chain", "status", "--rpc-url", node.url)
    assert result.returncode == 0 and result.stdout.startswith("chain id 31337, block 0")
    down = wallet("chain", "status", "--rpc-url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and down.stderr.startswith("ChainUnavailableError:")
    bad = wallet("chain", "status", "--rpc-url", "localhost:8545")
    assert bad.returncode == 1 and "must start with http" in bad.stderr


def test_cid_uses_the_same_addressing_as_the_store(tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world")
    result = wallet("cid", str(path))
    assert result.returncode == 0 and result.stdout.strip() == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
    v1 = wallet("cid", "--cid-version", "1", str(path))
    assert v1.stdout.strip() == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    missing = wallet("cid", str(tmp_path / "absent.txt"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.anvil
def test_verify_against_the_chain_without_the_registry(tmp_path: Path) -> None:
    from ledger_service.chain import ChainConfig, Ledger
    from tests.credentials.test_issuance import class_records
    from tests.utils.issuance import issue_on_ledger

    with Ledger.open(ChainConfig(data_dir=tmp_path / "data", anvil_port=0, snapshot_interval=0, block_time=None)) as ledger:
        credential = issue_on_ledger(ledger, tmp_path, class_records(2), "wallet")[0]
        path = tmp_path / "credential.json"
        path.write_text(json.dumps(credential, ensure_ascii=False))
        deployment = tmp_path / "data" / "deployment.json"
        url = ledger.node.url if ledger.node else ""
        valid = wallet("verify", str(path), "--deployment", str(deployment), "--rpc-url", url)
        assert valid.returncode == 0, valid.stdout + valid.stderr
        assert "outcome: valid" in valid.stdout
        forged = {**credential, "name": "伪造"}
        (tmp_path / "forged.json").write_text(json.dumps(forged, ensure_ascii=False))
        invalid = wallet("verify", str(tmp_path / "forged.json"), "--deployment", str(deployment), "--rpc-url", url)
        assert invalid.returncode == 1 and "outcome: invalid" in invalid.stdout
        made = wallet("bundle", str(path), "--deployment", str(deployment), "--rpc-url", url, "-o", str(tmp_path / "bundle.json"))
        assert made.returncode == 0 and "wrote" in made.stdout, made.stderr
        trust = tmp_path / "trust.json"
        block = str(int(json.loads((tmp_path / "bundle.json").read_text())["block"]["number"], 16))
        exported = wallet("trust", "export", "--deployment", str(deployment), "--rpc-url", url, "--at-block", block, "-o", str(trust))
        assert exported.returncode == 0 and f"trusted block {block}" in exported.stdout, exported.stderr
        online = wallet("verify", str(tmp_path / "bundle.json"), "--deployment", str(deployment), "--rpc-url", url)
        assert online.returncode == 0 and "checkpoint" not in online.stdout, "online, the live chain decides"
    unreachable = wallet("verify", str(path), "--deployment", str(deployment), "--rpc-url", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 3 and "cannot_tell" in unreachable.stdout
    offline = wallet("verify", str(tmp_path / "bundle.json"), "--trust", str(trust))  # the chain is gone: bundle + trust suffice
    assert offline.returncode == 0 and "outcome: valid" in offline.stdout and f"proven at block {block}" in offline.stdout
    untrusted = wallet("verify", str(tmp_path / "bundle.json"))
    assert untrusted.returncode == 3 and "no trust anchor" in untrusted.stdout
    no_deployment = wallet("verify", str(path))
    assert no_deployment.returncode == 1 and "--deployment is needed" in no_deployment.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    broken = wallet("verify", str(garbage), "--deployment", str(deployment), "--rpc-url", f"http://127.0.0.1:{free_port()}")
    assert broken.returncode == 1 and "not JSON" in broken.stdout

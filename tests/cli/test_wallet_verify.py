"""``edu-wallet verify`` / ``bundle`` / ``trust export`` against issue 10 items 1–5: forged bundles are never
valid, duplicate keys and hostile fields are an invalid outcome or one line, never a traceback."""

from __future__ import annotations

import copy
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger_service.chain import ChainConfig, Ledger
from ledger_service.credentials import StatusList
from tests.cli.test_wallet import wallet
from tests.credentials.test_issuance import class_records
from tests.credentials.test_verification import HOSTILE, _hostile
from tests.utils.forgery import forged_bundle
from tests.utils.issuance import issue_on_ledger, publish_status_list
from wallet_cli.main import main

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    with Ledger.open(
        ChainConfig(data_dir=tmp_path_factory.mktemp("wallet-chain"), anvil_port=0, snapshot_interval=0, block_time=None)
    ) as opened:
        yield opened


def in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """The wallet's ``main`` in this process (as the console script runs it): exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["edu-wallet", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = main()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def on_chain(command: str, path: str | Path, deployment: str, url: str) -> tuple[str, ...]:
    """The wallet's words for ``command`` on the file at ``path`` with the chain at hand (its deployment file and RPC URL)."""
    return (command, str(path), "--deployment", deployment, "--rpc-url", url)


def revocable(
    ledger: Ledger, tmp_path: Path, lists_at: str = "https://registry.example"
) -> tuple[list[dict[str, Any]], StatusList, dict[str, Any]]:
    """Two classmates' records on a new revocation list served under ``lists_at``, issued on the ledger: the
    credentials, the list, and the list's credential as published."""
    status = StatusList(f"{lists_at}/status-lists/{uuid.uuid4().hex[:12]}", "revocation")
    documents = class_records(2)
    for document in documents:
        document["id"] += f"-{uuid.uuid4().hex[:8]}"
        document["credentialStatus"] = status.entry(status.allocate())
    credentials = issue_on_ledger(ledger, tmp_path, documents, uuid.uuid4().hex[:10])
    return credentials, status, publish_status_list(ledger, tmp_path, status)


def files(ledger: Ledger, tmp_path: Path) -> tuple[str, str]:
    deployment = tmp_path / "chain.json"
    deployment.write_text(json.dumps({"chain_id": ledger.chain_id, "contracts": ledger.deployment.contracts}))
    return str(deployment), ledger.node.url if ledger.node else ""


def test_the_forged_bundle_never_exits_zero(ledger: Ledger, tmp_path: Path) -> None:
    """Issue 10 item 1 at the wallet: the self-made bundle exited 0."""
    credential = issue_on_ledger(ledger, tmp_path, class_records(1), uuid.uuid4().hex[:10])[0]
    deployment, url = files(ledger, tmp_path)
    forged = tmp_path / "forged.json"
    forged.write_text(
        json.dumps(
            forged_bundle(
                credential,
                chain_id=ledger.chain_id,
                anchor=ledger.contracts["CredentialAnchor"].address,
                directory=ledger.contracts["InstitutionRegistry"].address,
            ),
            ensure_ascii=False,
        )
    )
    assert wallet("trust", "export", "--deployment", deployment, "--rpc-url", url, "-o", str(tmp_path / "trust.json")).returncode == 0
    offline = wallet("verify", str(forged), "--trust", str(tmp_path / "trust.json"))
    assert offline.returncode == 3 and "outcome: cannot_tell" in offline.stdout
    online = wallet(*on_chain("verify", forged, deployment, url))
    assert online.returncode == 1 and "outcome: invalid" in online.stdout and "not anchored" in online.stdout


def test_trust_export_bundle_at_a_checkpoint_and_status_age(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials, status, listed = revocable(ledger, tmp_path)
    deployment, url = files(ledger, tmp_path)
    (tmp_path / "credential.json").write_text(json.dumps(credentials[0], ensure_ascii=False))
    (tmp_path / "list.json").write_text(json.dumps(listed, ensure_ascii=False))
    trust = str(tmp_path / "trust.json")
    assert in_process(capsys, monkeypatch, "trust", "export", "--deployment", deployment, "--rpc-url", url, "-o", trust)[0] == 0
    ledger.sender.transact(ledger.contracts["InstitutionRegistry"].transaction("grantRole", b"\x01" * 32, ledger.sender.address))
    code, out, _ = in_process(capsys, monkeypatch, "trust", "export", "--deployment", deployment, "--rpc-url", url, "-o", trust)
    assert code == 0 and "2 checkpoint(s)" in out
    first = min(json.loads(Path(trust).read_text())["checkpoints"], key=lambda c: c["blockNumber"])["blockNumber"]
    bundle = str(tmp_path / "bundle.json")
    code, out, err = in_process(
        capsys,
        monkeypatch,
        *on_chain("bundle", tmp_path / "credential.json", deployment, url),
        "--status-list",
        str(tmp_path / "list.json"),
        "--no-fetch-status",
        "--at-block",
        str(first),
        "-o",
        bundle,
    )
    assert code == 0 and f"block {first}" in out, err
    code, out, _ = in_process(capsys, monkeypatch, "verify", bundle, "--trust", trust)
    assert code == 0 and "outcome: valid" in out
    time.sleep(1.1)  # the bundle's block is now more than 0 s old
    code, out, _ = in_process(capsys, monkeypatch, "verify", bundle, "--trust", trust, "--max-status-age", "0")
    assert code == 3 and "ask for a newer bundle" in out, "item 2 offline: status older than the limit"
    # Item 3: a classmate is revoked; the saved list is stale; with the chain at hand and no current list: cannot tell.
    status.set(int(credentials[1]["credentialStatus"]["statusListIndex"]))
    publish_status_list(ledger, tmp_path, status, valid_from="2026-11-23T08:00:00Z")
    code, out, _ = in_process(
        capsys,
        monkeypatch,
        *on_chain("verify", tmp_path / "credential.json", deployment, url),
        "--status-list",
        str(tmp_path / "list.json"),
        "--no-fetch-status",
    )
    assert code == 3 and "stale (version 1, current 2)" in out


def test_duplicate_keys_and_hostile_files_are_one_line_or_invalid(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items 4 and 5 at the wallet: an invalid outcome naming the check, or one line and a non-zero exit."""
    credentials, _, listed = revocable(ledger, tmp_path)
    deployment, url = files(ledger, tmp_path)
    text = json.dumps(credentials[0], ensure_ascii=False)
    duplicate = tmp_path / "duplicate.json"
    duplicate.write_text('{"name": "全国一等奖（伪造）", ' + text[1:])
    code, out, _ = in_process(capsys, monkeypatch, *on_chain("verify", duplicate, deployment, url))
    assert code == 1 and "schema" in out and 'duplicate key "name"' in out and "outcome: invalid" in out
    for change in HOSTILE:
        path = tmp_path / "hostile.json"
        path.write_text(json.dumps(_hostile(credentials[0], change), ensure_ascii=True, allow_nan=True).replace("Infinity", "1e400"))
        code, out, err = in_process(capsys, monkeypatch, *on_chain("verify", path, deployment, url), "--no-fetch-status")
        assert code == 1 and "outcome: invalid" in out and "Traceback" not in out + err, (change, out, err)
    code, _, err = in_process(capsys, monkeypatch, *on_chain("bundle", duplicate, deployment, url))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "duplicate key" in err
    # A bundle whose status list lacks its subject; a bundle nested 900 deep.
    bundle_path = tmp_path / "bundle.json"
    (tmp_path / "list.json").write_text(json.dumps(listed, ensure_ascii=False))
    (tmp_path / "credential.json").write_text(text)
    assert (
        in_process(
            capsys,
            monkeypatch,
            *on_chain("bundle", tmp_path / "credential.json", deployment, url),
            "--status-list",
            str(tmp_path / "list.json"),
            "--no-fetch-status",
            "-o",
            str(bundle_path),
        )[0]
        == 0
    )
    bundle = json.loads(bundle_path.read_text())
    hollow = copy.deepcopy(bundle)
    del hollow["statusLists"][0]["credential"]["credentialSubject"]
    bundle_path.write_text(json.dumps(hollow))
    code, out, err = in_process(capsys, monkeypatch, *on_chain("verify", bundle_path, deployment, url), "--no-fetch-status")
    assert code in (1, 3) and "Traceback" not in out + err
    bundle_path.write_text('{"type": "EduLedgerVerificationBundle", "credential": ' + "[" * 900 + "]" * 900 + "}")
    code, out, err = in_process(capsys, monkeypatch, "verify", str(bundle_path))
    assert code == 1 and "outcome: invalid" in out and "nests deeper" in out


def test_an_unexpected_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import ledger_service.credentials

    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ledger_service.credentials, "verify_bundle", broken)  # the command imports it when it runs
    path = tmp_path / "bundle.json"
    path.write_text('{"type": "EduLedgerVerificationBundle", "version": 2}')
    code, out, err = in_process(capsys, monkeypatch, "verify", str(path))
    assert code == 1 and err.strip().splitlines() == [err.strip()] and "UnexpectedError: ZeroDivisionError: a bug" in err


def test_with_a_chain_the_list_published_at_its_url_decides(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items 2 and 3 with the wallet online: a saved (stale) list is outdone by the one fetched from its URL."""
    import http.server
    import threading

    served: dict[str, bytes] = {}

    class Lists(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Lists)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        credentials, status, saved = revocable(ledger, tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
        status.set(int(credentials[0]["credentialStatus"]["statusListIndex"]))
        current = publish_status_list(ledger, tmp_path, status, valid_from="2026-11-23T08:00:00Z")
        served[status.url.split(str(server.server_address[1]), 1)[1]] = json.dumps(current).encode()
        deployment, url = files(ledger, tmp_path)
        (tmp_path / "saved.json").write_text(json.dumps(saved))
        for which, expected, outcome in ((0, 1, "invalid"), (1, 0, "valid")):
            (tmp_path / "credential.json").write_text(json.dumps(credentials[which], ensure_ascii=False))
            code, out, _ = in_process(
                capsys,
                monkeypatch,
                *on_chain("verify", tmp_path / "credential.json", deployment, url),
                "--status-list",
                str(tmp_path / "saved.json"),
            )
            assert code == expected and f"outcome: {outcome}" in out, out
        served.clear()  # the publisher is unreachable: the saved list is all there is, and it is stale
        code, out, _ = in_process(
            capsys,
            monkeypatch,
            *on_chain("verify", tmp_path / "credential.json", deployment, url),
            "--status-list",
            str(tmp_path / "saved.json"),
        )
        assert code == 3 and "stale (version 1, current 2)" in out
    finally:
        server.shutdown()
        server.server_close()


def test_a_did_web_issuer_online_and_in_a_bundle(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wallet compares a did:web issuer's DID document with the chain (given as a file here; fetched
    from its URL otherwise); a bundle carries it, so offline verification compares it with the proven state."""
    from ledger_service.credentials import Ed25519KeyPair, did_document, did_web
    from tests.utils.issuance import BUREAU_SIGNING_KEY, ROOT_BUREAU

    did = did_web("registry.example", ROOT_BUREAU)
    credential = issue_on_ledger(ledger, tmp_path, class_records(1), uuid.uuid4().hex[:10], issuer_did=did)[0]
    deployment, url = files(ledger, tmp_path)
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    genuine, leaves_out = tmp_path / "did.json", tmp_path / "did-bad.json"
    genuine.write_text(json.dumps(did_document(did, [(BUREAU_SIGNING_KEY.public, True)])))
    leaves_out.write_text(json.dumps(did_document(did, [(BUREAU_SIGNING_KEY.public, False)])))
    online = on_chain("verify", path, deployment, url)
    code, out, _ = in_process(capsys, monkeypatch, *online, "--did-document", str(genuine))
    assert code == 0 and "did_document" in out and "outcome: valid" in out
    code, out, _ = in_process(capsys, monkeypatch, *online, "--no-fetch-did")
    assert code == 3 and "was not given (--did-document)" in out
    code, out, _ = in_process(capsys, monkeypatch, *online, "--did-document", str(leaves_out))
    assert code == 1 and "leaves out key" in out

    trust, bundle = str(tmp_path / "trust.json"), tmp_path / "bundle.json"
    assert in_process(capsys, monkeypatch, "trust", "export", "--deployment", deployment, "--rpc-url", url, "-o", trust)[0] == 0
    code, out, err = in_process(
        capsys,
        monkeypatch,
        *on_chain("bundle", path, deployment, url),
        "--did-document",
        str(genuine),
        "--trust",
        trust,
        "-o",
        str(bundle),
    )
    assert code == 0, err
    assert json.loads(bundle.read_text())["didDocuments"][did]["id"] == did
    code, out, _ = in_process(capsys, monkeypatch, "verify", str(bundle), "--trust", trust)
    assert code == 0 and "outcome: valid" in out
    forged = json.loads(bundle.read_text())
    forged["didDocuments"][did] = did_document(did, [(BUREAU_SIGNING_KEY.public, True), (Ed25519KeyPair.generate().public, True)])
    bundle.write_text(json.dumps(forged))
    code, out, _ = in_process(capsys, monkeypatch, "verify", str(bundle), "--trust", trust)
    assert code != 0 and "outcome: valid" not in out  # a foreign key the proven state never registered: never valid
    code, _, err = in_process(
        capsys,
        monkeypatch,
        *on_chain("bundle", path, deployment, url),
        "--no-fetch-did",
        "-o",
        str(tmp_path / "none.json"),
    )
    assert code != 0 and "was not given" in err and "Traceback" not in err


def test_the_holder_derives_a_selectively_disclosed_copy_without_the_registry(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 item 6 at the wallet: derive offline, verify the copy against the chain; a changed copy is invalid."""
    status = StatusList(f"https://registry.example/status-lists/{uuid.uuid4().hex[:12]}", "revocation")
    documents = class_records(1)
    documents[0]["id"] += f"-{uuid.uuid4().hex[:8]}"
    documents[0]["credentialStatus"] = status.entry(status.allocate())
    credential = issue_on_ledger(ledger, tmp_path, documents, uuid.uuid4().hex[:10], selective_disclosure=True)[0]
    listed = publish_status_list(ledger, tmp_path, status)
    (tmp_path / "list.json").write_text(json.dumps(listed, ensure_ascii=False))
    (tmp_path / "credential.json").write_text(json.dumps(credential, ensure_ascii=False))
    deployment, url = files(ledger, tmp_path)

    code, out, _ = in_process(capsys, monkeypatch, "derive", str(tmp_path / "credential.json"), "--list")
    assert code == 0 and "always  /credentialStatus" in out and "choose  /credentialSubject/achievement/description" in out
    derived_path = tmp_path / "derived.json"
    code, out, _ = in_process(
        capsys,
        monkeypatch,
        "derive",
        str(tmp_path / "credential.json"),
        "--reveal",
        "/credentialSubject/achievement/fieldOfStudy",
        "-o",
        str(derived_path),
    )
    assert code == 0, out
    derived = json.loads(derived_path.read_text())
    assert (
        "description" not in derived["credentialSubject"]["achievement"] and derived["credentialStatus"] == credential["credentialStatus"]
    )

    def verified(path: Path) -> tuple[int, str]:
        code, out, err = in_process(
            capsys, monkeypatch, *on_chain("verify", path, deployment, url), "--no-fetch-status",
            "--status-list", str(tmp_path / "list.json"),
        )  # fmt: skip
        return code, out + err

    code, out = verified(derived_path)
    assert code == 0 and "outcome: valid" in out, out
    changed = copy.deepcopy(derived)
    changed["credentialSubject"]["achievement"]["fieldOfStudy"] = "艺术素养"
    (tmp_path / "changed.json").write_text(json.dumps(changed, ensure_ascii=False))
    code, out = verified(tmp_path / "changed.json")
    assert code == 1 and "FAIL  issuer_signature" in out and "outcome: invalid" in out, out
    code, out, err = in_process(capsys, monkeypatch, "derive", str(tmp_path / "credential.json"), "--reveal", "/nothing/here")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "does not match" in err
    code, out, err = in_process(capsys, monkeypatch, "derive", str(derived_path), "--reveal", "/name")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "not a base proof" in err, "a derived copy derives no further"

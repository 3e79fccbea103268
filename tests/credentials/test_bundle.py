"""Bundles on a real anvil: online the live chain decides; offline only facts proven against a block
the verifier trusted beforehand count, and nothing self-asserted is ever "valid"."""

from __future__ import annotations

import copy
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger_service import ChainUnavailableError, ConfigurationError, CredentialError
from ledger_service.chain import ChainConfig, HttpRpcClient, Ledger, block_header_hash, find_anvil, free_port
from ledger_service.credentials import (
    BUNDLE_TYPE,
    CANNOT_TELL,
    INVALID,
    VALID,
    ChainView,
    StatusList,
    TrustAnchor,
    derive_credential,
    make_bundle,
    trust_anchor_from_node,
    verify_bundle,
)
from tests.credentials.test_issuance import class_records
from tests.utils.forgery import FORGED_NAME, forged_bundle, forged_into_proven_bundle
from tests.utils.issuance import issue_on_ledger, publish_status_list

pytestmark = pytest.mark.anvil

DAY = 86400


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    data_dir = tmp_path_factory.mktemp("bundle-chain")
    with Ledger.open(ChainConfig(data_dir=data_dir, anvil_port=0, snapshot_interval=0, block_time=None)) as opened:
        yield opened


def view(ledger: Ledger) -> ChainView:
    return ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)


def trust_at(ledger: Ledger, block: int | None = None) -> TrustAnchor:
    contracts = {name: ledger.contracts[name].address for name in ("CredentialAnchor", "InstitutionRegistry")}
    return trust_anchor_from_node(ledger.rpc, chain_id=ledger.chain_id, contracts=contracts, at_block=block)


class Revocable:
    """A batch of three with a revocation list, issued under a unique name per test."""

    def __init__(self, ledger: Ledger, tmp_path: Path, *, selective_disclosure: bool = False) -> None:
        self.ledger, self.tmp_path = ledger, tmp_path
        self.status = StatusList(f"https://registry.example/status-lists/{tmp_path.name}", "revocation")
        documents = class_records(3)
        for document in documents:
            document["id"] += f"-{tmp_path.name}"
            document["credentialStatus"] = self.status.entry(self.status.allocate())
        self.credentials = issue_on_ledger(ledger, tmp_path, documents, tmp_path.name, selective_disclosure=selective_disclosure)
        self.listed = self.publish()

    def publish(self) -> dict[str, Any]:
        self.listed = publish_status_list(self.ledger, self.tmp_path, self.status)
        return self.listed

    def revoke(self, which: int) -> dict[str, Any]:
        self.status.set(int(self.credentials[which]["credentialStatus"]["statusListIndex"]))
        return self.publish()

    def bundle(self, which: int, **kwargs: Any) -> dict[str, Any]:
        made = make_bundle(self.credentials[which], chain=view(self.ledger), status_resolver=lambda url: self.listed, **kwargs)
        return json.loads(json.dumps(made, ensure_ascii=False))  # as a file would carry it


def block_of(bundle: dict[str, Any]) -> int:
    return int(bundle["block"]["number"], 16)


def block_time(bundle: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(bundle["block"]["timestamp"], 16), timezone.utc)


def result(report: Any) -> tuple[str, str | None]:
    return report.outcome, report.failed.name if report.failed else None


def detail(report: Any, name: str) -> str:
    return next(c.detail for c in report.checks if c.name == name)


def test_header_hashes_are_recomputed_exactly_as_anvil_computes_them(ledger: Ledger, tmp_path: Path) -> None:
    issue_on_ledger(ledger, tmp_path, class_records(1), tmp_path.name)
    head = int(ledger.rpc.request("eth_blockNumber"), 16)
    for number in sorted({0, 1, head // 2, head}):
        header = ledger.rpc.request("eth_getBlockByNumber", [hex(number), False])
        assert "parentBeaconBlockRoot" in header and "requestsHash" not in header, "the embedded chain runs Cancun"
        assert "0x" + block_header_hash(header).hex() == header["hash"]


@pytest.mark.parametrize("hardfork", ["prague", "shanghai", "london"])
def test_header_hashes_of_other_forks_match_anvil(hardfork: str) -> None:
    port = free_port()
    node = subprocess.Popen(
        [str(find_anvil()), "--port", str(port), "--hardfork", hardfork, "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    rpc = HttpRpcClient(f"http://127.0.0.1:{port}", timeout=5)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                accounts = rpc.request("eth_accounts")
                break
            except ChainUnavailableError:
                assert time.monotonic() < deadline, "anvil did not start"
                time.sleep(0.05)
        rpc.request("eth_sendTransaction", [{"from": accounts[0], "to": accounts[1], "value": "0x1"}])
        for tag in ("0x0", "latest"):
            header = rpc.request("eth_getBlockByNumber", [tag, False])
            if hardfork == "prague":
                assert "requestsHash" in header
            assert "0x" + block_header_hash(header).hex() == header["hash"]
    finally:
        rpc.close()
        node.terminate()
        node.wait(10)


def test_a_bundle_verifies_offline_only_against_a_trusted_checkpoint(ledger: Ledger, tmp_path: Path) -> None:
    batch = Revocable(ledger, tmp_path)
    bundle = batch.bundle(0)
    assert bundle["type"] == BUNDLE_TYPE and bundle["version"] == 2
    trust = TrustAnchor.from_json(json.loads(json.dumps(trust_at(ledger, block_of(bundle)).to_json())))
    now = block_time(bundle) + timedelta(days=3)
    report = verify_bundle(bundle, trust=trust, now=now)
    assert result(report) == (VALID, None), report.as_dict()
    assert [c.name for c in report.checks][:2] == ["bundle", "checkpoint"]
    assert "proven in the state of trusted block" in detail(report, "anchored")
    assert report.freshness == {"block": block_of(bundle), "block_time": bundle_time_iso(bundle), "status_age_seconds": 3 * DAY}

    untrusted = verify_bundle(bundle, now=now)
    assert result(untrusted) == (CANNOT_TELL, None) and "no trust anchor" in detail(untrusted, "checkpoint")
    assert {c.name: c.result for c in untrusted.checks}["issuer_signature"] == "pass", "the cryptography is still checked"

    later = trust_at(ledger)  # a checkpoint at another block
    issue_on_ledger(ledger, tmp_path, [{**class_records(1)[0], "id": f"urn:other:{tmp_path.name}"}], f"{tmp_path.name}-b")
    elsewhere = verify_bundle(bundle, trust=trust_at(ledger), now=now)
    assert elsewhere.outcome == CANNOT_TELL and "holds no checkpoint" in detail(elsewhere, "checkpoint")
    assert verify_bundle(bundle, trust=trust.merged(later), now=now).outcome == VALID, "any of the trusted checkpoints will do"
    lying = TrustAnchor(trust.chain_id, trust.contracts, {block_of(bundle): b"\x01" * 32})
    assert "not the trusted" in detail(verify_bundle(bundle, trust=lying, now=now), "checkpoint")
    other_chain = TrustAnchor(trust.chain_id + 1, trust.contracts, trust.checkpoints)
    assert verify_bundle(bundle, trust=other_chain, now=now).outcome == CANNOT_TELL


def bundle_time_iso(bundle: dict[str, Any]) -> str:
    return block_time(bundle).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_forged_bundle_of_the_report_never_verifies(ledger: Ledger, tmp_path: Path) -> None:
    """Issue 10 item 1, as reported: fresh key, one-leaf root, invented anchor/issuer/accreditation/signing-key records."""
    batch = Revocable(ledger, tmp_path)
    contracts = {name: ledger.contracts[name].address for name in ("CredentialAnchor", "InstitutionRegistry")}
    forged = forged_bundle(
        batch.credentials[0], chain_id=ledger.chain_id, anchor=contracts["CredentialAnchor"], directory=contracts["InstitutionRegistry"]
    )
    assert forged["credential"]["name"] == FORGED_NAME and "credentialStatus" not in forged["credential"]
    offline = verify_bundle(forged)
    assert offline.outcome == CANNOT_TELL and "version-1" in detail(offline, "checkpoint")
    assert {c.name: c.result for c in offline.checks}["merkle_path"] == "pass", "the forgery is self-consistent"
    assert verify_bundle(forged, trust=trust_at(ledger)).outcome == CANNOT_TELL, "self-asserted records are never proven"
    online = verify_bundle(forged, chain=view(ledger))
    assert result(online) == (INVALID, "anchored") and "not anchored" in detail(online, "anchored")

    # A version-2 forgery: a genuine bundle with the forgery swapped in, and the node's real proofs of the forged root.
    genuine = batch.bundle(0)
    trust = trust_at(ledger, block_of(genuine))
    proven = forged_into_proven_bundle(genuine, batch.credentials[0], ledger.rpc)
    assert result(verify_bundle(proven, trust=trust, now=block_time(genuine))) == (INVALID, "anchored")
    unproven = copy.deepcopy(genuine)
    unproven["credential"] = proven["credential"]
    assert verify_bundle(unproven, trust=trust, now=block_time(genuine)).outcome == CANNOT_TELL, "no proof of the forged root"


def test_tampered_proofs_and_headers_are_never_believed(ledger: Ledger, tmp_path: Path) -> None:
    batch = Revocable(ledger, tmp_path)
    bundle = batch.bundle(1)
    trust = trust_at(ledger, block_of(bundle))
    moment = block_time(bundle)

    def tampered(change: Any) -> tuple[str, str | None]:
        copied = copy.deepcopy(bundle)
        change(copied)
        return result(verify_bundle(copied, trust=trust, now=moment))

    def flip_storage_node(b: dict[str, Any]) -> None:
        proofs = b["proofs"][b["chain"]["contracts"]["InstitutionRegistry"]]["storageProof"]
        slot = next(iter(proofs))
        node = proofs[slot][-1]
        proofs[slot][-1] = node[:-2] + ("00" if node[-2:] != "00" else "01")

    def drop_account_proof(b: dict[str, Any]) -> None:
        b["proofs"][b["chain"]["contracts"]["CredentialAnchor"]]["accountProof"] = []

    def other_state_root(b: dict[str, Any]) -> None:
        b["block"]["stateRoot"] = "0x" + "22" * 32

    assert tampered(flip_storage_node)[0] == CANNOT_TELL
    assert tampered(drop_account_proof)[0] == CANNOT_TELL
    assert tampered(other_state_root)[0] == CANNOT_TELL
    assert tampered(lambda b: b["block"].pop("parentBeaconBlockRoot"))[0] == CANNOT_TELL
    assert tampered(lambda b: b["block"].__setitem__("timestamp", hex(int(b["block"]["timestamp"], 16) + 1)))[0] == CANNOT_TELL
    assert tampered(lambda b: b["credential"].__setitem__("name", "优秀")) == (INVALID, "canonical_hash")
    assert tampered(lambda b: b["contexts"].__setitem__(next(iter(b["contexts"])), "{}")) == (INVALID, "bundle")
    # A status list swapped for one the bundle's block does not hold: not provable offline, never valid.
    batch.revoke(2)
    assert tampered(lambda b: b["statusLists"][0].__setitem__("credential", batch.listed))[0] == CANNOT_TELL
    assert tampered(lambda b: b["statusLists"][0]["credential"].pop("credentialSubject"))[0] == CANNOT_TELL
    assert tampered(lambda b: b["statusLists"].clear())[0] == CANNOT_TELL
    assert result(verify_bundle({"type": "nope"})) == (INVALID, "bundle")
    assert result(verify_bundle("garbage")) == (INVALID, "bundle")
    assert result(verify_bundle({"type": BUNDLE_TYPE, "version": 3, "credential": {}})) == (INVALID, "bundle")


def test_revocation_online_and_offline(ledger: Ledger, tmp_path: Path) -> None:
    """Issue 10 item 2: an old bundle of a revoked credential is invalid online (the list in force decides),
    and offline its status is refused once older than the limit."""
    batch = Revocable(ledger, tmp_path)
    old = batch.bundle(1)
    trust = trust_at(ledger, block_of(old))
    assert verify_bundle(old, trust=trust, now=block_time(old) + timedelta(days=29)).outcome == VALID
    aged = verify_bundle(old, trust=trust, now=block_time(old) + timedelta(days=31))
    assert aged.outcome == CANNOT_TELL and "ask for a newer bundle" in detail(aged, "status")
    assert verify_bundle(old, trust=trust, now=block_time(old) + timedelta(days=31), max_status_age=40 * DAY).outcome == VALID

    current = batch.revoke(1)
    online = verify_bundle(old, chain=view(ledger), status_resolver=lambda url: current)
    assert result(online) == (INVALID, "status")
    without_current = verify_bundle(old, chain=view(ledger))
    assert without_current.outcome == CANNOT_TELL and "stale (version 1, current 2)" in detail(without_current, "status")
    classmate = verify_bundle(batch.bundle(0), chain=view(ledger))
    assert classmate.outcome == VALID, "a bundle made after the revocation carries the list in force"

    fresh = batch.bundle(1)
    assert result(verify_bundle(fresh, trust=trust_at(ledger, block_of(fresh)), now=block_time(fresh))) == (INVALID, "status")


def test_a_version_1_bundle_is_cannot_tell_offline_and_verified_live_online(ledger: Ledger, tmp_path: Path) -> None:
    batch = Revocable(ledger, tmp_path)
    old_style = {
        "type": BUNDLE_TYPE,
        "version": 1,
        "credential": batch.credentials[0],
        "capturedAt": "2026-11-22T00:00:00Z",
        "statusLists": [{"url": batch.status.url, "credential": batch.listed}],
        "contexts": {},
    }
    assert verify_bundle(old_style, trust=trust_at(ledger)).outcome == CANNOT_TELL
    assert result(verify_bundle(old_style, chain=view(ledger))) == (VALID, None)


def test_later_retroactive_revocation_is_seen_by_a_newer_bundle(ledger: Ledger, tmp_path: Path) -> None:
    """Offline means the state of the trusted block; the freshness says which."""
    from tests.utils.issuance import GROWTH_RECORD, ROOT_BUREAU

    batch = Revocable(ledger, tmp_path)
    before = batch.bundle(0)
    directory = ledger.contracts["InstitutionRegistry"]
    grant = directory.call("accreditation", ROOT_BUREAU, GROWTH_RECORD)
    try:
        ledger.sender.transact(directory.transaction("revokeAccreditation", ROOT_BUREAU, GROWTH_RECORD, 1))
        assert verify_bundle(before, trust=trust_at(ledger, block_of(before)), now=block_time(before)).outcome == VALID
        after = batch.bundle(0)
        assert result(verify_bundle(after, trust=trust_at(ledger, block_of(after)), now=block_time(after))) == (
            INVALID,
            "issuer_accredited",
        )
        assert result(verify_bundle(before, chain=view(ledger))) == (INVALID, "issuer_accredited")
    finally:  # other tests of the module issue under this bureau
        ledger.sender.transact(directory.transaction("accredit", ROOT_BUREAU, GROWTH_RECORD, grant["validFrom"], grant["validUntil"]))


def test_making_a_bundle_needs_an_anchored_credential_and_the_list_in_force(ledger: Ledger, tmp_path: Path) -> None:
    batch = Revocable(ledger, tmp_path)
    with pytest.raises(CredentialError, match="status resolver"):
        make_bundle(batch.credentials[0], chain=view(ledger))
    stale = batch.listed
    batch.revoke(2)
    with pytest.raises(CredentialError, match="not the one in force"):
        make_bundle(batch.credentials[0], chain=view(ledger), status_resolver=lambda url: stale)
    unanchored = {k: v for k, v in batch.credentials[0].items() if k != "proof"}
    with pytest.raises(CredentialError, match="no EduLedger anchor proof"):
        make_bundle(unanchored, chain=view(ledger), status_resolver=lambda url: batch.listed)
    at = make_bundle(batch.credentials[0], chain=view(ledger), status_resolver=lambda url: [stale, batch.listed], at_block=None)
    assert block_of(at) == int(ledger.rpc.request("eth_blockNumber"), 16)


def test_trust_anchors_are_read_strictly(ledger: Ledger) -> None:
    trust = trust_at(ledger)
    document = trust.to_json()
    assert TrustAnchor.from_json(document) == trust
    for broken in (
        {**document, "type": "x"},
        {**document, "chainId": "1"},
        {**document, "checkpoints": []},
        {**document, "checkpoints": [{"blockNumber": 1, "blockHash": "0x12"}]},
        {**document, "contracts": {}},
    ):
        with pytest.raises(ConfigurationError, match="unreadable trust anchor"):
            TrustAnchor.from_json(broken)
    with pytest.raises(ConfigurationError, match="two different trusted hashes"):
        trust.merged(TrustAnchor(trust.chain_id, trust.contracts, {n: b"\x09" * 32 for n in trust.checkpoints}))
    with pytest.raises(ConfigurationError, match="not chain"):
        trust_anchor_from_node(ledger.rpc, chain_id=ledger.chain_id + 1, contracts=dict(trust.contracts))


def test_a_derived_copy_travels_in_a_bundle_and_verifies_offline(ledger: Ledger, tmp_path: Path) -> None:
    """Issue 12 item 6: a selectively disclosed copy is bundled and judged offline like the credential it came from."""
    batch = Revocable(ledger, tmp_path, selective_disclosure=True)
    derived = derive_credential(batch.credentials[0], ["/credentialSubject/achievement/fieldOfStudy"])
    bundle = json.loads(json.dumps(make_bundle(derived, chain=view(ledger), status_resolver=lambda url: batch.listed)))
    trust = trust_at(ledger, block_of(bundle))
    now = block_time(bundle) + timedelta(days=1)
    report = verify_bundle(bundle, trust=trust, now=now)
    assert result(report) == (VALID, None), report.as_dict()
    assert "description" not in bundle["credential"]["credentialSubject"]["achievement"], "the bundle carries the derived copy only"
    bundle["credential"]["credentialSubject"]["achievement"]["fieldOfStudy"] = "艺术素养"
    assert result(verify_bundle(bundle, trust=trust, now=now)) == (INVALID, "issuer_signature")

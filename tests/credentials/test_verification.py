"""Verification reports: each check on its own; valid only when all pass; cannot tell when unsure."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from ledger_service.chain import BoundContract, HttpRpcClient, free_port
from ledger_service.credentials import (
    ANCHOR_PROOF_TYPE,
    CANNOT_TELL,
    INVALID,
    JCS_SUITE,
    LEGACY_LIFECYCLE_MESSAGES,
    RDFC_SUITE,
    REVOKED,
    VALID,
    BatchIssuer,
    ChainView,
    Ed25519KeyPair,
    StatusList,
    institution_uri,
    sign,
    status_list_hash,
    verify_credential,
)
from tests.credentials.test_issuance import CREATED, class_records
from tests.utils.institutions import CITY, CITY_ADMIN, GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
STATUS_TYPE = keccak(b"EduLedger.StatusList")
STATUS_URL = "https://registry.example/status/school/revocation/1"


def view(suite: PyEvmSuite) -> ChainView:
    return ChainView(suite.rpc, suite.contracts["CredentialAnchor"], suite.contracts["InstitutionRegistry"], suite.chain_id)


def issue(suite: PyEvmSuite, tmp_path: Path, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    issuer = BatchIssuer(
        tmp_path / "journal.sqlite3",
        sender=suite.sender(ISSUER_KEY),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts["InstitutionRegistry"],
        signing_key=SCHOOL_SIGNING_KEY,
    )
    return issuer.issue("batch", documents, credential_type=GROWTH_RECORD, created=CREATED).credentials


def outcome(suite: PyEvmSuite, credential: Any, **kwargs: Any) -> tuple[str, str | None]:
    report = verify_credential(credential, chain=view(suite), now=NOW, **kwargs)
    return report.outcome, report.failed.name if report.failed else None


def test_an_issued_credential_is_valid_with_every_check_passing(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(5))[2]
    report = verify_credential(credential, chain=view(suite), now=NOW)
    assert report.outcome == VALID
    assert [c.name for c in report.checks] == [
        "schema",
        "canonical_hash",
        "merkle_path",
        "anchored",
        "issuer_accredited",
        "issuer_signature",
        "signing_key",
        "status",
        "validity_dates",
    ]
    assert all(c.result == "pass" for c in report.checks)


def test_tampering_is_invalid_naming_the_check(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(3))[0]
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["description"] = "满分"
    assert outcome(suite, tampered) == (INVALID, "canonical_hash")
    forged_path = copy.deepcopy(credential)
    anchor_proof = forged_path["proof"][1]
    anchor_proof["merkleProof"] = ["0x" + "11" * 32]
    assert outcome(suite, forged_path) == (INVALID, "merkle_path")
    assert outcome(suite, {"not": "a credential"})[0] == INVALID
    assert outcome(suite, "garbage") == (INVALID, "schema")


def test_without_a_chain_the_answer_is_cannot_tell(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(2))[0]
    assert verify_credential(credential, chain=None, now=NOW).outcome == CANNOT_TELL
    dead = HttpRpcClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    unreachable = ChainView(
        dead,
        BoundContract("CredentialAnchor", suite.contracts["CredentialAnchor"].address, suite.contracts["CredentialAnchor"].abi, dead),
        BoundContract(
            "InstitutionRegistry", suite.contracts["InstitutionRegistry"].address, suite.contracts["InstitutionRegistry"].abi, dead
        ),
        suite.chain_id,
    )
    assert verify_credential(credential, chain=unreachable, now=NOW).outcome == CANNOT_TELL
    dead.close()


def test_revoking_the_key_later_keeps_earlier_credentials_valid(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(2))[0]
    suite.travel_to(suite.now() + 100)
    suite.transact("InstitutionRegistry", "revokeIssuerKey", suite.signer(ISSUER_KEY).address, suite.now() + 50, by=SCHOOL_ADMIN)
    assert outcome(suite, credential) == (VALID, None)
    # Revoking the school's accreditation back to before the anchoring invalidates it.
    suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, GROWTH_RECORD, 1, by=CITY_ADMIN)
    assert outcome(suite, credential) == (INVALID, "issuer_accredited")


def test_a_stale_but_genuine_list_is_cannot_tell_never_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 10 item 3: one revocation in a class must not turn every classmate's saved list into a failure."""
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "revocation")
    documents = class_records(3)
    for document in documents:
        document["credentialStatus"] = status.entry(status.allocate())
    credentials = issue(suite, tmp_path, documents)

    def publish() -> dict[str, Any]:
        listed = sign(
            status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=RDFC_SUITE, created=CREATED
        )
        suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
        return listed

    saved = publish()  # what every student saved with their credential
    status.set(int(credentials[1]["credentialStatus"]["statusListIndex"]))  # a classmate is revoked
    current = publish()
    report = verify_credential(credentials[0], chain=view(suite), now=NOW, status_resolver=lambda url: saved)
    assert report.outcome == CANNOT_TELL
    assert "stale (version 1, current 2)" in next(c.detail for c in report.checks if c.name == "status")
    assert outcome(suite, credentials[0], status_resolver=lambda url: [saved, current]) == (VALID, None)
    assert outcome(suite, credentials[1], status_resolver=lambda url: saved)[0] == CANNOT_TELL, "never valid from a stale list"


def test_status_revoked_forged_or_unavailable(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "revocation")
    documents = class_records(3)
    for document in documents:
        document["credentialStatus"] = status.entry(status.allocate())
    credentials = issue(suite, tmp_path, documents)
    key = Ed25519KeyPair.generate()

    def publish() -> dict[str, Any]:
        listed = sign(status.credential(issuer="did:example:school", valid_from=CREATED), key, cryptosuite=RDFC_SUITE, created=CREATED)
        suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
        return listed

    current = publish()
    assert outcome(suite, credentials[0], status_resolver=lambda url: current) == (VALID, None)
    status.set(int(credentials[1]["credentialStatus"]["statusListIndex"]))
    stale = current
    current = publish()
    assert outcome(suite, credentials[1], status_resolver=lambda url: current) == (INVALID, "status")
    assert outcome(suite, credentials[1], status_resolver=lambda url: [stale, current]) == (INVALID, "status"), (
        "the list in force decides, whatever else is at hand"
    )
    # A list never anchored for this URL is forged: invalid, even when it hides nothing.
    forged = sign(
        status.credential(issuer="did:example:school", valid_from="2026-11-30T00:00:00Z"), key, cryptosuite=RDFC_SUITE, created=CREATED
    )
    report = verify_credential(credentials[0], chain=view(suite), now=NOW, status_resolver=lambda url: forged)
    assert (report.outcome, report.failed and report.failed.name) == (INVALID, "status")
    assert "never anchored" in report.failed.detail
    assert outcome(suite, credentials[0])[0] == CANNOT_TELL, "no status list at hand"

    def unavailable(url: str) -> dict[str, Any]:
        raise KeyError(url)

    assert outcome(suite, credentials[0], status_resolver=unavailable)[0] == CANNOT_TELL


@pytest.mark.parametrize(("field", "value"), [("validUntil", "2026-11-30T00:00:00Z"), ("validFrom", "2027-01-01T00:00:00Z")])
def test_validity_dates(suite: PyEvmSuite, tmp_path: Path, field: str, value: str) -> None:
    build_tree(suite)
    documents = class_records(1)
    documents[0][field] = value
    (credential,) = issue(suite, tmp_path, documents)
    assert outcome(suite, credential) == (INVALID, "validity_dates")


def test_a_signing_key_is_judged_at_the_anchoring_time(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(2))[0]
    suite.travel_to(suite.now() + 100)
    key = SCHOOL_SIGNING_KEY.public.raw
    suite.transact("InstitutionRegistry", "revokeSigningKey", key, suite.now(), by=SCHOOL_ADMIN)  # rotation
    assert outcome(suite, credential) == (VALID, None), "rotating the key later keeps earlier credentials valid"


def test_a_compromised_signing_key_revoked_back_to_before_the_anchor_fails(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(2))[0]
    suite.transact("InstitutionRegistry", "revokeSigningKey", SCHOOL_SIGNING_KEY.public.raw, 1, by=SCHOOL_ADMIN)
    assert outcome(suite, credential) == (INVALID, "signing_key")


def test_a_credential_signed_by_an_unregistered_key_fails(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    rogue = Ed25519KeyPair.generate()
    suite.transact("InstitutionRegistry", "addSigningKey", CITY, rogue.public.raw, 0, 2**63, by=CITY_ADMIN)
    issuer = BatchIssuer(
        tmp_path / "j.sqlite3",
        sender=suite.sender(ISSUER_KEY),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts["InstitutionRegistry"],
        signing_key=rogue,
    )
    issuer._check_can_sign = lambda documents: None  # type: ignore[method-assign]  # a rogue issuer skips its own checks
    credential = issuer.issue("rogue", class_records(1), credential_type=GROWTH_RECORD, created=CREATED).credentials[0]
    assert outcome(suite, credential) == (INVALID, "signing_key"), "the city's key is not the school's"


def test_a_credential_naming_another_issuer_fails(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    issuer = BatchIssuer(
        tmp_path / "j.sqlite3",
        sender=suite.sender(ISSUER_KEY),
        anchor=suite.contracts["CredentialAnchor"],
        directory=suite.contracts["InstitutionRegistry"],
        signing_key=SCHOOL_SIGNING_KEY,
    )
    issuer.issuer_id = institution_uri(CITY)  # the school's key issuing in the city bureau's name
    credential = issuer.issue("impostor", class_records(1, issuer=CITY), credential_type=GROWTH_RECORD, created=CREATED).credentials[0]
    report = verify_credential(credential, chain=view(suite), now=NOW)
    assert report.outcome == INVALID and report.failed and report.failed.name == "issuer_accredited"
    assert "names issuer" in report.failed.detail


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"a": "' + "x" * (2 << 20) + '"}', "limited to"),
    ],
    ids=["malformed", "not-utf8", "array", "oversize"],
)
def test_bad_input_is_an_invalid_report_not_an_exception(suite: PyEvmSuite, text: str | bytes, detail: str) -> None:
    report = verify_credential(text, chain=view(suite), now=NOW)
    assert report.outcome == INVALID and report.failed and report.failed.name == "schema"
    assert detail in report.failed.detail


def test_unknown_contexts_are_invalid_and_never_fetched(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = copy.deepcopy(issue(suite, tmp_path, class_records(1))[0])
    credential["@context"].append("https://evil.example/context.json")
    report = verify_credential(json.dumps(credential), chain=view(suite), now=NOW)
    assert report.outcome == INVALID and report.failed and report.failed.name == "schema"
    assert "unknown context" in report.failed.detail


def test_every_single_field_change_is_caught(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(1))[0]

    def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in leaves(v, (*path, k))]
        if isinstance(value, list):
            return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
        return [path]

    for path in leaves({k: v for k, v in credential.items()}):
        tampered = copy.deepcopy(credential)
        target = tampered
        for step in path[:-1]:
            target = target[step]
        original = target[path[-1]]
        target[path[-1]] = original + 1 if isinstance(original, int) and not isinstance(original, bool) else f"{original}x"
        if path[-1] == "blockNumber" and target.get("type") == ANCHOR_PROOF_TYPE:
            # Issue 11: the anchoring transaction, not the block a copy names, is what the chain is asked
            # about; a copy issued before a chain restore names the block the transaction first landed in.
            report = verify_credential(json.dumps(tampered), chain=view(suite), now=NOW)
            anchored = next(c for c in report.checks if c.name == "anchored")
            assert report.outcome != INVALID and anchored.result == "pass" and f"block {original}," in anchored.detail, path
            continue
        assert outcome(suite, tampered)[0] == INVALID, path


def test_a_duplicate_key_is_invalid_whichever_copy_a_reader_keeps(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Issue 10 item 4: a forged name before the real one verified (Python keeps the last key) while a
    first-wins reader showed the forgery."""
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(1))[0]
    text = json.dumps(credential, ensure_ascii=False)
    forged = '{"name": "全国中小学生创新大赛全国一等奖（伪造）", ' + text[1:]
    assert json.loads(forged)["name"] == credential["name"], "the standard reader keeps the genuine name"
    report = verify_credential(forged, chain=view(suite), now=NOW)
    assert (report.outcome, report.failed and report.failed.name) == (INVALID, "schema")
    assert 'duplicate key "name"' in report.failed.detail
    nested = text.replace('"achievement": {', '"achievement": {"name": "满分", ', 1)
    assert 'duplicate key "name"' in verify_credential(nested, chain=view(suite), now=NOW).checks[0].detail
    assert outcome(suite, text) == (VALID, None)


def _hostile(credential: dict[str, Any], change: str) -> Any:
    document = copy.deepcopy(credential)
    anchor = document["proof"][1]
    deep: list[Any] = []
    cursor = deep
    for _ in range(900):
        cursor.append([])
        cursor = cursor[0]
    changes = {
        "date-only validFrom": lambda: document.__setitem__("validFrom", "2026-01-01"),
        "validUntil without a zone": lambda: document.__setitem__("validUntil", "2027-01-01T00:00:00"),
        "statusListIndex 1e400": lambda: document["credentialStatus"].__setitem__("statusListIndex", float("inf")),
        "statusSize 1e400": lambda: document["credentialStatus"].__setitem__("statusSize", float("inf")),
        "statusListIndex huge": lambda: document["credentialStatus"].__setitem__("statusListIndex", "9" * 40),
        "merkleProof 5": lambda: anchor.__setitem__("merkleProof", 5),
        "merkleProof null": lambda: anchor.__setitem__("merkleProof", None),
        "40-byte merkleRoot": lambda: anchor.__setitem__("merkleRoot", "0x" + "ab" * 40),
        "900-deep nesting": lambda: document.__setitem__("evidence", deep),
        "lone surrogate in a key": lambda: document["credentialSubject"].__setitem__("\ud800", 1),
        "lone surrogate in a value": lambda: document.__setitem__("name", "a\udc00"),
        "cryptosuite a list (found by fuzzing)": lambda: document["proof"][0].__setitem__("cryptosuite", ["eddsa-jcs-2022"]),
    }
    changes[change]()
    return document


HOSTILE = [
    "date-only validFrom",
    "validUntil without a zone",
    "statusListIndex 1e400",
    "statusSize 1e400",
    "statusListIndex huge",
    "merkleProof 5",
    "merkleProof null",
    "40-byte merkleRoot",
    "900-deep nesting",
    "lone surrogate in a key",
    "lone surrogate in a value",
    "cryptosuite a list (found by fuzzing)",
]


@pytest.mark.parametrize("change", HOSTILE)
def test_hostile_fields_are_invalid_reports_naming_the_check(suite: PyEvmSuite, tmp_path: Path, change: str) -> None:
    """Issue 10 item 5 at the library: each is an invalid report naming a check, never an exception."""
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "revocation")
    documents = class_records(1)
    documents[0]["credentialStatus"] = status.entry(status.allocate())
    (credential,) = issue(suite, tmp_path, documents)
    document = _hostile(credential, change)
    report = verify_credential(document, chain=view(suite), now=NOW, status_resolver=lambda url: {})
    assert report.outcome == INVALID and report.failed is not None, report.as_dict()
    json.dumps(report.as_dict(), ensure_ascii=False).encode("utf-8")  # every detail can be sent and printed
    if "surrogate" not in change and "nesting" not in change and "1e400" not in change:
        text = json.dumps(document)
        assert verify_credential(text, chain=view(suite), now=NOW).outcome == INVALID
    assert verify_credential('{"statusListIndex": 1e400}', chain=None).failed.detail.startswith("refused JSON")  # type: ignore[union-attr]


def test_a_status_list_without_a_subject_or_with_a_bomb_is_reported(suite: PyEvmSuite, tmp_path: Path) -> None:
    import base64
    import gzip

    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "revocation")
    documents = class_records(1)
    documents[0]["credentialStatus"] = status.entry(status.allocate())
    (credential,) = issue(suite, tmp_path, documents)
    unsigned = status.credential(issuer="did:example:school", valid_from=CREATED)
    hollow = {k: v for k, v in unsigned.items() if k != "credentialSubject"}
    bomb = copy.deepcopy(unsigned)
    bomb["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1 << 25))).decode().rstrip("=")
    for document, expected in ((hollow, "no credentialSubject"), (bomb, "inflates past")):
        broken = sign(document, SCHOOL_SIGNING_KEY, cryptosuite=JCS_SUITE, created=CREATED)
        suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(broken), by=ISSUER_KEY)
        report = verify_credential(credential, chain=view(suite), now=NOW, status_resolver=lambda url, listed=broken: listed)
        assert (report.outcome, report.failed and report.failed.name) == (INVALID, "status"), report.as_dict()
        assert expected in report.failed.detail  # type: ignore[union-attr]


def test_lifecycle_entries_name_every_value_and_legacy_entries_keep_verifying(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Bitstring Status List §2.1: statusMessage has 2^statusSize entries; entries issued before
    with three messages (the fourth value never set) still verify; other counts are refused."""
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "message")
    documents = class_records(4)
    for document in documents:
        document["credentialStatus"] = status.entry(status.allocate())
    assert [m["status"] for m in documents[0]["credentialStatus"]["statusMessage"]] == ["0x0", "0x1", "0x2", "0x3"]
    documents[1]["credentialStatus"]["statusMessage"] = copy.deepcopy(LEGACY_LIFECYCLE_MESSAGES)  # as issued before
    del documents[2]["credentialStatus"]["statusMessage"][3]  # three messages, but not the legacy ones
    documents[2]["credentialStatus"]["statusMessage"][2]["message"] = "withdrawn"
    documents[3]["credentialStatus"]["statusMessage"][3]["status"] = "0x2"  # four, one value twice
    credentials = issue(suite, tmp_path, documents)
    listed = sign(
        status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=RDFC_SUITE, created=CREATED
    )
    suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
    assert outcome(suite, credentials[0], status_resolver=lambda url: listed) == (VALID, None)
    assert outcome(suite, credentials[1], status_resolver=lambda url: listed) == (VALID, None)
    for refused, words in ((credentials[2], "all 4 values of statusSize 2, got 3"), (credentials[3], "each value 0x0 to 0x3 once")):
        report = verify_credential(refused, chain=view(suite), now=NOW, status_resolver=lambda url: listed)
        assert (report.outcome, report.failed and report.failed.name) == (INVALID, "status")
        assert words in report.failed.detail
    # A revoked legacy entry still says so.
    status.set_value(int(credentials[1]["credentialStatus"]["statusListIndex"]), REVOKED)
    revoked = sign(
        status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=RDFC_SUITE, created=CREATED
    )
    suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(revoked), by=ISSUER_KEY)
    report = verify_credential(credentials[1], chain=view(suite), now=NOW, status_resolver=lambda url: revoked)
    assert report.outcome == INVALID and report.failed is not None and report.failed.detail.startswith("revoked")


@pytest.mark.parametrize("block", ["7", True, -1, 2**70, None, 7.0], ids=["string", "bool", "negative", "huge", "null", "float"])
def test_a_malformed_anchor_block_is_invalid(suite: PyEvmSuite, tmp_path: Path, block: Any) -> None:
    """A copy may name a stale block (issue 11: the anchoring transaction decides online), never a malformed one."""
    build_tree(suite)
    credential = copy.deepcopy(issue(suite, tmp_path, class_records(1))[0])
    anchor_proof = next(p for p in credential["proof"] if p["type"] == ANCHOR_PROOF_TYPE)
    anchor_proof["blockNumber"] = block
    report = verify_credential(json.dumps(credential), chain=view(suite), now=NOW)
    assert report.outcome == INVALID and report.failed is not None and "block number is malformed" in report.failed.detail


def test_a_context_added_after_issuance_keeps_the_signature_but_not_the_anchor(suite: PyEvmSuite, tmp_path: Path) -> None:
    """eddsa-jcs-2022 accepts a document @context that extends the proof's (vc-di-eddsa §3.3.2); the
    anchored hash covers the document as issued, so the credential as a whole is still refused."""
    build_tree(suite)
    credential = issue(suite, tmp_path, class_records(1))[0]
    extended = copy.deepcopy(credential)
    extended["@context"].append("https://www.w3.org/ns/credentials/examples/v2")
    report = verify_credential(extended, chain=view(suite), now=NOW)
    results = {c.name: c.result for c in report.checks}
    assert results["issuer_signature"] == "pass" and results["canonical_hash"] == "fail"
    assert report.outcome == INVALID and report.failed is not None and report.failed.name == "canonical_hash"

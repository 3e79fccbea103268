"""Offline bundles: verify with no chain at hand, report freshness, and catch forged snapshots."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from ledger_service import CredentialError
from ledger_service.credentials import (
    BUNDLE_TYPE,
    CANNOT_TELL,
    INVALID,
    RDFC_SUITE,
    VALID,
    StatusList,
    make_bundle,
    sign,
    status_list_hash,
    verify_bundle,
)
from tests.credentials.test_issuance import CREATED, class_records
from tests.credentials.test_verification import NOW, issue, view
from tests.utils.institutions import CITY_ADMIN, GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

STATUS_TYPE = keccak(b"EduLedger.StatusList")
STATUS_URL = "https://registry.example/status/school/revocation/7"


def revocable(suite: PyEvmSuite, tmp_path: Path) -> tuple[list[dict[str, Any]], StatusList, Any]:
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(STATUS_URL, "revocation")
    documents = class_records(3)
    for document in documents:
        document["credentialStatus"] = status.entry(status.allocate())
    credentials = issue(suite, tmp_path, documents)

    def publish() -> dict[str, Any]:
        listed = sign(status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY,
                      cryptosuite=RDFC_SUITE, created=CREATED)
        suite.transact("CredentialAnchor", "updateStatusList", keccak(STATUS_URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
        return listed

    return credentials, status, publish


def outcome(report: Any) -> tuple[str, str | None]:
    return report.outcome, report.failed.name if report.failed else None


def test_a_bundle_verifies_offline_after_a_json_round_trip(suite: PyEvmSuite, tmp_path: Path) -> None:
    credentials, _, publish = revocable(suite, tmp_path)
    listed = publish()
    bundle = json.loads(json.dumps(make_bundle(credentials[0], chain=view(suite), status_resolver=lambda url: listed, now=NOW)))
    assert bundle["type"] == BUNDLE_TYPE and set(bundle["contexts"]) >= set(credentials[0]["@context"])
    assert [g["institutionId"] for g in bundle["accreditations"]][0] == "0x" + SCHOOL.hex()
    report = verify_bundle(bundle, now=NOW + timedelta(days=3))
    assert outcome(report) == (VALID, None)
    assert {c.name for c in report.checks} >= {"bundle", "anchored", "issuer_accredited", "signing_key", "status"}
    assert report.freshness and report.freshness["status_age_seconds"] == 3 * 86400
    assert report.as_dict()["freshness"]["status_fetched_at"] == "2026-12-01T00:00:00Z"


def test_a_stale_status_is_reported_and_can_be_refused(suite: PyEvmSuite, tmp_path: Path) -> None:
    credentials, _, publish = revocable(suite, tmp_path)
    listed = publish()
    bundle = make_bundle(credentials[0], chain=view(suite), status_resolver=lambda url: listed, now=NOW)
    later = NOW + timedelta(days=40)
    report = verify_bundle(bundle, now=later, max_status_age=30 * 86400)
    assert report.outcome == CANNOT_TELL
    assert "fetch a fresh one" in next(c.detail for c in report.checks if c.name == "status")


def test_a_revoked_credential_in_a_bundle_is_invalid(suite: PyEvmSuite, tmp_path: Path) -> None:
    credentials, status, publish = revocable(suite, tmp_path)
    status.set(int(credentials[1]["credentialStatus"]["statusListIndex"]))
    listed = publish()
    bundle = make_bundle(credentials[1], chain=view(suite), status_resolver=lambda url: listed, now=NOW)
    assert outcome(verify_bundle(bundle, now=NOW)) == (INVALID, "status")


def test_forged_snapshots_and_documents_are_caught(suite: PyEvmSuite, tmp_path: Path) -> None:
    credentials, status, publish = revocable(suite, tmp_path)
    good_list = publish()
    bundle = make_bundle(credentials[0], chain=view(suite), status_resolver=lambda url: good_list, now=NOW)

    def forged(change: Any) -> tuple[str, str | None]:
        copied = copy.deepcopy(bundle)
        change(copied)
        return outcome(verify_bundle(copied, now=NOW))

    assert forged(lambda b: b["credential"]["credentialSubject"]["achievement"].__setitem__("name", "优秀"))[0] == INVALID
    # A status list swapped for another (e.g. one that hides a revocation) must match the anchored hash.
    status.set(int(credentials[0]["credentialStatus"]["statusListIndex"]))
    other = sign(status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=RDFC_SUITE,
                 created=CREATED)
    assert forged(lambda b: b["statusLists"][0].__setitem__("credential", other)) == (INVALID, "status")
    assert forged(lambda b: b["contexts"].__setitem__(next(iter(b["contexts"])), "{}")) == (INVALID, "bundle")
    assert forged(lambda b: b["signingKey"]["record"].__setitem__("revokedFrom", 1)) == (INVALID, "signing_key")
    assert forged(lambda b: b["accreditations"][0].__setitem__("validUntil", 1)) == (INVALID, "issuer_accredited")
    assert forged(lambda b: b["anchor"]["record"].__setitem__("blockNumber", 1)) == (INVALID, "anchored")
    assert forged(lambda b: b["accreditations"].pop())[0] == CANNOT_TELL, "a missing record cannot be judged"
    assert outcome(verify_bundle({"type": "nope"}, now=NOW)) == (INVALID, "bundle")
    assert outcome(verify_bundle("garbage", now=NOW)) == (INVALID, "bundle")


def test_a_bundle_needs_an_anchored_credential_and_its_status_lists(suite: PyEvmSuite, tmp_path: Path) -> None:
    credentials, _, _ = revocable(suite, tmp_path)
    with pytest.raises(CredentialError, match="status resolver"):
        make_bundle(credentials[0], chain=view(suite), now=NOW)
    unanchored = {k: v for k, v in credentials[0].items() if k != "proof"}
    with pytest.raises(CredentialError, match="no EduLedger anchor proof"):
        make_bundle(unanchored, chain=view(suite), now=NOW)


def test_revoking_accreditation_back_in_time_after_the_bundle_is_not_seen_offline(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Offline means a snapshot: the bundle tells its age so the relying party can decide."""
    build_tree(suite)
    (credential,) = issue(suite, tmp_path, class_records(1))
    bundle = make_bundle(credential, chain=view(suite), now=NOW)
    suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, GROWTH_RECORD, 1, by=CITY_ADMIN)
    later = datetime(2026, 12, 2, tzinfo=timezone.utc)
    offline = verify_bundle(bundle, now=later)
    assert offline.outcome == VALID and offline.freshness and offline.freshness["snapshot_age_seconds"] == 86400
    fresh = make_bundle(credential, chain=view(suite), now=later)
    assert outcome(verify_bundle(fresh, now=later)) == (INVALID, "issuer_accredited")

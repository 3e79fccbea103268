"""Fuzzing the verifier's inputs (issue 10 item 5): whatever the document, a report and never an
exception; a changed credential is never valid; a bundle is never valid without a trust anchor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_service import CredentialError
from ledger_service.credentials import (
    BUNDLE_TYPE,
    JCS_SUITE,
    VALID,
    StatusList,
    parse_credential,
    sign,
    status_list_hash,
    verify_bundle,
    verify_credential,
)
from tests.credentials.test_issuance import CREATED, class_records
from tests.credentials.test_verification import NOW, STATUS_TYPE, issue, view
from tests.utils.fuzz import json_values, mutations, same_meaning
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "https://registry.example/status-lists/fuzz"


def revocable_credential(suite: PyEvmSuite, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    build_tree(suite, GROWTH_RECORD, STATUS_TYPE)
    status = StatusList(URL, "revocation")
    documents = class_records(1)
    documents[0]["credentialStatus"] = status.entry(status.allocate())
    (credential,) = issue(suite, tmp_path, documents)
    listed = sign(
        status.credential(issuer="did:example:school", valid_from=CREATED), SCHOOL_SIGNING_KEY, cryptosuite=JCS_SUITE, created=CREATED
    )
    suite.transact("CredentialAnchor", "updateStatusList", keccak(URL.encode()), status_list_hash(listed), by=ISSUER_KEY)
    return credential, listed


def reported(report: Any) -> dict[str, Any]:
    document = report.as_dict()
    json.dumps(document, ensure_ascii=False).encode("utf-8")  # sendable and printable, whatever the input quoted
    assert document["outcome"] in ("valid", "invalid", "cannot_tell")
    return document  # type: ignore[no-any-return]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(lambda v: json.dumps(v, allow_nan=True))))
def test_parse_credential_answers_or_names_the_problem(text: str | bytes) -> None:
    try:
        parse_credential(text)
    except CredentialError as exc:
        assert str(exc)


def test_a_changed_credential_is_a_report_and_never_valid(suite: PyEvmSuite, tmp_path: Path) -> None:
    credential, listed = revocable_credential(suite, tmp_path)
    chain = view(suite)
    assert verify_credential(credential, chain=chain, now=NOW, status_resolver=lambda url: listed).outcome == VALID

    @FUZZ
    @given(mutations(credential))
    def check(changed: Any) -> None:
        for given_as in (changed, json.dumps(changed, allow_nan=True)):
            report = reported(verify_credential(given_as, chain=chain, now=NOW, status_resolver=lambda url: [listed]))
            assert report["outcome"] != VALID or same_meaning(changed, credential), report

    check()


def test_a_bundle_is_a_report_and_never_valid_without_a_trust_anchor(suite: PyEvmSuite, tmp_path: Path) -> None:
    credential, listed = revocable_credential(suite, tmp_path)
    chain = view(suite)
    bundle = {
        "type": BUNDLE_TYPE,
        "version": 2,
        "credential": credential,
        "block": {"number": "0x1"},
        "proofs": {},
        "chain": {"chainId": suite.chain_id, "contracts": {}},
        "statusLists": [{"url": URL, "credential": listed}],
        "contexts": {},
    }

    @FUZZ
    @given(st.one_of(mutations(bundle), json_values))
    def check(changed: Any) -> None:
        assert reported(verify_bundle(changed, now=NOW))["outcome"] != VALID
        online = reported(verify_bundle(changed, chain=chain, now=NOW))
        assert online["outcome"] != VALID or (isinstance(changed, dict) and changed.get("credential") == credential), online

    check()

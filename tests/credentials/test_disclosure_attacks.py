"""An attacker's pass over selective disclosure (issue 12): a derived proof signs statements, not JSON,
so a holder can rewrite a derived copy's JSON into another form with the same statements. The checks
that read the JSON (status, validity, the credit bank's rules) must not be led astray by it."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tests.credentials.test_disclosure as disclosure
from ledger_service import CredentialError
from ledger_service.credentials import (
    ANCHOR_PROOF_TYPE,
    INVALID,
    VALID,
    derive_credential,
    derive_sd,
    did_document,
    disclosure_choices,
    holder_did,
    mandatory_pointers,
    sign_sd_base,
    signing_method,
)
from tests.credentials.test_credit_bank import CREDIT_GRANT, STUDENT_KEY, credit_bank, present, presentation
from tests.credentials.test_disclosure import DID, REVEAL, SD_KEY, Issued
from tests.credentials.test_issuance import CREATED, class_records
from tests.credentials.test_verification import STATUS_TYPE, issue
from tests.utils.institutions import GROWTH_RECORD, SCHOOL_ADMIN, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

VC = "https://www.w3.org/2018/credentials#"
XSD_DATE_TIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _renamed(derived: dict[str, Any], key: str, new_key: str, wrap: Any = None) -> dict[str, Any]:
    """``derived`` with its top-level ``key`` moved under ``new_key`` (same statements, another JSON form)."""
    changed = {k: v for k, v in copy.deepcopy(derived).items() if k != key}
    changed[new_key] = wrap(derived[key]) if wrap else copy.deepcopy(derived[key])
    return changed


def test_a_revoked_record_stays_revoked_whatever_json_form_its_derived_copy_takes(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    issued.status.set(int(issued.credentials[0]["credentialStatus"]["statusListIndex"]))
    issued.status_list = issued.publish()
    derived = derive_credential(issued.credentials[0], REVEAL)
    assert issued.report(derived)["failed_check"] == "status"
    forms = {
        "full IRI": _renamed(derived, "credentialStatus", VC + "credentialStatus"),
        "@nest": _renamed(derived, "credentialStatus", "@nest", lambda status: {"credentialStatus": copy.deepcopy(status)}),
    }
    for name, form in sorted(forms.items()):
        report = issued.report(form)
        assert report["outcome"] == INVALID, (name, report)
        assert report["failed_check"] == "schema", (name, report)


def test_a_derived_copy_cannot_hide_its_validity_dates_by_renaming_them(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)
    renamed = _renamed(derived, "validFrom", VC + "validFrom", lambda text: {"@value": text, "@type": XSD_DATE_TIME})
    report = issued.report(renamed)
    assert (report["outcome"], report["failed_check"]) == (INVALID, "schema"), report
    assert "keyword or an IRI" in report["checks"][0]["detail"]
    assert issued.report(derived)["outcome"] == VALID, "the copy as derived is valid"


@pytest.fixture
def bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issued records bound to the student's key, on a tree accredited for credit grants too."""
    records = disclosure.records

    def holder_bound(issuer: str, count: int = 2) -> list[dict[str, Any]]:
        documents = records(issuer, count)
        for document in documents:
            document["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **document["credentialSubject"]}
        return documents

    monkeypatch.setattr(disclosure, "records", holder_bound)
    monkeypatch.setattr(disclosure, "build_tree", lambda suite, *types: build_tree(suite, GROWTH_RECORD, STATUS_TYPE, CREDIT_GRANT))


@pytest.mark.usefixtures("bound")
def test_the_credit_bank_refuses_a_reshaped_derived_copy_never_crashes(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    bank = credit_bank(suite, tmp_path)
    derived = derive_credential(issued.credentials[0], REVEAL)
    subject = derived["credentialSubject"]
    shapes = {
        "subject as a list": {**derived, "credentialSubject": [subject]},
        "achievement as a list": {**derived, "credentialSubject": {**subject, "achievement": [subject["achievement"]]}},
        "identifier as one object": {**derived, "credentialSubject": {**subject, "identifier": subject["identifier"][0]}},
    }
    resolvers = {"status_resolver": lambda url: issued.status_list, "did_resolver": lambda did: issued.did_document()}
    for name, shaped in shapes.items():
        with pytest.raises(CredentialError, match="nothing to convert: .*schema") as refused:
            present(bank, presentation([shaped]), **resolvers)
        assert "derived copy" in str(refused.value), name
    grant = present(bank, presentation([derived]), **resolvers)
    assert grant.converted == [derived["id"]] and grant.credits == 0.5


@pytest.mark.xfail(
    strict=True,
    reason="design finding, not fixed here: the anchor commits to a derived copy's content only through the P-256 "
    "signature, judged at the anchoring time; a leaked key revoked from now on still forges copies pinned to old anchors",
)
def test_a_leaked_p256_key_revoked_from_now_forges_no_derived_copy_pinned_to_an_old_anchor(suite: PyEvmSuite, tmp_path: Path) -> None:
    issued = Issued(suite, tmp_path)
    genuine = issued.credentials[0]
    anchor = next(p for p in genuine["proof"] if p["type"] == ANCHOR_PROOF_TYPE)
    # The key leaks; the school revokes it from now on (its earlier derived copies stay valid).
    suite.transact("InstitutionRegistry", "revokeSigningKey", SD_KEY.public.chain_key, suite.now(), by=SCHOOL_ADMIN)
    document = {k: v for k, v in copy.deepcopy(genuine).items() if k != "proof"}
    document["credentialSubject"]["achievement"]["fieldOfStudy"] = "学业水平"
    document["credentialSubject"]["achievement"]["description"] = "全市第一名。"
    forged_base = sign_sd_base(
        document,
        SD_KEY,
        created=CREATED,
        mandatory_pointers=mandatory_pointers(document),
        verification_method=signing_method(DID, SD_KEY.public),
        nonce=anchor["credentialHash"],  # an old anchor of the school's, made while the key was valid
    )
    forged = derive_sd(forged_base, ["/credentialSubject/achievement/fieldOfStudy", "/credentialSubject/achievement/description"])
    forged["proof"] = [forged["proof"], copy.deepcopy(anchor)]
    now_document = did_document(DID, [(SCHOOL_SIGNING_KEY.public, True), (SD_KEY.public, False)])
    report = issued.report(forged, document=now_document)
    assert report["outcome"] == INVALID, report


def test_a_pointer_inside_a_field_already_revealed_whole_derives_a_copy_that_verifies(suite: PyEvmSuite, tmp_path: Path) -> None:
    """A narrower pointer after a wider one (here after the mandatory /credentialSubject/identifier) cut the
    wider selection down to the narrow part: the copy dropped signed mandatory statements and did not
    verify; inside a list of strings it raised TypeError instead of a CredentialError."""
    issued = Issued(suite, tmp_path)
    for pointers in (
        ["/credentialSubject/identifier/0/identityHash"],
        ["/credentialSubject/achievement/type/0"],
        ["/credentialSubject/achievement/fieldOfStudy", "/credentialSubject/achievement"],
        ["/credentialSubject/achievement", "/credentialSubject/achievement/fieldOfStudy"],
    ):
        derived = derive_credential(issued.credentials[0], pointers)
        report = issued.report(derived)
        assert report["outcome"] == VALID, (pointers, report)
    narrow = derive_credential(issued.credentials[0], ["/credentialSubject/identifier/0/identityHash"])
    assert narrow["credentialSubject"]["identifier"] == issued.credentials[0]["credentialSubject"]["identifier"]


@pytest.mark.usefixtures("bound")
def test_two_banks_on_one_journal_convert_a_credential_once_whichever_copies_come(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Two bank processes on one journal (the registry's workers): a derived copy at one, another derived
    copy and the whole credential at the other, are one credential, converted once."""
    issued = Issued(suite, tmp_path)
    first, second = credit_bank(suite, tmp_path), credit_bank(suite, tmp_path)
    resolvers = {"status_resolver": lambda url: issued.status_list, "did_resolver": lambda did: issued.did_document()}
    credential = issued.credentials[0]
    grant = present(first, presentation([derive_credential(credential, REVEAL)]), **resolvers)
    assert grant.converted == [credential["id"]]
    for copy_ in (derive_credential(credential, ["/name"]), credential):
        with pytest.raises(CredentialError, match="already converted by this institution"):
            present(second, presentation([copy_]), **resolvers)
    # A classmate's credential (the same holder here) is another credential: converted.
    assert present(second, presentation([derive_credential(issued.credentials[1], REVEAL)]), **resolvers).credits == 0.5


def test_the_wallet_lists_what_the_base_proof_made_mandatory_not_what_it_would_today(tmp_path: Path) -> None:
    """``edu-wallet derive --list`` computed the mandatory pointers from the document: a base proof that made
    more mandatory (an older or a foreign issuer's) had the holder told a field was theirs to hide that
    every copy shows."""
    document = disclosure.records(DID, 1)[0]
    narrative = "/credentialSubject/achievement/description"
    signed = sign_sd_base(document, SD_KEY, created=CREATED, mandatory_pointers=[*mandatory_pointers(document), narrative])
    always, choose = disclosure_choices(signed)
    assert narrative in always and narrative not in choose
    assert "/credentialSubject/achievement/fieldOfStudy" in choose
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    wallet = Path(sys.executable).parent / "edu-wallet"
    listed = subprocess.run([str(wallet), "derive", str(path), "--list"], capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0 and f"always  {narrative}" in listed.stdout and f"choose  {narrative}" not in listed.stdout
    with pytest.raises(CredentialError, match="no single ecdsa-sd-2023 proof"):
        disclosure_choices(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    refused = subprocess.run([str(wallet), "derive", str(path), "--list"], capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "ecdsa-sd-2023" in refused.stderr + refused.stdout and "Traceback" not in refused.stderr


def test_what_every_derived_copy_shows_holds_no_personal_data(suite: PyEvmSuite, tmp_path: Path) -> None:
    """PIPL minimisation: a copy revealing nothing by choice shows only issuer, types, validity, status and
    the salted binding — not the student's number (the identity hash is salted), not the record itself."""
    issued = Issued(suite, tmp_path)
    credential = issued.credentials[0]
    bare = derive_credential(credential, [])
    shown = json.dumps({k: v for k, v in bare.items() if k != "proof"}, ensure_ascii=False)
    assert issued.report(bare)["outcome"] == VALID
    unsalted = hashlib.sha256(b"S0").hexdigest()
    assert '"S0"' not in shown and unsalted not in shown, "the student number is never shown, nor its unsalted hash"
    achievement = credential["credentialSubject"]["achievement"]
    for private in (achievement["description"], achievement["fieldOfStudy"], credential["name"]):
        assert private not in shown, private
    assert set(bare["credentialSubject"]["achievement"]) == {"id", "type", "achievementType"}


def test_a_credential_bound_by_the_holder_did_alone_is_granted_not_a_crash(suite: PyEvmSuite, tmp_path: Path) -> None:
    """Credentials issued to a DID without a salted identifier (a certificate, a contribution) are holder-bound
    too; the credit bank's grant took ``identifier[0]`` of the first and raised KeyError."""
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    documents = class_records(1)
    subject = documents[0]["credentialSubject"]
    del subject["identifier"]
    documents[0]["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **subject}
    credentials = issue(suite, tmp_path, documents)
    grant = present(credit_bank(suite, tmp_path), presentation(credentials))
    assert grant.converted == [credentials[0]["id"]] and grant.credits == 0.5
    assert grant.credential["credentialSubject"]["id"] == holder_did(STUDENT_KEY.public)
    assert "identifier" not in grant.credential["credentialSubject"]


def test_one_holders_did_bound_and_identifier_bound_credentials_are_granted_together(suite: PyEvmSuite, tmp_path: Path) -> None:
    """A student presents a record bound by their DID alone beside records that also name their salted identity:
    one holder, one subject (it was refused as "more than one subject"); the grant names that identity, whichever
    credential comes first."""
    build_tree(suite, GROWTH_RECORD, CREDIT_GRANT)
    documents = class_records(3)
    identity = documents[0]["credentialSubject"]["identifier"]
    did_only = documents[0]["credentialSubject"]
    del did_only["identifier"]
    documents[0]["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **did_only}
    for document in documents[1:]:
        document["credentialSubject"]["identifier"] = copy.deepcopy(identity)
        document["credentialSubject"] = {"id": holder_did(STUDENT_KEY.public), **document["credentialSubject"]}
    credentials = issue(suite, tmp_path, documents)
    grant = present(credit_bank(suite, tmp_path), presentation(credentials))  # the DID-only one first
    assert grant.converted == [c["id"] for c in credentials] and grant.credits == 1.5
    assert grant.credential["credentialSubject"]["identifier"] == identity
    assert grant.credential["credentialSubject"]["id"] == holder_did(STUDENT_KEY.public)

"""Every term defined (VC 2.0 §5.2): every kind of document EduLedger issues expands under its pinned
contexts in safe mode — pyld here, and jsonld.js (npm, another ecosystem) — dropping nothing."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld  # type: ignore[import-untyped]

from ledger_service import CredentialError
from ledger_service.credentials import (
    CONTEXTS,
    EDULEDGER_CONTEXT,
    PINNED_CONTEXTS,
    RDFC_SUITE,
    BatchIssuer,
    StatusList,
    UndefinedTermError,
    achievement_credential,
    document_loader,
    expand_safe,
    identity_object,
    institution_uri,
    pinned_context_text,
    professional_development_credential,
    sign,
)
from tests.credentials.test_issuance import CREATED, class_records
from tests.utils.institutions import GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite

REPO = Path(__file__).resolve().parents[2]
JSONLD_JS = REPO / "node_modules" / "jsonld"
EXPAND_JS = Path(__file__).with_name("js") / "expand.mjs"
STATUS_URL = "https://registry.example/status/school/1"


def issued_documents(suite: PyEvmSuite, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """One of each kind of document EduLedger issues, as issued (signed, anchored)."""
    build_tree(suite)
    school = institution_uri(SCHOOL)
    status = StatusList(STATUS_URL, "message")
    growth = class_records(1)[0]
    growth["credentialStatus"] = status.entry(status.allocate())
    development = professional_development_credential(
        credential_id="urn:uuid:11111111-0000-4000-8000-000000000001",
        issuer_id=school,
        issuer_name="滨海新区第一中学",
        identifier=identity_object("T0001", b"\x01" * 16),
        training="新课标解读",
        category="集中培训",
        hours=12,
        credits=1.5,
        period="2026年秋",
        valid_from="2026-11-22T00:00:00Z",
        provider="市教研室",
        evidence_hashes=["ab" * 32],
    )
    certificate = achievement_credential(
        credential_id="urn:uuid:22222222-0000-4000-8000-000000000002",
        issuer_id=school,
        issuer_name="滨海新区第一中学",
        identifier=None,
        subject_id="did:pkh:eip155:31337:0x" + "12" * 20,
        valid_from="2026-11-22T00:00:00Z",
        name="收录证书",
        achievement={
            "id": "urn:uuid:22222222-0000-4000-8000-000000000002#achievement",
            "type": ["Achievement"],
            "name": "收录",
            "criteria": {"narrative": "入库"},
        },
        valid_until="2031-11-22T00:00:00Z",
    )
    documents = {"growth_record": growth, "professional_development": development, "certificate": certificate}
    issued: dict[str, dict[str, Any]] = {}
    for suite_name in ("eddsa-jcs-2022", RDFC_SUITE):
        issuer = BatchIssuer(
            tmp_path / f"{suite_name}.sqlite3",
            sender=suite.sender(ISSUER_KEY),
            anchor=suite.contracts["CredentialAnchor"],
            directory=suite.contracts["InstitutionRegistry"],
            signing_key=SCHOOL_SIGNING_KEY,
            cryptosuite=suite_name,
        )
        batch = issuer.issue(
            suite_name, [{**d, "id": d["id"] + suite_name[-4:]} for d in documents.values()], credential_type=GROWTH_RECORD, created=CREATED
        )
        issuer.close()
        issued |= {f"{kind} ({suite_name})": c for kind, c in zip(documents, batch.credentials, strict=True)}
    status.set_value(next(iter(status.allocated)), 1)
    issued["status_list"] = sign(
        status.credential(issuer=school, valid_from=CREATED),
        SCHOOL_SIGNING_KEY,
        cryptosuite="eddsa-jcs-2022",
        created=CREATED,
        proof_as_list=True,
    )
    return issued


def scalars(value: Any, *, skip: frozenset[str] = frozenset({"@context"})) -> list[Any]:
    """Every string, number and boolean in a JSON value (keys not included)."""
    if isinstance(value, dict):
        return [s for key, item in value.items() if key not in skip for s in scalars(item, skip=skip)]
    if isinstance(value, list):
        return [s for item in value for s in scalars(item, skip=skip)]
    return [value]


def defined_terms(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {t for item in value.values() for t in defined_terms(item)}
    return {t for item in value for t in defined_terms(item)} if isinstance(value, list) else set()


TERMS = defined_terms([json.loads(pinned_context_text(url)) for url in PINNED_CONTEXTS])


def assert_nothing_dropped(document: dict[str, Any], expanded: list[Any]) -> None:
    """Each scalar of the document reappears in the expansion (as a value or an id), or is a term the
    contexts define (a type or vocabulary value, which expands to its IRI)."""
    found = scalars(expanded)
    for value in scalars(document):
        if value in found or (isinstance(value, str) and value in TERMS):
            continue
        raise AssertionError(f"{value!r} of the document is not in its expansion")


@pytest.fixture
def documents(suite: PyEvmSuite, tmp_path: Path) -> dict[str, dict[str, Any]]:
    return issued_documents(suite, tmp_path)


def test_every_issued_document_names_the_eduledger_context(documents: dict[str, dict[str, Any]]) -> None:
    assert len(documents) == 7
    for kind, document in documents.items():
        assert document["@context"][-1] == EDULEDGER_CONTEXT, kind
        assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2", kind
    assert CONTEXTS[-1] == EDULEDGER_CONTEXT


def test_every_issued_document_expands_in_safe_mode_dropping_nothing(documents: dict[str, dict[str, Any]]) -> None:
    for kind, document in documents.items():
        try:
            expanded = expand_safe(document)
        except UndefinedTermError as exc:
            raise AssertionError(f"{kind}: {exc}") from None
        assert_nothing_dropped(document, expanded)


def test_the_anchor_proof_terms_expand_to_eduledger_iris(documents: dict[str, dict[str, Any]]) -> None:
    expanded = expand_safe(documents["growth_record (eddsa-jcs-2022)"])[0]
    graphs = expanded["https://w3id.org/security#proof"]
    anchor = next(
        node for graph in graphs for node in graph["@graph"] if node["@type"] == ["https://w3id.org/eduledger#EduLedgerMerkleAnchor"]
    )
    assert anchor["https://w3id.org/eduledger#blockNumber"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert anchor["https://w3id.org/security#proofPurpose"] == [{"@id": "https://w3id.org/security#assertionMethod"}]
    assert anchor["https://w3id.org/security#verificationMethod"][0]["@id"].startswith("eip155:")
    path = anchor["https://w3id.org/eduledger#merkleProof"][0]["@list"]
    assert [item["@value"] for item in path] == documents["growth_record (eddsa-jcs-2022)"]["proof"][1]["merkleProof"]


def test_safe_mode_refuses_an_undefined_term(documents: dict[str, dict[str, Any]]) -> None:
    """The check can fail: a term no context defines (the state before the EduLedger context) is an error."""
    document = copy.deepcopy(documents["growth_record (eddsa-jcs-2022)"])
    document["proof"][1]["blockHeight"] = 1
    with pytest.raises(UndefinedTermError, match="blockHeight"):
        expand_safe(document)
    document = copy.deepcopy(documents["growth_record (eddsa-jcs-2022)"])
    document["@context"] = document["@context"][:-1]  # without the EduLedger context: the anchor proof is undefined
    with pytest.raises(UndefinedTermError, match="anchorContract"):
        expand_safe(document)
    document = copy.deepcopy(documents["certificate (eddsa-jcs-2022)"])
    document["issuer"]["type"] = ["Profil"]
    with pytest.raises(UndefinedTermError, match="Profil"):
        expand_safe(document)


def test_the_eduledger_context_protects_its_terms(documents: dict[str, dict[str, Any]]) -> None:
    document = copy.deepcopy(documents["growth_record (eddsa-jcs-2022)"])
    document["@context"].append({"EduLedgerMerkleAnchor": "https://attacker.example/Anchor"})
    with pytest.raises(CredentialError, match="protected"):
        expand_safe(document)


def test_the_context_is_pinned_by_its_sha256() -> None:
    name, digest = PINNED_CONTEXTS[EDULEDGER_CONTEXT]
    text = pinned_context_text(EDULEDGER_CONTEXT)
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    assert json.loads(text)["@context"]["@protected"] is True
    assert (REPO / "ledger_service" / "credentials" / "contexts" / name).read_text() == text


def run_jsonld_js(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if shutil.which("node") is None or not JSONLD_JS.is_dir():
        pytest.skip("node or node_modules/jsonld missing (`make` installs them)")
    contexts = {url: pinned_context_text(url) for url in PINNED_CONTEXTS}
    result = subprocess.run(
        ["node", str(EXPAND_JS)],
        input=json.dumps({"contexts": contexts, "documents": documents}),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_jsonld_js_expands_every_issued_document_in_safe_mode_as_pyld_does(documents: dict[str, dict[str, Any]]) -> None:
    answers = run_jsonld_js(documents)
    for kind, document in documents.items():
        answer = answers[kind]
        assert "error" not in answer, f"{kind}: {answer.get('error')}"
        assert_nothing_dropped(document, answer["expanded"])
        assert answer["expanded"] == expand_safe(document), kind
        # The two processors' canonical forms agree byte for byte too.
        pyld_nquads = jsonld.normalize(
            copy.deepcopy(document),
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader, "safe": True},
        )
        assert answer["nquads"] == pyld_nquads, kind


def test_jsonld_js_refuses_an_undefined_term_in_safe_mode(documents: dict[str, dict[str, Any]]) -> None:
    document = copy.deepcopy(documents["growth_record (eddsa-jcs-2022)"])
    document["@context"] = document["@context"][:-1]
    answers = run_jsonld_js({"without": document, "as issued": documents["growth_record (eddsa-jcs-2022)"]})
    assert "Safe mode validation error" in answers["without"]["error"]
    assert "error" not in answers["as issued"]

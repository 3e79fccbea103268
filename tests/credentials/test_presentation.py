"""verify_presentation: the holder's proof, the verifier's challenge and domain, each credential bound to the holder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation, verify_presentation
from tests.credentials.test_credit_bank import DOMAIN, STUDENT_KEY, one_students_records
from tests.credentials.test_issuance import class_records
from tests.credentials.test_verification import NOW, issue, view
from tests.utils.institutions import build_tree
from tests.utils.pyevm import PyEvmSuite


def checked(suite: PyEvmSuite, presentation: Any, challenge: str = "c-1", domain: str = DOMAIN) -> tuple[str, list[str]]:
    report = verify_presentation(presentation, challenge=challenge, domain=domain, chain=view(suite), now=NOW)
    failed = [c.name for c in report.checks.checks if c.result == "fail"]
    failed += [c.name for r in report.credentials for c in r.checks if c.result == "fail"]
    return report.outcome, failed


def test_a_holders_presentation_is_valid_and_every_other_is_not(suite: PyEvmSuite, tmp_path: Path) -> None:
    build_tree(suite)
    credentials = one_students_records(suite, tmp_path, 2)
    signed = sign_presentation(credentials, STUDENT_KEY, challenge="c-1", domain=DOMAIN, created="2026-11-30T00:00:00Z")
    assert signed["holder"] == holder_did(STUDENT_KEY.public) and signed["proof"]["proofPurpose"] == "authentication"
    report = verify_presentation(signed, challenge="c-1", domain=DOMAIN, chain=view(suite), now=NOW)
    assert report.outcome == "valid"
    assert [c.name for c in report.checks.checks] == ["holder_proof", "challenge", "domain"]
    assert all(r.checks[-1].name == "holder_binding" and r.outcome == "valid" for r in report.credentials)

    assert checked(suite, signed, challenge="c-2") == ("invalid", ["challenge"])
    assert checked(suite, signed, domain="other.example") == ("invalid", ["domain"])
    thief = Ed25519KeyPair.from_seed(b"\x55" * 32)
    stolen = sign_presentation(credentials, thief, challenge="c-1", domain=DOMAIN, created="2026-11-30T00:00:00Z")
    assert checked(suite, stolen) == ("invalid", ["holder_binding", "holder_binding"])
    claimed: dict[str, Any] = {**stolen, "holder": signed["holder"]}
    assert checked(suite, claimed) == ("invalid", ["holder_proof"])
    unbound = issue(suite, tmp_path / "unbound", class_records(1)) if (tmp_path / "unbound").mkdir() is None else []
    mixed = sign_presentation([credentials[0], *unbound], STUDENT_KEY, challenge="c-1", domain=DOMAIN, created="2026-11-30T00:00:00Z")
    assert checked(suite, mixed) == ("invalid", ["holder_binding"])
    for bad in ({"type": "VerifiableCredential"}, [1], {**signed, "verifiableCredential": []}):
        assert checked(suite, bad) == ("invalid", ["holder_proof"])

"""Certificates: the chain record, verification (JSON, and the web application for browsers at the
URL the QR code holds), the PDF and its QR code, and what an unreachable chain or an unknown id gives."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.certificates import CertificateReader, verify_certificate
from ledger_service.chain import BoundContract, HttpRpcClient, Ledger, free_port
from tests.utils.reference_data import require_tool
from tests.utils.registry import People, drain, lesson_bundle, lesson_metadata, review_and_accept, set_up_people


def certified(http: Any, people: People, app: Any) -> tuple[dict[str, Any], int]:
    files = lesson_bundle(f"cert-{uuid.uuid4()}")
    version = review_and_accept(people, people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files)))
    drain(app)
    version = people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")
    return version, int(version["certificates"][0]["id"])


def qr_code_of(pdf: bytes, workdir: Path) -> str:
    pdftoppm, zbarimg = require_tool("pdftoppm", "poppler-utils"), require_tool("zbarimg", "zbar-tools")
    (workdir / "cert.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-png", "-r", "150", "-singlefile", str(workdir / "cert.pdf"), str(workdir / "cert")], check=True, timeout=60)
    decoded = subprocess.run([zbarimg, "--quiet", "--raw", str(workdir / "cert.png")], capture_output=True, timeout=60)
    return decoded.stdout.decode().strip()


def test_the_record_and_its_verification(client: TestClient) -> None:
    people = set_up_people(client)
    version, number = certified(client, people, client)
    record = client.get(f"/certificates/{number}").json()
    assert record["chain"]["kind"] == "inclusion" and record["chain"]["level"] == "city"
    assert record["chain"]["resource_id"] == version["chain"]["resource_id"]
    assert record["registry"]["issuer_name"] == "市级教育资源平台" and record["registry"]["status"] == "issued"
    assert record["verify_url"].endswith(f"/certificates/{number}/verify")
    check = client.get(f"/certificates/{number}/verify").json()
    assert check["outcome"] == "valid" and all(c["result"] == "pass" for c in check["checks"])
    missing = client.get("/certificates/999999/verify").json()
    assert missing["outcome"] == "invalid" and missing["checks"][0]["name"] == "on_chain"
    assert client.get("/certificates/999999").status_code == 404
    assert client.get("/certificates/0").status_code == 422 and client.get("/certificates/abc").status_code == 422
    assert client.get("/certificates/999999/pdf").status_code == 404


def test_a_certificate_for_other_content_than_expected_is_invalid(client: TestClient) -> None:
    people = set_up_people(client)
    _, number = certified(client, people, client)
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    report, facts = verify_certificate(CertificateReader.of(ledger), number, expected_content_hash=b"\x01" * 32)
    assert report.outcome == "invalid" and report.failed is not None and report.failed.name == "resource_hash"
    assert facts is not None and facts.exists


def test_an_unreachable_chain_is_cannot_tell_not_valid(client: TestClient) -> None:
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    dead = HttpRpcClient(f"http://127.0.0.1:{free_port()}")
    contracts = {
        name: BoundContract(name, ledger.contracts[name].address, ledger.contracts[name].abi, dead)
        for name in ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry")
    }
    reader = CertificateReader(contracts["CertificateRegistry"], contracts["ResourceRegistry"], contracts["InstitutionRegistry"])
    report, facts = verify_certificate(reader, 1)
    assert report.outcome == "cannot_tell" and facts is None
    dead.close()


# From the PDF's QR code to the verification page in Chromium (valid, then withdrawn and red):
# tests/web/test_journeys.py::test_a_parent_opens_the_qr_code_on_a_phone_and_sees_green.


@pytest.mark.parametrize(
    ("accept", "fmt", "html"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, True),
        ("application/json", None, False),
        (None, None, False),
        ("text/html", "json", False),
        ("application/json", "html", True),
    ],
)
def test_content_negotiation(client: TestClient, accept: str | None, fmt: str | None, html: bool) -> None:
    headers = {"Accept": accept} if accept else {}
    answer = client.get("/certificates/424242/verify", headers=headers, params={"format": fmt} if fmt else None)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html" if html else "application/json")


def test_the_pdf_embeds_a_cjk_font(client: TestClient) -> None:
    import os

    from registry.pages.pdf import FONT_CANDIDATES

    if not any(path.is_file() for path in FONT_CANDIDATES):
        reason = "no CJK TrueType font (Debian package fonts-wqy-microhei; `make` installs it)"
        if os.environ.get("EDULEDGER_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    people = set_up_people(client)
    _, number = certified(client, people, client)
    pdf = client.get(f"/certificates/{number}/pdf").content
    assert b"/FontFile2" in pdf, "the TrueType font is embedded (subset), so every reader shows the Chinese text"
    assert b"WenQuanYi" in pdf or b"Micro" in pdf or b"AR PL" in pdf

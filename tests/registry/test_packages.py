"""The recommendation package for the national platform: export, verification end to end (API and
`edu-wallet package verify`, which needs no registry), import, and every way of tampering with it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service import InvalidCarError
from ledger_service.content import CID, car_header, car_section
from ledger_service.credentials import Ed25519KeyPair
from ledger_service.packages import build_package, check_car
from registry.workflows.packages import VerificationSlots
from tests.cli.test_wallet import wallet
from tests.registry.conftest import ClientFactory
from tests.utils.programmes import Year, refused, selected_programme, set_up_year
from tests.utils.registry import drain


@pytest.fixture
def year(make_client: ClientFactory) -> Year:
    return set_up_year(make_client(MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10))


def _verify(year: Year, data: bytes) -> dict[str, Any]:
    answer = year.http.post("/packages/verify", content=data, headers={"Content-Type": "application/zip", "Authorization": ""})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    """An attacker's rebuild: valid CRCs, same layout."""
    from ledger_service.packages._package import _canonical_zip

    return _canonical_zip(members)


@pytest.fixture
def package(year: Year) -> bytes:
    pid = selected_programme(year, nominees=3, recommend_count=2)
    drain(year.http)
    answer = year.http.get(f"/programmes/{pid}/package", headers={"Authorization": f"Bearer {year.admin.token}"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip", answer.text
    return answer.content


def test_an_exported_package_verifies_end_to_end_and_imports(year: Year, package: bytes, tmp_path: Path) -> None:
    members = _members(package)
    manifest = json.loads(members["manifest.json"])
    assert len(manifest["resources"]) == 2 and manifest["recommendingInstitution"]["id"] == year.bureau_id
    resource = manifest["resources"][0]
    assert resource["@type"] == "LearningResource" and resource["license"].startswith("https://creativecommons.org/")
    assert resource["catalogue"]["学段"] == "小学" and resource["catalogue"]["学科"] == "数学" and resource["catalogue"]["章节"]
    assert {c["kind"] for c in resource["certificates"]} == {"inclusion", "selection", "recommendation"}
    assert all(a["identifier"].startswith("did:pkh:") and "name" not in a for a in resource["author"])  # no consent given
    report = _verify(year, package)
    assert report["outcome"] == "valid", [c for c in report["checks"] if c["result"] != "pass"]
    names = [c["name"] for c in report["checks"]]
    assert {"archive", "signature", "signing_key", "manifest", "content", "certificate", "credential", "members"} <= set(names)
    imported = year.admin.request("POST", "/packages/import", content=package, headers={"Content-Type": "application/zip"})
    assert imported["outcome"] == "valid" and sorted(imported["imported"]) == sorted(r["contentCid"] for r in manifest["resources"])

    # The wallet verifies it against the chain directly, without the registry.
    chain = year.http.get("/chain").json()
    deployment = tmp_path / "chain.json"
    deployment.write_text(json.dumps({"chain_id": chain["chain_id"], "contracts": chain["contracts"]}))
    (tmp_path / "package.zip").write_bytes(package)
    ledger = year.http.app.state.ledger  # type: ignore[attr-defined]
    url = ledger.node.url if ledger.node else ""
    # The credentials' issuer is the bureau's did:web on the test client's host: its document given as a file.
    document = year.http.get(f"/institutions/{year.http.app.state.bureau.id_hex}/did.json").json()  # type: ignore[attr-defined]
    (tmp_path / "did.json").write_text(json.dumps(document))
    good = wallet(
        "package",
        "verify",
        str(tmp_path / "package.zip"),
        "--deployment",
        str(deployment),
        "--rpc-url",
        url,
        "--no-fetch-status",
        "--did-document",
        str(tmp_path / "did.json"),
    )
    assert good.returncode == 0 and "outcome: valid" in good.stdout, good.stdout + good.stderr
    tampered = bytearray(package)
    tampered[len(tampered) // 2] ^= 0x01
    (tmp_path / "tampered.zip").write_bytes(bytes(tampered))
    bad = wallet(
        "package", "verify", str(tmp_path / "tampered.zip"), "--deployment", str(deployment), "--rpc-url", url, "--no-fetch-status"
    )
    assert bad.returncode == 1 and "FAIL" in bad.stdout and "outcome: invalid" in bad.stdout
    missing = wallet("package", "verify", str(tmp_path / "package.zip"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "--deployment" in missing.stderr


def test_any_changed_byte_is_rejected_with_a_reason(year: Year, package: bytes) -> None:
    step = max(1, len(package) // 60)
    for position in [*range(0, len(package), step), len(package) - 1, 10, 30]:
        tampered = bytearray(package)
        tampered[position] ^= 0x20
        report = _verify(year, bytes(tampered))
        assert report["outcome"] == "invalid" and report["failed_check"], (position, report)
    refusal = year.admin.request  # import refuses the same way, naming the check
    tampered = bytearray(package)
    tampered[len(package) // 3] ^= 0x01
    error = refused(
        lambda: refusal("POST", "/packages/import", content=bytes(tampered), headers={"Content-Type": "application/zip"}),
        422,
        "package_invalid",
    )
    assert error.body and error.body["report"]["outcome"] == "invalid"


def test_rebuilt_forged_and_revoked_packages_are_rejected_naming_the_check(year: Year, package: bytes) -> None:
    members = _members(package)
    manifest = json.loads(members["manifest.json"])
    car_name = manifest["resources"][0]["car"]

    # A CAR block changed and the zip rebuilt with good CRCs: the signed manifest's sha256 no longer matches.
    changed = dict(members)
    car = bytearray(changed[car_name])
    car[-5] ^= 0x01
    changed[car_name] = bytes(car)
    report = _verify(year, _rezip(changed))
    assert report["failed_check"] == "members" and car_name in str(report["checks"])

    # The manifest edited (a title): the signature does not cover it.
    edited = dict(members)
    manifest_copy = json.loads(members["manifest.json"])
    manifest_copy["resources"][0]["name"] = "冒名顶替的资源"
    edited["manifest.json"] = json.dumps(manifest_copy, ensure_ascii=False, sort_keys=True, indent=1).encode()
    assert _verify(year, _rezip(edited))["failed_check"] == "signature"

    # Forged: the same manifest re-signed by a key the chain does not hold for the bureau.
    others = {k: v for k, v in members.items() if k not in ("manifest.json", "signature.json")}
    forged = build_package(manifest, others, key=Ed25519KeyPair.generate(), institution_id=bytes.fromhex(year.bureau_id[2:]))
    assert _verify(year, forged)["failed_check"] == "signing_key"

    # A member not in the manifest, and a file that is no zip at all.
    extra = dict(members)
    extra["credentials/999999.json"] = b"{}"
    assert _verify(year, _rezip(extra))["failed_check"] == "members"
    assert _verify(year, b"PK\x03\x04 not really")["failed_check"] == "archive"

    # A certificate revoked on chain after export (出库 of the resource).
    version = _version_of(year, manifest["resources"][0]["contentCid"])
    year.admin.request(
        "POST",
        f"/resources/{version['resource_id']}/versions/{version['number']}/withdrawal",
        json={"reason_code": "infringement", "reason": "侵权"},
    )
    drain(year.http)
    report = _verify(year, package)
    assert report["outcome"] == "invalid" and report["failed_check"] == "certificate", report


def _version_of(year: Year, cid: str) -> dict[str, Any]:
    for programme in year.admin.request("GET", "/programmes"):
        for entry in year.admin.request("GET", f"/programmes/{programme['id']}/selection")["selected"]:
            version: dict[str, Any] = year.admin.request("GET", f"/resources/{entry['resource_id']}/versions/{entry['version']}")
            if version["cid"] == cid:
                return version
    raise AssertionError(cid)


def test_bad_requests_are_clear(year: Year) -> None:
    answer = year.http.post("/packages/verify", content=b"{}", headers={"Content-Type": "application/json", "Authorization": ""})
    assert answer.status_code == 415 and answer.json()["error"] == "unsupported_media_type"
    teacher = year.teachers[year.schools[0]][0]
    refused(
        lambda: teacher.request("POST", "/packages/import", content=b"x", headers={"Content-Type": "application/zip"}), 403, "forbidden"
    )
    fresh = year.admin.request(
        "POST",
        "/programmes",
        json={
            "name": "未遴选",
            "year": 2026,
            "level": "district",
            "institution_id": year.district_id,
            "quota_total": 1,
            "nomination_closes_at": "2099-01-01T00:00:00Z",
            "notice_days": 3,
            "panel": [year.panel[0].signer.address],
            "min_scores": 1,
        },
    )
    refused(lambda: year.admin.request("GET", f"/programmes/{fresh['id']}/package"), 409, "not_selected")
    refused(lambda: year.admin.request("GET", "/programmes/999999/package"), 404, "not_found")


def test_a_car_must_hold_exactly_its_root_dag() -> None:
    leaf = b"leaf block"
    cid = CID(1, 0x55, hashlib.sha256(leaf).digest())
    good = car_header([cid]) + car_section(cid, leaf)
    assert check_car(good, cid) == 1
    with pytest.raises(InvalidCarError, match="does not match"):
        check_car(car_header([cid]) + car_section(cid, b"leaf blocK"), cid)
    other = CID(1, 0x55, hashlib.sha256(b"other").digest())
    with pytest.raises(InvalidCarError, match="not reachable"):
        check_car(good + car_section(other, b"other"), cid)
    with pytest.raises(InvalidCarError, match="root"):
        check_car(car_header([other]) + car_section(other, b"other"), cid)
    with pytest.raises(InvalidCarError, match="lacks"):
        check_car(car_header([cid]), cid)


def test_verifications_at_once_are_bounded_and_a_busy_service_answers_429(client: TestClient) -> None:
    """Each package is held in memory and hashed whole: past the configured slots a caller gets 429
    (with Retry-After) instead of joining a queue of uploads; a freed slot serves the next caller."""
    slots = client.app.state.package_slots = VerificationSlots(1)
    headers = {"Content-Type": "application/zip"}
    with slots.hold():
        busy = client.post("/packages/verify", content=b"PK\x05\x06" + bytes(18), headers=headers)
        assert busy.status_code == 429 and busy.json()["error"] == "rate_limited"
        wait = VerificationSlots.RETRY_AFTER
        assert busy.headers["Retry-After"] == str(wait) and busy.json()["retry_after"] == wait
    served = client.post("/packages/verify", content=b"PK\x05\x06" + bytes(18), headers=headers)
    assert served.status_code == 200 and served.json()["outcome"] == "invalid", served.text
    with slots.hold():  # the slot was given back after the request, whatever its outcome
        pass

"""People behind addresses (profiles, the consent rule, names on certificates and their PDF), the
one-time login links, "my resources" and "my certificates", and the web application and API
documentation served by the registry itself (no CDN)."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from registry.models import LoginLink, utcnow
from tests.registry.conftest import ClientFactory
from tests.utils.registry import People, drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept, set_up_people, sign_in

REPO = Path(__file__).resolve().parents[2]


def accepted(client: TestClient, people: People) -> tuple[dict, int]:  # type: ignore[type-arg]
    files = lesson_bundle(f"people-{uuid.uuid4()}")
    version = review_and_accept(people, people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files)))
    drain(client)
    version = people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")
    return version, int(version["certificates"][0]["id"])


def test_profiles_set_by_their_owner_and_by_administrators(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    teacher, admin = people.teacher, people.admin
    mine = teacher.request("PUT", "/users/me/profile", json={"display_name": "  王丽华 ", "title": "小学数学教师"})
    assert mine["display_name"] == "王丽华" and mine["title"] == "小学数学教师" and mine["name_public"] is False
    assert mine["institution_name"] == "滨海新区实验小学"
    assert teacher.request("GET", "/users/me") == mine
    changed = admin.request("PUT", f"/users/{teacher.signer.address}/profile", json={"title": "数学教研组长"})
    assert changed["display_name"] == "王丽华" and changed["title"] == "数学教研组长", "unset fields are kept"
    assert admin.request("GET", f"/users/{teacher.signer.address}")["display_name"] == "王丽华"
    cleared = teacher.request("PUT", "/users/me/profile", json={"title": ""})
    assert cleared["title"] is None
    other = people.reviewers[0]
    refused = client.put(f"/users/{teacher.signer.address}/profile", json={"display_name": "冒名"}, headers=other.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    for bad in (
        {"display_name": "x" * 101},
        {"display_name": "<script>"},
        {"display_name": "a\x07b"},
        {"nickname": "x"},
        {"name_public": "yes please"},
    ):
        answer = client.put("/users/me/profile", json=bad, headers=teacher.headers)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_request", (bad, answer.json())
    assert teacher.request("GET", "/users/me")["display_name"] == "王丽华", "a refused update changes nothing"
    stranger = sign_in(client, new_signer())  # an account the registry does not know yet gets a profile row
    assert stranger.request("PUT", "/users/me/profile", json={"display_name": "家长"})["institution_id"] is None


def test_an_institution_is_renamed_by_its_administrators(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    school_admin = sign_in(client, new_signer())
    school = people.admin.request(
        "POST", "/institutions", json={"name": "某某小学", "kind": "school", "admin_address": school_admin.signer.address}
    )
    assert school_admin.request("PATCH", f"/institutions/{school['id']}", json={"name": " 天津市某某小学 "})["name"] == "天津市某某小学"
    assert people.admin.request("PATCH", f"/institutions/{people.school_id}", json={"name": "滨海新区实验小学（本部）"})
    refused = client.patch(f"/institutions/{school['id']}", json={"name": "别的名字"}, headers=people.teacher.headers)
    assert refused.status_code == 403
    for bad in ({"name": ""}, {"name": "<b>x</b>"}, {"name": "x", "kind": "city"}):
        assert client.patch(f"/institutions/{school['id']}", json=bad, headers=people.admin.headers).status_code == 422, bad
    assert client.patch("/institutions/0x" + "00" * 32, json={"name": "x"}, headers=people.admin.headers).status_code == 404
    names = {i["id"]: i["name"] for i in client.get("/institutions").json()}
    assert names[school["id"]] == "天津市某某小学" and names[people.school_id] == "滨海新区实验小学（本部）"


def test_names_are_public_only_with_consent(client: TestClient) -> None:
    people = set_up_people(client, reviewers=2)
    teacher = people.teacher
    address = teacher.signer.address
    teacher.request("PUT", "/users/me/profile", json={"display_name": "王丽华"})
    anonymous = client.get("/people", params={"address": [address]}).json()
    assert anonymous == [{"address": address, "name": None, "institution": None, "title": None}]
    other_teacher = sign_in(client, new_signer())
    assert client.get("/people", params={"address": address}, headers=other_teacher.headers).json()[0]["name"] is None
    assert teacher.request("GET", "/people", params={"address": address})[0]["name"] == "王丽华", "people see their own name"
    assert people.admin.request("GET", "/people", params={"address": address})[0]["institution"] == "滨海新区实验小学"
    assert people.reviewers[0].request("GET", "/people", params={"address": address})[0]["name"] == "王丽华"

    version, number = accepted(client, people)
    public = client.get(f"/resources/{version['resource_id']}/versions/1").json()
    assert public["authors"][0]["name"] is None, "no consent: the public sees the address only"
    record = client.get(f"/certificates/{number}").json()["registry"]
    assert record["authors"] == [{"address": address, "share": 10000, "name": None, "institution": None}]
    assert record["issuer"]["name"] == "市级教育资源平台" and record["issuer"]["kind"] == "city"
    teacher.request("PUT", "/users/me/profile", json={"name_public": True})
    public = client.get(f"/resources/{version['resource_id']}/versions/1").json()
    assert public["authors"][0] == {
        "address": address,
        "share": 10000,
        "status": "lead",
        "name": "王丽华",
        "institution": "滨海新区实验小学",
    }
    history = client.get(f"/resources/{version['resource_id']}/versions/1/history").json()
    assert history["events"][0]["actor_name"] == "王丽华"
    assert client.get(f"/certificates/{number}").json()["registry"]["authors"][0]["name"] == "王丽华"

    for bad in ({"address": "0x123"}, {"address": [address] * 101}):
        answer = client.get("/people", params=bad)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"


def pdf_text(pdf: bytes, workdir: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils; `make test` installs it)")
    (workdir / "c.pdf").write_bytes(pdf)
    return subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(workdir / "c.pdf"), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()


def test_the_certificate_pdf_names_the_author_only_with_consent(client: TestClient, tmp_path: Path) -> None:
    people = set_up_people(client, reviewers=2)
    people.teacher.request("PUT", "/users/me/profile", json={"display_name": "李明"})
    _, number = accepted(client, people)
    without = pdf_text(client.get(f"/certificates/{number}/pdf").content, tmp_path)
    assert people.teacher.signer.address in without.replace("\n", "") and "李明" not in without
    people.teacher.request("PUT", "/users/me/profile", json={"name_public": True})
    named = pdf_text(client.get(f"/certificates/{number}/pdf").content, tmp_path)
    assert "李明 (滨海新区实验小学) (100%)" in named and people.teacher.signer.address not in named.replace("\n", "")


def test_a_login_link_opens_one_session_once(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    link = people.teacher.request("POST", "/auth/links")
    assert re.fullmatch(r"http://[^/]+/app/login#code=[A-Za-z0-9_-]{40,}", link["url"]), link
    code = link["url"].split("#code=")[1]
    session = client.post("/auth/links/session", json={"code": code})
    assert session.status_code == 201, session.text
    body = session.json()
    assert body["address"] == people.teacher.signer.address and body["roles"] == ["teacher"]
    assert client.get("/auth/session", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    again = client.post("/auth/links/session", json={"code": code})
    assert again.status_code == 401 and again.json()["error"] == "link_used"
    assert client.post("/auth/links/session", json={"code": "x" * 43}).json()["error"] == "unknown_link"
    assert client.post("/auth/links/session", json={"code": "short"}).status_code == 422
    expiring = people.teacher.request("POST", "/auth/links")["url"].split("#code=")[1]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        db.execute(update(LoginLink).where(LoginLink.used_at.is_(None)).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert client.post("/auth/links/session", json={"code": expiring}).json()["error"] == "link_expired"
    assert client.post("/auth/links").status_code == 401, "only a signed-in account asks for a link"


def test_my_resources_and_my_certificates(client: TestClient) -> None:
    people = set_up_people(client, reviewers=2)
    version, number = accepted(client, people)
    files = lesson_bundle(f"mine-{uuid.uuid4()}")
    second = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, title="第二个资源"))
    mine = people.teacher.request("GET", "/resources")
    assert mine["total"] == 2 and [item["id"] for item in mine["items"]] == [second["resource_id"], version["resource_id"]]
    assert mine["items"][1]["state"] == "ACCEPTED" and mine["items"][1]["certificates"] == 1
    assert mine["items"][0]["cid"] == second["cid"] and mine["items"][0]["catalogue_path"].endswith("几分之一")
    page = people.teacher.request("GET", "/resources", params={"per_page": 1, "page": 2})
    assert page["total"] == 2 and [item["id"] for item in page["items"]] == [version["resource_id"]]
    assert people.reviewers[0].request("GET", "/resources")["total"] == 0, "another account's resources are not listed"
    assert client.get("/resources", params={"per_page": 1000}, headers=people.teacher.headers).status_code == 422
    certificates = people.teacher.request("GET", "/certificates")
    assert [c["id"] for c in certificates] == [number] and certificates[0]["kind"] == "inclusion"
    assert certificates[0]["verify_url"].endswith(f"/certificates/{number}/verify") and certificates[0]["status"] == "issued"
    assert people.admin.request("GET", "/certificates") == []
    assert client.get("/certificates").status_code == 401


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A stand-in build (the real one is exercised by the browser tests): an index, a hashed asset and its gzip twin."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><div id="app"></div><script type="module" src="/app/assets/index-abc.js"></script>')
    (root / "assets" / "index-abc.js").write_text("console.log('app')\n" * 50)
    (root / "assets" / "index-abc.js.gz").write_bytes(gzip.compress((root / "assets" / "index-abc.js").read_bytes()))
    (tmp_path / "secret.txt").write_text("not served")
    return root


def test_the_web_application_is_served_under_app(make_client: ClientFactory, built: Path) -> None:
    client = make_client(WEB_DIR=built)
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/app/"
    for path in ("/app/", "/app/verify", "/app/teacher/resources/12", "/app/login"):
        page = client.get(path)
        assert page.status_code == 200 and 'id="app"' in page.text and page.headers["cache-control"] == "no-cache", path
    asset = client.get("/app/assets/index-abc.js", headers={"Accept-Encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip" and "immutable" in asset.headers["cache-control"]
    assert asset.text.startswith("console.log"), "the gzip twin is sent as gzip and decodes to the asset"
    plain = client.get("/app/assets/index-abc.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and "javascript" in plain.headers["content-type"]
    for missing in ("/app/assets/nope.js", "/app/vendor/nope.css", "/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/favicon.ico"):
        answer = client.get(missing)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", missing
    # The certificate's printed QR URL: browsers get the application, programs JSON, as before.
    html = client.get("/certificates/4242/verify", headers={"Accept": "text/html,application/xhtml+xml"})
    assert 'id="app"' in html.text and html.headers["content-type"].startswith("text/html")
    assert client.get("/certificates/4242/verify").json()["outcome"] == "invalid"
    assert client.get("/resources/12").headers["content-type"].startswith("application/json"), "API paths stay JSON"


def test_without_a_build_the_pages_say_so(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(WEB_DIR=tmp_path / "nothing")
    page = client.get("/app/verify")
    assert page.status_code == 503 and "make run" in page.text


def test_the_api_documentation_loads_nothing_from_outside(client: TestClient) -> None:
    for path, assets in (
        ("/docs", ("/app/vendor/swagger-ui-bundle.js", "/app/vendor/swagger-ui.css", "/app/vendor/swagger-init.js")),
        ("/redoc", ("/app/vendor/redoc.standalone.js",)),
    ):
        page = client.get(path).text
        assert not re.search(r"(src|href)=\"https?://", page), f"{path} loads from another host"
        assert "<script>" not in page, f"{path} has an inline script"
        for asset in assets:
            assert asset in page
    dist = REPO / "web" / "dist" / "vendor"
    if (dist / "swagger-ui-bundle.js").is_file():  # the real build ships them
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js", "redoc.standalone.js"):
            assert client.get(f"/app/vendor/{asset}").status_code == 200, asset

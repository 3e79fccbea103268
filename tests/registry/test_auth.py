"""Sign-In with Ethereum (EIP-4361) and the roles every endpoint demands (401 / 403)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from ledger_service.chain import dev_signer, eip191_digest
from registry.core.security import SignInMessage
from registry.crud.auth import client_key
from registry.models import AuthChallenge, Session, utcnow
from tests.registry.conftest import ClientFactory
from tests.utils.registry import ADMIN_KEY_INDEX, drain, lesson_bundle, lesson_metadata, new_signer, set_up_people, sign_in
from wallet_cli._registry import RegistryClient


def challenge(client: TestClient, address: str) -> str:
    answer = client.post("/auth/challenge", json={"address": address})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["message"])


def signed(signer, message: str) -> str:  # type: ignore[no-untyped-def]
    return "0x" + signer.sign_digest(eip191_digest(message.encode())).hex()


def test_the_challenge_is_an_eip_4361_message(client: TestClient) -> None:
    key = new_signer()
    text = challenge(client, key.address.lower())
    message = SignInMessage.parse(text)
    assert message.address == key.address, "the address comes back checksummed"
    assert text.splitlines()[0] == "127.0.0.1:8000 wants you to sign in with your Ethereum account:"  # EDULEDGER_PUBLIC_URL's host
    assert message.uri == "http://127.0.0.1:8000" and message.statement == "Sign in to the EduLedger registry."
    assert message.chain_id == client.get("/chain").json()["chain_id"]
    assert message.expiration_time is not None and message.expiration_time > message.issued_at
    assert SignInMessage.parse(message.text()) == message


def test_sign_in_gives_a_token_with_the_roles(client: TestClient) -> None:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    assert admin.roles == ["admin"]
    me = admin.request("GET", "/auth/session")
    assert me["address"] == dev_signer(ADMIN_KEY_INDEX).address and me["roles"] == ["admin"]
    nobody = sign_in(client, new_signer())
    assert nobody.roles == []
    admin.request("DELETE", "/auth/session")
    after = client.get("/auth/session", headers=admin.headers)
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("signature_by_another_key", "invalid_signature"),
        ("changed_message", "unknown_challenge"),
        ("not_a_message", "invalid_message"),
        ("malformed_signature", "invalid_signature"),
        ("high_s_signature", "invalid_signature"),
    ],
)
def test_bad_sign_ins_are_401(client: TestClient, tamper: str, code: str) -> None:
    key = new_signer()
    message = challenge(client, key.address)
    signature = signed(key, message)
    if tamper == "signature_by_another_key":
        signature = signed(new_signer(), message)
    elif tamper == "changed_message":
        message = message.replace("Chain ID: ", "Chain ID: 1")
        signature = signed(key, message)
    elif tamper == "not_a_message":
        message, signature = "hello", signed(key, "hello")
    elif tamper == "malformed_signature":
        signature = "0x1234"
    elif tamper == "high_s_signature":
        raw = bytes.fromhex(signature[2:])
        n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        signature = "0x" + (raw[:32] + (n - int.from_bytes(raw[32:64], "big")).to_bytes(32, "big") + bytes([55 - raw[64]])).hex()
    answer = client.post("/auth/session", json={"message": message, "signature": signature})
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == code and answer.json()["message"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_sign_in_message_works_once(client: TestClient) -> None:
    key = new_signer()
    message = challenge(client, key.address)
    body = {"message": message, "signature": signed(key, message)}
    assert client.post("/auth/session", json=body).status_code == 201
    replay = client.post("/auth/session", json=body)
    assert replay.status_code == 401 and replay.json()["error"] == "challenge_used"


def test_expired_challenges_and_sessions_are_refused(client: TestClient) -> None:
    key = new_signer()
    message = challenge(client, key.address)
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db:
        db.execute(update(AuthChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    late = client.post("/auth/session", json={"message": message, "signature": signed(key, message)})
    assert late.status_code == 401 and late.json()["error"] == "challenge_expired"
    user = sign_in(client, key)
    with sessions() as db:
        db.execute(update(Session).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    expired = client.get("/auth/session", headers=user.headers)
    assert expired.status_code == 401 and expired.json()["error"] == "token_expired"


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not-a-token", "token"])
def test_missing_and_malformed_tokens_are_401(client: TestClient, header: str) -> None:
    answer = client.get("/auth/session", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401 and answer.json()["message"]


def test_a_bad_address_is_a_clear_422(client: TestClient) -> None:
    for address in ("0x123", "not an address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"):  # the last: a wrong checksum
        answer = client.post("/auth/challenge", json={"address": address})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_request", address


def test_challenges_are_limited_per_client_with_a_json_429(client: TestClient) -> None:
    """881 challenges were stored in 5 s from one client; now a client gets 60 a minute (the default)."""
    answers = [client.post("/auth/challenge", json={"address": new_signer().address}) for _ in range(100)]
    assert [a.status_code for a in answers[:60]] == [201] * 60
    refused = answers[60:]
    assert {a.status_code for a in refused} == {429}
    body = refused[0].json()
    assert body["error"] == "rate_limited" and "60" in body["message"] and 1 <= body["retry_after"] <= 60
    assert refused[0].headers["retry-after"] == str(body["retry_after"])
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(AuthChallenge)) == 60, "a refused request stores nothing"


def test_challenges_are_limited_per_address_and_in_all(make_client: ClientFactory) -> None:
    client = make_client(CHALLENGES_PER_ADDRESS=3, MAX_OPEN_CHALLENGES=5)
    key = new_signer()
    for _ in range(3):
        challenge(client, key.address)
    again = client.post("/auth/challenge", json={"address": key.address})
    assert again.status_code == 429 and key.address in again.json()["message"], again.text
    challenge(client, new_signer().address)  # another account from the same client still signs in
    challenge(client, new_signer().address)
    full = client.post("/auth/challenge", json={"address": new_signer().address})
    assert full.status_code == 429 and "open" in full.json()["message"] and int(full.headers["retry-after"]) >= 1
    # A used challenge is no longer open: signing in frees room.
    message = challenge_text_of(client, key.address)
    assert client.post("/auth/session", json={"message": message, "signature": signed(key, message)}).status_code == 201
    assert client.post("/auth/challenge", json={"address": new_signer().address}).status_code == 201


def challenge_text_of(client: TestClient, address: str) -> str:
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        return str(db.scalars(select(AuthChallenge.message).where(AuthChallenge.address == address)).first())


def test_old_challenges_and_sessions_are_purged(make_client: ClientFactory) -> None:
    client = make_client(CHALLENGE_WINDOW=60)
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    keys = [new_signer() for _ in range(3)]
    users = [sign_in(client, key) for key in keys]
    challenge(client, new_signer().address)
    long_ago = utcnow() - timedelta(hours=2)
    with sessions() as db:
        db.execute(update(AuthChallenge).values(issued_at=long_ago, expires_at=long_ago + timedelta(minutes=5)))
        db.execute(update(Session).where(Session.address == keys[0].address).values(expires_at=long_ago))
        db.execute(update(Session).where(Session.address == keys[1].address).values(revoked_at=long_ago))
        db.commit()
    challenge(client, new_signer().address)  # asking for a challenge purges what is old
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(AuthChallenge)) == 1, "only the new challenge is left"
        assert set(db.scalars(select(Session.address))) == {keys[2].address}
    assert client.get("/auth/session", headers=users[0].headers).json()["error"] == "invalid_token"
    assert users[2].request("GET", "/auth/session")["address"] == keys[2].address


def test_an_ipv6_client_is_counted_by_its_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7" and client_key("192.0.2.7") == "192.0.2.7"
    assert client_key(None) == "unknown" and client_key("testclient") == "testclient"


# Every route of the app, with who may call it. A route missing from both tables fails the test,
# so a new endpoint cannot ship without its access rule.
V = "/resources/{resource_id}/versions/{number}"
P = "/programmes/{programme_id}"
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/chain"),
    ("GET", "/chain/jobs/{job_id}"),
    ("GET", "/ipfs/{cid}"),
    ("GET", "/ipfs/{cid}/{path}"),
    ("POST", "/verify"),
    ("POST", "/verify/bundles"),
    ("POST", "/verify/presentation"),
    ("POST", "/presentations/challenges"),
    ("POST", "/auth/challenge"),
    ("POST", "/auth/session"),
    ("POST", "/auth/links/session"),
    ("GET", "/institutions"),
    ("GET", "/institutions/{institution_id}/did.json"),
    ("GET", "/contexts/eduledger/{version}"),
    ("GET", "/catalogue"),
    ("GET", "/search"),
    ("GET", "/search/suggest"),
    ("GET", "/people"),
    ("GET", "/dashboard/summary"),
    ("GET", "/resources/{resource_id}"),
    ("GET", V),
    ("GET", V + "/history"),
    ("GET", V + "/authorship"),
    ("GET", V + "/download"),  # a published version's files; an unpublished one only to those who may see it
    ("GET", "/certificates/{certificate_id}"),
    ("GET", "/certificates/{certificate_id}/verify"),
    ("GET", "/certificates/{certificate_id}/pdf"),
    ("GET", "/certificates/{certificate_id}/credential"),
    ("GET", "/status-lists/{list_id}"),
    ("GET", "/contributions/statements/{statement_id}"),
    ("POST", "/packages/verify"),
    ("GET", "/programmes"),
    ("GET", P),
    ("GET", P + "/notice"),
    ("GET", P + "/selection"),
    ("GET", P + "/recommendations"),
}
PROTECTED: dict[tuple[str, str], set[str]] = {  # roles admitted ("any": every signed-in account, then checked case by case)
    ("GET", "/auth/session"): {"any"},
    ("DELETE", "/auth/session"): {"any"},
    ("POST", "/auth/links"): {"any"},
    ("GET", "/users/me"): {"any"},
    ("PUT", "/users/me/profile"): {"any"},
    ("PUT", "/users/{address}/profile"): {"admin"},
    ("PATCH", "/institutions/{institution_id}"): {"admin"},  # and the institution's own administrator
    ("GET", "/resources"): {"any"},  # your own resources
    ("GET", "/certificates"): {"any"},  # certificates of your own resources
    ("POST", "/ipfs"): {"teacher"},
    ("POST", "/institutions"): {"admin"},
    ("GET", "/users"): {"admin"},
    ("GET", "/users/{address}"): {"admin", "self"},
    ("PUT", "/users/{address}"): {"admin"},
    ("PUT", "/catalogue"): {"admin"},
    ("GET", "/dashboard"): {"admin"},
    ("GET", "/resources/registration-info"): {"teacher"},
    ("POST", "/resources"): {"teacher"},
    ("POST", "/resources/{resource_id}/versions"): {"teacher"},
    ("POST", V + "/authorship"): {"any"},  # the version's co-authors, with their own signature
    ("GET", V + "/parts/{name}/preview"): {"any"},  # those who may see the version
    ("GET", V + "/parts/{name}/preview.pdf"): {"any"},
    ("GET", "/reviews/queue"): {"reviewer"},
    ("GET", "/reviews/rubric"): {"any"},
    ("GET", "/reviews/versions"): {"admin"},
    ("POST", V + "/assignments"): {"admin"},
    ("GET", V + "/assignments"): {"admin", "reviewer"},
    ("POST", V + "/claim"): {"reviewer"},
    ("POST", V + "/reviews"): {"reviewer"},
    ("GET", V + "/reviews"): {"admin", "reviewer"},
    ("POST", V + "/decision"): {"admin"},
    ("POST", V + "/withdrawal"): {"admin", "author"},
    ("POST", V + "/reopen"): {"admin"},
    ("POST", V + "/reinstate"): {"admin"},
    ("POST", V + "/collection"): {"admin"},
    ("POST", "/programmes"): {"admin"},
    ("POST", P + "/nominations"): {"any"},  # a school's or bureau's accounts, checked against the programme
    ("POST", P + "/intake"): {"admin"},
    ("GET", P + "/nominees"): {"any"},  # what each account may see of them, checked case by case
    ("POST", P + "/nominees/{nominee_id}/scores"): {"reviewer"},
    ("GET", P + "/ranking"): {"admin"},
    ("POST", P + "/publish"): {"admin"},
    ("POST", P + "/nominees/{nominee_id}/objections"): {"any"},  # any signed-in account may object, once, with its name
    ("GET", P + "/objections"): {"admin"},
    ("POST", P + "/objections/{objection_id}/decision"): {"admin"},
    ("POST", P + "/selection"): {"admin"},
    ("GET", P + "/events"): {"admin"},
    ("GET", P + "/package"): {"admin"},
    ("POST", "/packages/import"): {"admin"},
    ("GET", "/contributions/teachers/{address}"): {"any"},  # the teacher and those over them, case by case
    ("GET", "/contributions/schools/{institution_id}"): {"any"},
    ("POST", "/contributions/me/statement"): {"teacher"},
    ("POST", "/institutions/{institution_id}/issuer"): {"admin"},
    ("GET", "/institutions/{institution_id}/issuer"): {"any"},  # administrators and the institution's own accounts
    ("GET", "/institutions/{institution_id}/resources"): {"any"},  # administrators and the institution's issuers
    ("POST", "/credentials/batches"): {"issuer"},
    ("GET", "/credentials/batches"): {"issuer"},
    ("POST", "/credentials/batches/check"): {"issuer"},
    ("POST", "/credentials/rosters"): {"issuer"},
    ("GET", "/credentials/batches/{key}"): {"issuer"},
    ("GET", "/credentials/batches/{key}/subjects"): {"issuer"},
    ("GET", "/credentials/{credential_id}"): {"issuer"},
    ("POST", "/credentials/{credential_id}/status"): {"issuer"},
    ("GET", "/subjects/{subject_id}"): {"issuer"},
    ("DELETE", "/subjects/{subject_id}"): {"issuer"},
    ("GET", "/credit-bank/rules"): {"issuer"},
    ("PUT", "/credit-bank/rules"): {"issuer"},
    ("POST", "/credit-bank/imports"): {"issuer"},
    ("GET", "/credit-bank/grants"): {"issuer"},
}
# Public routes that show an unpublished resource only to those who may see it (a 403 to others).
SHOWN_BY_WHO_ASKS = {
    ("GET", "/resources/{resource_id}"),
    ("GET", V),
    ("GET", V + "/history"),
    ("GET", V + "/authorship"),
    ("GET", V + "/download"),
}
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/", "/app", "/app/{path}"}  # and the web application
# Routes the enumeration must find whatever FastAPI does with included routers: one from each router.
KNOWN = {
    ("GET", "/health"),
    ("GET", "/chain/jobs/{job_id}"),
    ("GET", "/ipfs/{cid}/{path}"),
    ("POST", "/verify/bundles"),
    ("POST", "/auth/session"),
    ("GET", "/users/me"),
    ("POST", "/institutions"),
    ("PUT", "/catalogue"),
    ("POST", "/resources"),
    ("GET", "/reviews/queue"),
    ("GET", V + "/parts/{name}/preview"),
    ("POST", "/programmes"),
    ("POST", "/packages/import"),
    ("POST", "/contributions/me/statement"),
    ("GET", "/certificates"),
    ("GET", "/search"),
    ("GET", "/credit-bank/grants"),
    ("GET", "/contexts/eduledger/{version}"),
    ("GET", "/dashboard"),
    ("GET", "/institutions/{institution_id}/did.json"),
    ("POST", "/presentations/challenges"),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, walking included routers the way FastAPI's own OpenAPI does
    (``app.routes`` holds only the top-level routers since FastAPI 0.165, not their routes)."""
    return {
        (method, context.path_format)
        for context in iter_route_contexts(app.routes)
        for method in context.methods or ()
        if method != "HEAD" and context.path_format not in DOCS
    }


def test_every_route_has_an_access_rule(client: TestClient) -> None:
    routes = app_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 100 and KNOWN <= routes, f"the enumeration is vacuous: {len(routes)} routes, missing {KNOWN - routes}"
    documented = {(method.upper(), path) for path, item in client.get("/openapi.json").json()["paths"].items() for method in item}
    assert len(documented) >= 100 and documented <= routes, documented - routes
    assert routes - PUBLIC - set(PROTECTED) == set(), "add the new routes to PUBLIC or PROTECTED"
    assert PUBLIC | set(PROTECTED) == routes, f"rules for routes that do not exist: {(PUBLIC | set(PROTECTED)) - routes}"
    assert not PUBLIC & set(PROTECTED)


def test_each_forbidden_call_is_refused(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    files = lesson_bundle(f"roles-{uuid.uuid4()}")
    resource = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))["resource_id"]
    stranger = sign_in(client, new_signer())
    accounts: dict[str, RegistryClient] = {
        "admin": people.admin,
        "teacher": people.teacher,
        "reviewer": people.reviewers[0],
        "none": stranger,
    }
    # Accounts that held each role when they signed in, and lost it since: refused like strangers.
    for role in ("admin", "teacher", "reviewer", "issuer"):
        key = new_signer()
        people.admin.request("PUT", f"/users/{key.address}", json={"institution_id": people.school_id, "roles": [role]})
        drain(client)
        former = sign_in(client, key)
        assert former.roles == [role]
        people.admin.request("PUT", f"/users/{key.address}", json={"roles": []})
        accounts[f"former {role}"] = former
    paths = {
        "{resource_id}": str(resource),
        "{number}": "1",
        "{address}": people.admin.signer.address,
        "{institution_id}": people.school_id,
        "{key}": "b",
        "{credential_id}": "urn:uuid:x",
        "{subject_id}": "subj_x",
        "{programme_id}": "1",
        "{nominee_id}": "1",
        "{objection_id}": "1",
        "{name}": "lesson.md",
        "{job_id}": "1",
        "{cid}": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        "{path}": "a.md",
        "{list_id}": "1",
        "{certificate_id}": "1",
        "{statement_id}": "x",
        "{version}": "v1",
    }

    def filled(template: str) -> str:
        for placeholder, value in paths.items():
            template = template.replace(placeholder, value)
        assert "{" not in template, template
        return template

    refused = []  # public: no sign-in asked for (a 403 only where what is shown depends on who asks)
    for method, template in sorted(PUBLIC):
        for headers in ({}, stranger.headers):
            answer = client.request(method, filled(template), json={}, headers=headers)
            if answer.status_code in (401, 500) or (answer.status_code == 403 and (method, template) not in SHOWN_BY_WHO_ASKS):
                refused.append((method, template, bool(headers), answer.status_code, answer.text))
    assert refused == []
    for (method, template), admitted in PROTECTED.items():
        path = filled(template)
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.json()["error"] in ("unauthenticated",), anonymous.json()
        if "any" in admitted:
            continue
        for role, account in accounts.items():
            if role in admitted or (role == "teacher" and "author" in admitted):
                continue  # the teacher is the resource's author
            body = {"reason_code": "outdated"} if template.endswith("/withdrawal") else {}  # checked after the body
            answer = client.request(method, path, json=body, headers=account.headers)
            assert answer.status_code == 403, (method, path, role, answer.status_code, answer.text)
            assert answer.json()["error"] == "forbidden" and answer.json()["message"]

"""Powers that were taken away are gone at once: roles are checked on every request against the
database and the chain, not fixed in the session at sign-in; a reviewer role removed by an
administrator stops working before its revocation is mined; an account leaves its institution."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from ledger_service.chain import Ledger, dev_signer
from registry.chain.directory import REVIEWER_ROLE
from registry.core.config import Settings
from registry.core.errors import PermissionDeniedError
from registry.crud import users as users_crud
from registry.main import create_app
from registry.models import Institution, ResourceVersion, RoleGrant, User
from tests.registry.test_issuance import issuing_school, students
from tests.utils.live import live_server
from tests.utils.registry import ADMIN_KEY_INDEX, drain, lesson_bundle, lesson_metadata, new_signer, set_up_people, sign_in
from wallet_cli._registry import RegistryClient


def status(client: TestClient, account: RegistryClient, method: str, path: str, **kwargs: object) -> int:
    return client.request(method, path, headers=account.headers, **kwargs).status_code  # type: ignore[arg-type]


def test_a_demoted_administrator_loses_its_powers_at_once(client: TestClient) -> None:
    bureau_admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    deputy_key, stranger = new_signer(), new_signer()
    bureau_admin.request("PUT", f"/users/{deputy_key.address}", json={"roles": ["admin"]})
    deputy = sign_in(client, deputy_key)
    assert deputy.roles == ["admin"]
    assert status(client, deputy, "POST", "/institutions", json={"name": "副管理员建的学校", "kind": "school"}) == 201

    bureau_admin.request("PUT", f"/users/{deputy_key.address}", json={"roles": []})
    # The session opened while it was an administrator: every administrator's power is gone.
    assert status(client, deputy, "POST", "/institutions", json={"name": "撤权后建的学校", "kind": "school"}) == 403
    assert status(client, deputy, "PUT", f"/users/{stranger.address}", json={"roles": ["admin"]}) == 403
    assert status(client, deputy, "PUT", f"/users/{deputy_key.address}", json={"roles": ["admin"]}) == 403
    assert status(client, deputy, "GET", f"/users/{stranger.address}") == 403
    assert deputy.request("GET", "/auth/session")["roles"] == []
    assert bureau_admin.request("GET", f"/users/{stranger.address}")["roles"] == []
    assert bureau_admin.request("GET", f"/users/{deputy_key.address}")["roles"] == [], "the revocation was not undone"


def test_the_chain_administrator_cannot_be_demoted_in_the_database(client: TestClient) -> None:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    answer = client.put(f"/users/{admin.signer.address}", json={"roles": []}, headers=admin.headers)
    assert answer.status_code == 409 and answer.json()["error"] == "role_on_chain", answer.text
    assert "admin" in admin.request("GET", f"/users/{admin.signer.address}")["roles"]


def test_a_removed_issuer_no_longer_reads_personal_data(client: TestClient) -> None:
    admin, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": students(1, label=label)}
    )
    subject = f"/subjects/{batch['credentials'][0]['subject_id']}"
    assert status(client, issuer, "GET", subject) == 200
    admin.request("PUT", f"/users/{issuer.signer.address}", json={"roles": []})
    assert status(client, issuer, "GET", subject) == 403
    assert status(client, issuer, "DELETE", subject) == 403
    assert (
        status(
            client,
            issuer,
            "POST",
            "/credentials/batches",
            json={"batch": label + "b", "kind": "growth_record", "records": students(1, label=label)},
        )
        == 403
    )


def test_an_account_detached_from_its_institution_acts_for_it_no_more(client: TestClient) -> None:
    admin, issuer, school = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": students(1, label=label)}
    )
    subject = f"/subjects/{batch['credentials'][0]['subject_id']}"
    # Leaving out institution_id keeps it; null detaches.
    kept = admin.request("PUT", f"/users/{issuer.signer.address}", json={"roles": ["issuer"]})
    assert kept["institution_id"] == school["id"]
    detached = admin.request("PUT", f"/users/{issuer.signer.address}", json={"institution_id": None})
    assert detached["institution_id"] is None and detached["roles"] == ["issuer"], "roles left out are kept"
    assert issuer.request("GET", "/auth/session")["institution_id"] is None
    typo = client.put(f"/users/{issuer.signer.address}", json={"role": []}, headers=admin.headers)
    assert typo.status_code == 422 and "role" in typo.json()["message"], "a misspelt field is not a silent no-op"
    assert status(client, admin, "PUT", f"/users/{issuer.signer.address}", json={"roles": None}) == 422
    assert status(client, issuer, "GET", subject) == 403
    assert status(client, issuer, "GET", f"/institutions/{school['id']}/issuer") == 403


def test_a_removed_teacher_no_longer_submits(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    files = lesson_bundle(f"removed-teacher-{uuid.uuid4()}")
    metadata = people.teacher.signed_metadata(files, lesson_metadata(people.teacher.signer.address, files))
    people.admin.request("PUT", f"/users/{people.teacher.signer.address}", json={"roles": []})
    assert status(client, people.teacher, "GET", "/resources/registration-info") == 403
    answer = client.post(
        "/resources",
        headers=people.teacher.headers,
        files=[
            ("metadata", (None, json.dumps(metadata, ensure_ascii=False).encode(), "application/json")),
            *[("files", (name, content, "application/octet-stream")) for name, content in files.items()],
        ],
    )
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text


def test_a_removed_reviewer_stops_at_once_while_the_chain_catches_up(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    reviewer = people.reviewers[0]
    address = reviewer.signer.address
    assert status(client, reviewer, "GET", "/reviews/queue") == 200
    client.app.state.worker.stop()  # type: ignore[attr-defined]  # the revocation stays pending on chain
    user = people.admin.request("PUT", f"/users/{address}", json={"roles": []})
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.contracts["InstitutionRegistry"].call("hasRole", REVIEWER_ROLE, address), "not yet revoked on chain"
    assert user["roles"] == [] and user["reviewer_on_chain"] and user["reviewer_revocation_pending"]
    assert status(client, reviewer, "GET", "/reviews/queue") == 403
    assert reviewer.request("GET", "/auth/session")["roles"] == []
    drain(client)
    assert not ledger.contracts["InstitutionRegistry"].call("hasRole", REVIEWER_ROLE, address)
    assert status(client, reviewer, "GET", "/reviews/queue") == 403
    # Granted again: the role works once the chain has it.
    people.admin.request("PUT", f"/users/{address}", json={"roles": ["reviewer"]})
    drain(client)
    assert status(client, reviewer, "GET", "/reviews/queue") == 200


def test_a_reviewer_revoked_on_chain_directly_loses_the_role(client: TestClient) -> None:
    """Governance revokes on chain without the registry: the chain monitor's logs end the cached role."""
    people = set_up_people(client, reviewers=1)
    reviewer = people.reviewers[0]
    assert status(client, reviewer, "GET", "/reviews/queue") == 200
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    ledger.sender.transact(ledger.contracts["InstitutionRegistry"].transaction("revokeRole", REVIEWER_ROLE, reviewer.signer.address))
    deadline = time.monotonic() + 10
    while status(client, reviewer, "GET", "/reviews/queue") != 403:
        assert time.monotonic() < deadline, "the registry still admits a reviewer revoked on chain"
        time.sleep(0.1)


def test_a_role_removed_while_an_upload_runs_stores_nothing(module_ledger: Ledger, database_url: str, tmp_path: Path) -> None:
    """The teacher starts uploading; the administrator removes the role before the last byte arrives:
    the submission is refused as it commits, and nothing is stored."""
    app = create_app(Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=database_url), ledger=module_ledger)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        people = set_up_people(http, reviewers=0, app=app)
        files = lesson_bundle(f"in-flight-{uuid.uuid4()}")
        metadata = people.teacher.signed_metadata(files, lesson_metadata(people.teacher.signer.address, files))
        encoded = http.build_request(
            "POST",
            "/resources",
            files=[
                ("metadata", (None, json.dumps(metadata, ensure_ascii=False).encode(), "application/json")),
                *[("files", (name, content, "application/octet-stream")) for name, content in files.items()],
            ],
        )
        body = encoded.read()
        halfway = threading.Event()
        resume = threading.Event()

        def slowly() -> Iterator[bytes]:
            yield body[: len(body) // 2]
            halfway.set()
            resume.wait(30)
            yield body[len(body) // 2 :]

        answers: list[httpx.Response] = []
        upload = threading.Thread(
            target=lambda: answers.append(
                http.post(
                    "/resources", content=slowly(), headers={**people.teacher.headers, "content-type": encoded.headers["content-type"]}
                )
            )
        )
        upload.start()
        assert halfway.wait(30)
        people.admin.request("PUT", f"/users/{people.teacher.signer.address}", json={"roles": []})
        resume.set()
        upload.join(60)
        assert answers and answers[0].status_code == 403, answers[0].text if answers else "no answer"
        assert "lost the teacher role" in answers[0].json()["message"]
        with app.state.sessions() as db:
            assert db.scalar(select(func.count()).select_from(ResourceVersion)) == 0, "nothing was stored"


def test_the_commit_check_sees_a_removal_made_meanwhile(client: TestClient) -> None:
    """The mechanism under every request: a role taken away between the check and the commit stops the commit."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    admin, deputy = dev_signer(ADMIN_KEY_INDEX).address, new_signer().address
    with sessions() as db:
        db.add(User(address=deputy))
        db.flush()
        db.add(RoleGrant(address=deputy, role="admin", granted_by=admin))
        db.commit()
    with sessions() as acting, sessions() as other:
        users_crud.hold_roles(acting, users_crud.HeldRoles(deputy, frozenset({"admin"}), None, frozenset()))
        acting.add(Institution(id="0x" + "ab" * 32, name="在途请求建的学校", kind="school", admin_address=deputy))
        other.execute(delete(RoleGrant).where(RoleGrant.address == deputy))
        other.commit()
        with pytest.raises(PermissionDeniedError, match="lost the admin role"):
            acting.commit()
    with sessions() as db:
        assert db.get(Institution, "0x" + "ab" * 32) is None
    # An account changing its own roles is not refused by its own change (a deputy may step down).
    with sessions() as db:
        db.add(RoleGrant(address=deputy, role="admin", granted_by=admin))
        db.commit()
    with sessions() as acting:
        users_crud.hold_roles(acting, users_crud.HeldRoles(deputy, frozenset({"admin"}), None, frozenset()))
        users_crud.revoke_role(session=acting, address=deputy, role="admin")
        acting.commit()


def test_two_grants_at_once_give_one_role_and_no_error(module_ledger: Ledger, database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=database_url), ledger=module_ledger)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        admin = sign_in(http, dev_signer(ADMIN_KEY_INDEX))
        for _ in range(3):
            target = new_signer().address
            barrier = threading.Barrier(4)
            answers: list[httpx.Response] = []

            def grant(
                roles: list[str], barrier: threading.Barrier = barrier, target: str = target, answers: list[httpx.Response] = answers
            ) -> None:
                barrier.wait()
                answers.append(http.put(f"/users/{target}", json={"roles": roles}, headers=admin.headers))

            threads = [threading.Thread(target=grant, args=(roles,)) for roles in (["admin"], ["admin"], ["teacher", "admin"], ["admin"])]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
            assert all(a.json()["error"] in ("conflict", "concurrent_update") for a in answers if a.status_code == 409)
            assert any(a.status_code == 200 for a in answers)
            with app.state.sessions() as db:
                grants = list(db.scalars(select(RoleGrant.role).where(RoleGrant.address == target)))
            assert grants.count("admin") == 1, grants


def test_two_administrators_demoting_each_other_at_once(module_ledger: Ledger, database_url: str, tmp_path: Path) -> None:
    """One demotion lands; the other administrator has lost its powers by the time its own commits:
    403, never both, never a deadlock."""
    app = create_app(Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=database_url), ledger=module_ledger)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        bureau_admin = sign_in(http, dev_signer(ADMIN_KEY_INDEX))
        for _ in range(3):
            keys = [new_signer(), new_signer()]
            for key in keys:
                bureau_admin.request("PUT", f"/users/{key.address}", json={"roles": ["admin"]})
            admins = [sign_in(http, key) for key in keys]
            barrier = threading.Barrier(2)
            answers: dict[int, httpx.Response] = {}

            def demote(
                me: int,
                barrier: threading.Barrier = barrier,
                admins: list[RegistryClient] = admins,
                answers: dict[int, httpx.Response] = answers,
            ) -> None:
                other = admins[1 - me].signer.address
                barrier.wait()
                answers[me] = http.put(f"/users/{other}", json={"roles": []}, headers=admins[me].headers)

            threads = [threading.Thread(target=demote, args=(me,)) for me in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            codes = sorted(answer.status_code for answer in answers.values())
            assert codes == [200, 403], [a.text for a in answers.values()]
            still = [bureau_admin.request("GET", f"/users/{key.address}")["roles"] for key in keys]
            assert sorted(still) == [[], ["admin"]], still

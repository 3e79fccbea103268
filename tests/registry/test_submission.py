"""Submitting resources: what a good submission records, and every bad one refused with a clear 4xx
that leaves no row, no stored block and no pin behind."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger_service.chain import Ledger
from ledger_service.content import ImportParams, bundle_root
from registry.core.config import Settings
from registry.main import create_app
from registry.models import ChainJob, ContentPart, Resource, ResourceVersion, WorkflowEvent
from tests.registry.conftest import ClientFactory
from tests.utils.registry import (
    as_teacher,
    drain,
    lesson_bundle,
    lesson_metadata,
    mp4_video,
    new_signer,
    office_document,
    pdf_document,
    set_up_people,
    sign_in,
)
from wallet_cli._registry import RegistryClient, RegistryError

V1 = ImportParams(cid_version=1)
LESSON_PLAN = (
    "认识分数。教学目标：结合具体情境，初步认识几分之一，会读、写几分之一。教学重点：理解几分之一的含义。教学难点：体会平均分"
    "是认识分数的基础。教学过程：一、创设情境，引入新课。春游时，小明和小红带了四个苹果、两瓶水和一个蛋糕，怎样分才公平？"
    "二、动手操作，探究新知。把一张长方形纸对折，涂色表示它的二分之一。三、巩固练习，比较大小。四、课堂小结。"
)


def snapshot(client: TestClient) -> dict[str, Any]:
    """Everything a submission could leave behind."""
    app = client.app
    store = app.state.content  # type: ignore[attr-defined]
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        counts = {
            model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (Resource, ResourceVersion, ContentPart, WorkflowEvent)
        }
        # A submission's own chain job; the worker adds others (recording earlier events) at any time.
        counts["registrations"] = db.scalar(select(func.count()).select_from(ChainJob).where(ChainJob.kind == "register_resource"))
    return {
        **counts,
        "blocks": store.block_keys(),
        "pins": store.pins(),
        "staging": list((store.root / "staging").iterdir()),
    }


def refused(client: TestClient, call: Callable[[], Any], status: int, code: str) -> RegistryError:
    before = snapshot(client)
    with pytest.raises(RegistryError) as caught:
        call()
    assert caught.value.status == status and caught.value.code == code, (caught.value.status, caught.value.code, str(caught.value))
    assert str(caught.value).split(": ", 1)[1], "the message says what is wrong"
    assert snapshot(client) == before, "a refused submission leaves nothing behind"
    return caught.value


def test_a_bundle_is_stored_registered_and_screened(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    files = lesson_bundle(f"good-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    assert version["cid"] == str(bundle_root(files, V1).cid)
    assert version["state"] == "IN_REVIEW" and version["allowed_actions"] == ["withdraw"], "what the author may do"
    kinds = {p["name"]: p["media_type"].split(";")[0] for p in version["parts"]}
    assert kinds == {
        "微课视频.mp4": "video/mp4",
        "教学设计.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "学习任务单.pdf": "application/pdf",
        "课件.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "作业练习.txt": "text/plain",
    }
    for part in version["parts"]:  # in review: for its author (and reviewers, administrators) only
        as_author = client.get(f"/ipfs/{version['cid']}/{part['name']}", headers={"Authorization": f"Bearer {people.teacher.token}"})
        assert as_author.content == files[part["name"]]
    assert version["catalogue_path"] == "小学 / 数学 / 三年级 / 人教版 / 上册 / 分数的初步认识 / 几分之一"
    drain(client)
    mined = people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")["chain"]
    assert mined["status"] == "mined" and mined["tx_hash"].startswith("0x") and mined["resource_id"]
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    record = ledger.contracts["ResourceRegistry"].call("resource", mined["resource_id"])
    assert record["registrant"] == people.teacher.signer.address and record["cid"] == version["cid"]
    assert "0x" + bytes(record["metadataHash"]).hex() == version["metadata_hash"]
    history = people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1/history")
    assert [(e["action"], e["to_state"]) for e in history["events"]] == [
        ("submit", "SUBMITTED"),
        ("screen", "SCREENING"),
        ("pass_screening", "IN_REVIEW"),
    ]
    assert history["intact"]


def test_one_file_is_its_own_root(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    files = {"课件.pdf": pdf_document(f"single {uuid.uuid4()}")}
    metadata = lesson_metadata(people.teacher.signer.address, files, resource_type="课件", parts=[{"name": "课件.pdf", "role": "课件"}])
    version = people.teacher.submit(files, metadata)
    assert version["cid"] == version["parts"][0]["cid"] == str(bundle_root(files, V1).cid)


def _post(teacher: RegistryClient, fields: list[tuple[str, tuple[str | None, bytes, str]]], path: str = "/resources") -> Any:
    return teacher.request("POST", path, files=fields)


def _fields(metadata: Any, files: dict[str, bytes]) -> list[tuple[str, tuple[str | None, bytes, str]]]:
    raw = metadata if isinstance(metadata, bytes) else json.dumps(metadata, ensure_ascii=False).encode()
    return [("metadata", (None, raw, "application/json"))] + [
        ("files", (name, data, "application/octet-stream")) for name, data in files.items()
    ]


@pytest.fixture
def teacher(client: TestClient) -> RegistryClient:
    return set_up_people(client, reviewers=0).teacher


def bundle() -> dict[str, bytes]:
    return lesson_bundle(f"bad-{uuid.uuid4()}")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda m: {**m, "catalogue_node": "primary.math.g9"}, 422, "unknown_catalogue_node"),
        (lambda m: {**m, "resource_type": "电影"}, 422, "invalid_request"),
        (lambda m: {**m, "licence": "GPL-3.0"}, 422, "invalid_request"),
        (lambda m: {**m, "title": ""}, 422, "invalid_request"),
        (lambda m: {**m, "authors": [{"address": m["authors"][0]["address"], "share": 9000}]}, 422, "invalid_shares"),
        (lambda m: {**m, "authors": [{"address": new_signer().address, "share": 10_000}]}, 403, "forbidden"),
        (lambda m: {**m, "parts": [p for p in m["parts"] if p["role"] != "教学设计"]}, 422, "invalid_request"),
        (lambda m: {**m, "parts": [{**p, "role": "试卷"} if p["role"] == "作业练习" else p for p in m["parts"]]}, 422, "invalid_request"),
        (lambda m: {**m, "colour": "red"}, 422, "invalid_request"),
        (lambda m: {k: v for k, v in m.items() if k != "keywords" and k != "title"}, 422, "invalid_request"),
    ],
    ids=[
        "unknown-node",
        "unknown-type",
        "licence",
        "empty-title",
        "shares",
        "not-the-signer",
        "missing-role",
        "role-not-allowed",
        "unknown-field",
        "missing-field",
    ],
)
def test_bad_metadata_is_refused_before_any_file_is_stored(
    client: TestClient, teacher: RegistryClient, change: Callable[[dict[str, Any]], dict[str, Any]], status: int, code: str
) -> None:
    files = bundle()
    metadata = change(lesson_metadata(teacher.signer.address, files))
    refused(client, lambda: teacher.submit(files, metadata), status, code)


def test_malformed_requests(client: TestClient, teacher: RegistryClient) -> None:
    files = bundle()
    signed = teacher.signed_metadata(files, lesson_metadata(teacher.signer.address, files))
    refused(client, lambda: _post(teacher, _fields(b"{not json", files)), 422, "invalid_request")
    refused(client, lambda: _post(teacher, _fields(b"[1, 2]", files)), 422, "invalid_request")
    refused(client, lambda: _post(teacher, list(reversed(_fields(signed, files)))), 422, "invalid_request")  # files before metadata
    refused(client, lambda: _post(teacher, _fields(signed, {**files, "extra.txt": b"x"})), 422, "invalid_request")
    refused(client, lambda: _post(teacher, _fields(signed, {k: v for k, v in files.items() if k != "课件.pptx"})), 422, "invalid_request")
    refused(
        client, lambda: _post(teacher, _fields(signed, files) + [("files", ("课件.pptx", files["课件.pptx"], "x"))]), 422, "invalid_request"
    )
    refused(client, lambda: teacher.request("POST", "/resources", json=signed), 415, "unsupported_media_type")
    refused(client, lambda: _post(teacher, _fields(b"x" * 70_000, files)), 413, "payload_too_large")


def test_a_part_that_is_not_what_its_role_says_is_415(client: TestClient, teacher: RegistryClient) -> None:
    files = {**bundle(), "微课视频.mp4": pdf_document("this is not a video")}
    error = refused(client, lambda: teacher.submit(files, lesson_metadata(teacher.signer.address, files)), 415, "unsupported_media_type")
    assert error.body["part"] == "微课视频.mp4" and "application/pdf" in str(error)
    empty = {**bundle(), "作业练习.txt": b""}
    refused(client, lambda: teacher.submit(empty, lesson_metadata(teacher.signer.address, empty)), 422, "invalid_request")


def test_oversize_files_are_413_and_leave_nothing(make_client: ClientFactory) -> None:
    client = make_client(MAX_UPLOAD_SIZE=400_000)
    teacher = set_up_people(client, reviewers=0).teacher
    files = {**bundle(), "微课视频.mp4": mp4_video(b"big", 450_000)}
    refused(client, lambda: teacher.submit(files, lesson_metadata(teacher.signer.address, files)), 413, "payload_too_large")
    # Each part under the limit, together over it: refused while streaming.
    files = {**bundle(), "微课视频.mp4": mp4_video(b"a", 250_000), "课件.pptx": office_document("ppt", "x" * 10) + b"\0" * 200_000}
    refused(client, lambda: teacher.submit(files, lesson_metadata(teacher.signer.address, files)), 413, "payload_too_large")


def test_signatures_must_cover_exactly_what_is_sent(client: TestClient, teacher: RegistryClient) -> None:
    files = bundle()
    metadata = lesson_metadata(teacher.signer.address, files)
    signed = teacher.signed_metadata(files, metadata)
    # Signed by another key (the signed-in teacher is still the lead author).
    impostor = sign_in(client, new_signer())
    impostor.token, impostor.roles = teacher.token, teacher.roles
    other = impostor.signed_metadata(files, metadata)
    refused(client, lambda: teacher.upload(files, other), 400, "invalid_signature")
    # Metadata changed after signing: the metadata hash no longer matches.
    refused(client, lambda: teacher.upload(files, {**signed, "title": "另一个标题"}), 400, "invalid_signature")
    # A malformed signature.
    refused(
        client,
        lambda: teacher.upload(files, {**signed, "registration": {**signed["registration"], "signature": "0x12"}}),
        400,
        "invalid_signature",
    )
    # Signed for other files than those uploaded.
    other_files = bundle()
    refused(client, lambda: teacher.upload(other_files, {**signed, "parts": signed["parts"]}), 422, "content_mismatch")
    # An expired deadline, and one too far away.
    late = teacher.signed_metadata(files, metadata, deadline=int(time.time()) - 10)
    refused(client, lambda: teacher.upload(files, late), 400, "expired_signature")
    far = teacher.signed_metadata(files, metadata, deadline=int(time.time()) + 90 * 86400)
    refused(client, lambda: teacher.upload(files, far), 422, "invalid_request")
    # A nonce ahead of the author's next one.
    ahead = teacher.signed_metadata(files, metadata, nonce=99)
    refused(client, lambda: teacher.upload(files, ahead), 422, "invalid_nonce")
    # The signed request itself goes through once; replaying it is refused.
    teacher.upload(files, signed)
    drain(client)  # mined: the replayed nonce is behind the chain's now
    refused(client, lambda: teacher.upload(files, signed), 409, "nonce_replayed")


def test_identical_content_is_409_naming_the_first_owner(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    people = set_up_people(client, reviewers=0)
    files = bundle()
    first = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    admin = people.admin
    copier_key = new_signer()
    admin.request("PUT", f"/users/{copier_key.address}", json={"roles": ["teacher"]})
    copier = sign_in(client, copier_key)
    error = refused(
        client, lambda: copier.submit(files, lesson_metadata(copier_key.address, files, title="我的课")), 409, "duplicate_content"
    )
    assert error.body["resource_id"] == first["resource_id"] and error.body["owner"] == people.teacher.signer.address
    # Once on chain, a registry with a database that never saw it still refuses it: the chain is the authority.
    drain(client)
    chain_id = people.teacher.request("GET", f"/resources/{first['resource_id']}/versions/1")["chain"]["resource_id"]
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path / "elsewhere", DATABASE_URL=f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    with TestClient(create_app(settings, ledger=module_ledger)) as elsewhere:
        stranger = as_teacher(elsewhere)
        with pytest.raises(RegistryError) as caught:
            stranger.submit(files, lesson_metadata(stranger.signer.address, files))
        assert caught.value.status == 409 and caught.value.body["chain_resource_id"] == chain_id
        assert caught.value.body["owner"] == people.teacher.signer.address


def test_near_duplicates_are_accepted_but_flagged(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    label = uuid.uuid4().hex
    text = (LESSON_PLAN + label).encode()
    original = {"教学设计.txt": text}
    meta = {"resource_type": "教学设计", "parts": [{"name": "教学设计.txt", "role": "教学设计"}]}
    first = people.teacher.submit(original, lesson_metadata(people.teacher.signer.address, original, **meta))
    assert first["near_duplicates"] == []
    edited = {"教学设计.txt": text + "五、布置作业：完成练习册第八单元。".encode()}
    second = people.teacher.submit(edited, lesson_metadata(people.teacher.signer.address, edited, **meta))
    assert second["state"] == "IN_REVIEW"
    hits = {(hit["resourceId"], hit["kind"]) for hit in second["near_duplicates"]}
    assert (first["resource_id"], "content") in hits or (first["resource_id"], "data") in hits, second["near_duplicates"]
    assert all(hit["owner"] == people.teacher.signer.address for hit in second["near_duplicates"])
    # A bundle that reuses another resource's file byte for byte is flagged "identical".
    reused = {**bundle(), "作业练习.txt": text}
    third = people.teacher.submit(reused, lesson_metadata(people.teacher.signer.address, reused))
    assert any(
        hit["kind"] == "identical" and hit["resourceId"] == first["resource_id"] and hit["distance"] == 0
        for hit in third["near_duplicates"]
    )

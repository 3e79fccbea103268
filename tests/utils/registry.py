"""Helpers for the registry API tests: people with roles, realistic resource files, metadata."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger_service.chain import Signer, dev_signer
from wallet_cli._registry import RegistryClient

ADMIN_KEY_INDEX = 1  # the embedded chain's default bureau administrator


def new_signer() -> Signer:
    return Signer(os.urandom(32))


def office_document(folder: str, text: str) -> bytes:
    """A small OOXML file (docx: 'word', pptx: 'ppt', xlsx: 'xl') holding ``text``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(f"{folder}/document.xml", f"<document><body>{text}</body></document>")
    return buffer.getvalue()


def pdf_document(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text.encode("ascii", "replace").decode())
    page.showPage()
    page.save()
    return buffer.getvalue()


def mp4_video(seed: bytes, size: int = 300_000) -> bytes:
    header = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    body = bytearray()
    counter = 0
    while len(body) < size:
        body += __import__("hashlib").sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return header + bytes(body[: size - len(header)])


def lesson_bundle(label: str) -> dict[str, bytes]:
    """The 五件套 of a lesson, unique per ``label``."""
    return {
        "微课视频.mp4": mp4_video(label.encode()),
        "教学设计.docx": office_document("word", f"{label} 教学设计：教学目标、重点难点、教学过程"),
        "学习任务单.pdf": pdf_document(f"{label} task sheet"),
        "课件.pptx": office_document("ppt", f"{label} 课件"),
        "作业练习.txt": f"{label} 作业练习：1. 涂色表示分数。2. 比较大小。".encode(),
    }


ROLES = {
    "微课视频.mp4": "微课视频",
    "教学设计.docx": "教学设计",
    "学习任务单.pdf": "学习任务单",
    "课件.pptx": "课件",
    "作业练习.txt": "作业练习",
}


def lesson_metadata(author: str, files: dict[str, bytes], **overrides: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "title": "认识分数（几分之一）",
        "description": "三年级上册第八单元：通过分月饼的情境认识几分之一，会读写简单的分数。",
        "keywords": ["分数", "几分之一", "三年级"],
        "resource_type": "课例",
        "catalogue_node": "primary.math.g3.pep.vol1.c8.s1",
        "licence": "CC-BY-NC-4.0",
        "authors": [{"address": author, "share": 10_000}],
        "parts": [{"name": name, "role": ROLES.get(name, "素材")} for name in files],
    }
    metadata.update(overrides)
    return metadata


def sign_in(http: TestClient | httpx.Client, signer: Signer) -> RegistryClient:
    client = RegistryClient(http, signer)
    client.sign_in()
    return client


@dataclass
class People:
    admin: RegistryClient
    teacher: RegistryClient
    reviewers: list[RegistryClient]
    school_id: str
    other_school_id: str


def drain(target: TestClient | FastAPI) -> None:
    """Run the chain worker until every chain job is done (``target``: a test client or the app)."""
    app: FastAPI = target if isinstance(target, FastAPI) else target.app  # type: ignore[assignment]
    app.state.worker.drain(timeout=60)


def set_up_people(
    http: TestClient | httpx.Client, *, reviewers: int = 2, reviewer_school: str | None = None, app: FastAPI | None = None
) -> People:
    """An administrator, a school with a teacher, reviewers (on chain), all signed in (``app``: for a live server)."""
    admin = sign_in(http, dev_signer(ADMIN_KEY_INDEX))
    assert "admin" in admin.roles, admin.roles
    school = admin.request("POST", "/institutions", json={"name": "滨海新区实验小学", "kind": "school"})
    other = admin.request("POST", "/institutions", json={"name": "和平区第一中心小学", "kind": "school"})
    teacher_key = new_signer()
    admin.request("PUT", f"/users/{teacher_key.address}", json={"institution_id": school["id"], "roles": ["teacher"]})
    reviewer_keys = [new_signer() for _ in range(reviewers)]
    for key in reviewer_keys:
        admin.request("PUT", f"/users/{key.address}", json={"institution_id": reviewer_school or other["id"], "roles": ["reviewer"]})
    drain(app or http)  # type: ignore[arg-type]
    return People(admin, sign_in(http, teacher_key), [sign_in(http, key) for key in reviewer_keys], school["id"], other["id"])


def as_teacher(http: TestClient) -> RegistryClient:
    """A fresh teacher, signed in; ``http`` sends their token by default from now on."""
    admin = sign_in(http, dev_signer(ADMIN_KEY_INDEX))
    key = new_signer()
    admin.request("PUT", f"/users/{key.address}", json={"roles": ["teacher"]})
    teacher = sign_in(http, key)
    http.headers["Authorization"] = f"Bearer {teacher.token}"
    return teacher


GOOD_RUBRIC = {"科学性": 3, "适用性": 3, "规范性": 3, "思想性": 2, "技术性": 3}


def review_and_accept(people: People, version: dict[str, Any], rubric: dict[str, int] = GOOD_RUBRIC) -> dict[str, Any]:
    """Every reviewer claims and recommends the version; the administrator accepts it."""
    path = f"/resources/{version['resource_id']}/versions/{version['number']}"
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": rubric, "recommendation": "accept"})
    accepted: dict[str, Any] = people.admin.request("POST", path + "/decision", json={"decision": "accept"})
    return accepted

"""Helpers for programme tests: schools with teachers, accepted resources in chosen catalogue nodes,
a programme set up through the API, and a clock the app judges deadlines by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger_service.chain import dev_signer
from tests.utils.registry import ADMIN_KEY_INDEX, drain, new_signer, office_document, sign_in
from wallet_cli._registry import RegistryClient, RegistryError

GOOD = {"思想性": 3, "科学性": 3, "规范性": 3, "技术性": 2, "适用性": 3}


def _chapters() -> list[str]:
    from registry.crud.catalogue import SAMPLE_CATALOGUE, read_catalogue_file

    found: list[str] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        for child in node.get("children", []):
            node_id = f"{prefix}.{child['key']}" if prefix else child["key"]
            if depth == 5:
                found.append(node_id)
            else:
                walk(child, node_id, depth + 1)

    walk(read_catalogue_file(SAMPLE_CATALOGUE), "", 0)
    return found


CHAPTERS = _chapters()  # chapter-level nodes of the sample catalogue (its per-node quota buckets at node_level chapter)


class Clock:
    """The app's clock (``app.state.clock``): real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Year:
    """The people of a programme year: an administrator, a district, schools with teachers, a panel."""

    http: TestClient  # or an httpx.Client to a live server
    clock: Clock
    admin: RegistryClient
    district_id: str
    bureau_id: str
    schools: list[str]
    teachers: dict[str, list[RegistryClient]]  # school id → its teachers
    panel: list[RegistryClient]
    next_chapter: dict[str, int] = field(default_factory=dict)


def set_up_year(
    http: TestClient | httpx.Client,
    *,
    schools: int = 2,
    teachers_per_school: int = 2,
    panel: int = 2,
    app: FastAPI | None = None,
) -> Year:
    """A district, schools and teachers, and panel reviewers from a school of their own (no conflicts)."""
    clock = Clock()
    target: FastAPI = app or http.app  # type: ignore[union-attr,assignment]
    target.state.clock = clock
    admin = sign_in(http, dev_signer(ADMIN_KEY_INDEX))
    district = admin.request("POST", "/institutions", json={"name": f"滨海新区教育局 {uuid.uuid4().hex[:6]}", "kind": "district"})
    school_ids = [
        admin.request(
            "POST",
            "/institutions",
            json={"name": f"第{i + 1}实验小学 {uuid.uuid4().hex[:4]}", "kind": "school", "parent_id": district["id"]},
        )["id"]
        for i in range(schools)
    ]
    panel_school = admin.request("POST", "/institutions", json={"name": f"教研室 {uuid.uuid4().hex[:4]}", "kind": "school"})["id"]
    keys: dict[str, list[Any]] = {}
    for school in school_ids:
        keys[school] = [new_signer() for _ in range(teachers_per_school)]
        for key in keys[school]:
            admin.request("PUT", f"/users/{key.address}", json={"institution_id": school, "roles": ["teacher"]})
    panel_keys = [new_signer() for _ in range(panel)]
    for key in panel_keys:
        admin.request("PUT", f"/users/{key.address}", json={"institution_id": panel_school, "roles": ["reviewer"]})
    drain(target)
    bureau_id = target.state.bureau.id_hex
    return Year(
        http,
        clock,
        admin,
        district["id"],
        bureau_id,
        school_ids,
        {school: [sign_in(http, key) for key in ks] for school, ks in keys.items()},
        [sign_in(http, key) for key in panel_keys],
    )


def submit_design(teacher: RegistryClient, node: str, label: str | None = None) -> dict[str, Any]:
    """A small 教学设计 (one docx) in catalogue node ``node``, submitted (in review)."""
    label = label or f"design-{uuid.uuid4()}"
    files = {"教学设计.docx": office_document("word", f"{label} 教学设计：教学目标、重点难点、教学过程")}
    metadata = {
        "title": f"教学设计 {label[:40]}",
        "description": "一年级上册：教学目标、重点难点、教学过程与反思。",
        "keywords": ["教学设计"],
        "resource_type": "教学设计",
        "catalogue_node": node,
        "licence": "CC-BY-NC-4.0",
        "authors": [{"address": teacher.signer.address, "share": 10_000}],
        "parts": [{"name": "教学设计.docx", "role": "教学设计"}],
    }
    return teacher.submit(files, metadata)


def accepted_design(year: Year, teacher: RegistryClient, node: str) -> dict[str, Any]:
    """A 教学设计 reviewed by one panel member (the client runs with MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10)."""
    version = submit_design(teacher, node)
    path = f"/resources/{version['resource_id']}/versions/{version['number']}"
    reviewer = year.panel[0]
    reviewer.request("POST", path + "/claim")
    reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD, "recommendation": "accept"})
    accepted: dict[str, Any] = year.admin.request("GET", path)
    assert accepted["state"] == "ACCEPTED", accepted["state"]
    return accepted


def programme_body(year: Year, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "2026年度区级优质教学设计遴选",
        "year": 2026,
        "level": "district",
        "institution_id": year.district_id,
        "quota_total": 10,
        "nomination_closes_at": (year.clock() + timedelta(days=10)).isoformat(),
        "notice_days": 7,
        "panel": [r.signer.address for r in year.panel],
        "min_scores": len(year.panel),
        "blind_review": True,
        "node_level": "chapter",
        "rubric": [{"criterion": "科学性", "max": 50}, {"criterion": "创新性", "max": 50}],
    }
    body.update(overrides)
    return body


def refused(call: Any, status: int, code: str) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), str(caught.value)
    return caught.value


def score_all(year: Year, programme_id: int, totals: dict[int, list[tuple[int, int]]]) -> None:
    """Each panel member i gives nominee n the i-th (科学性, 创新性) pair of ``totals[n]``."""
    for nominee_id, pairs in totals.items():
        for reviewer, (science, novelty) in zip(year.panel, pairs, strict=True):
            reviewer.request(
                "POST", f"/programmes/{programme_id}/nominees/{nominee_id}/scores", json={"scores": {"科学性": science, "创新性": novelty}}
            )


def to_notice(year: Year, count: int, **overrides: Any) -> tuple[int, list[dict[str, Any]]]:
    """A programme with ``count`` nominees (one per chapter, alternating schools, falling scores), scored and published."""
    programme = year.admin.request("POST", "/programmes", json=programme_body(year, **overrides))
    pid = programme["id"]
    nominees = []
    for i in range(count):
        school = year.schools[i % len(year.schools)]
        teacher = year.teachers[school][(i // len(year.schools)) % len(year.teachers[school])]
        version = accepted_design(year, teacher, CHAPTERS[i])
        nominees.append(teacher.request("POST", f"/programmes/{pid}/nominations", json={"resource_id": version["resource_id"]}))
    score_all(year, pid, {n["id"]: [(40 - i, 40), (40 - i, 40)] for i, n in enumerate(nominees)})
    year.clock.advance(days=11)
    year.admin.request("POST", f"/programmes/{pid}/publish")
    return pid, nominees


def selected_programme(year: Year, *, nominees: int, **overrides: Any) -> int:
    """A programme through 公示 (no objections) to selection."""
    pid, _ = to_notice(year, nominees, **overrides)
    year.clock.advance(days=8)
    year.admin.request("POST", f"/programmes/{pid}/selection")
    return pid

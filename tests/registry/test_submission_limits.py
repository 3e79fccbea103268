"""One submission must not stall the service (issue 10 item 14): CPU work (an 8 MB text part's
content code, image decoding) runs off the event loop; an image announcing more pixels than the
limit is refused from its header, never decoded; part names that lie or escape are refused."""

from __future__ import annotations

import random
import struct
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from registry.models import Fingerprint as FingerprintRow
from tests.registry.test_submission import _fields, _post, refused
from tests.utils.live import live_server
from tests.utils.registry import lesson_bundle, lesson_metadata, set_up_people

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil


def png_bomb(width: int = 15_000, height: int = 15_000) -> bytes:
    """A 1-bit PNG of ``width`` x ``height`` zero pixels: some 27 KB that decode to hundreds of megabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def with_image(name: str, image: bytes) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    files = {**lesson_bundle(f"img-{uuid.uuid4()}"), name: image}
    return files, [
        {"name": n, "role": "素材" if n == name else r}
        for n, r in (
            (
                p,
                {
                    "微课视频.mp4": "微课视频",
                    "教学设计.docx": "教学设计",
                    "学习任务单.pdf": "学习任务单",
                    "课件.pptx": "课件",
                    "作业练习.txt": "作业练习",
                }.get(p, "素材"),
            )
            for p in files
        )
    ]


def test_a_decompression_bomb_is_413_naming_the_limit_and_never_decoded(client: TestClient) -> None:
    teacher = set_up_people(client, reviewers=0).teacher
    bomb = png_bomb()
    assert len(bomb) < 64 * 1024
    files, parts = with_image("板书.png", bomb)
    error = refused(
        client, lambda: teacher.submit(files, lesson_metadata(teacher.signer.address, files, parts=parts)), 413, "payload_too_large"
    )
    assert "15000 x 15000" in str(error) and "50,000,000 pixels" in str(error) and error.body["part"] == "板书.png"


def test_the_pixel_limit_is_a_setting_and_a_small_image_passes(make_client: Any) -> None:
    client = make_client(MAX_IMAGE_PIXELS=10_000)
    teacher = set_up_people(client, reviewers=0).teacher
    files, parts = with_image("图.png", png_bomb(100, 100))
    version = teacher.submit(files, lesson_metadata(teacher.signer.address, files, parts=parts))
    assert {p["name"]: p["media_type"] for p in version["parts"]}["图.png"] == "image/png"
    files, parts = with_image("图.png", png_bomb(101, 100))
    error = refused(
        client, lambda: teacher.submit(files, lesson_metadata(teacher.signer.address, files, parts=parts)), 413, "payload_too_large"
    )
    assert "10,100 pixels" in str(error) and "10,000 pixels" in str(error)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("..", "'..'"),
        ("a..b.pdf", "'..'"),
        ("../课件.pdf", "not a path"),
        ("dir/课件.pdf", "not a path"),
        ("..\\boot.ini", "not a path"),
        ("nul\x00.pdf", "control characters"),
        ("line\n.pdf", "control characters"),
        ("report\u202egpj.exe", "bidirectional"),
        ("a\u2066b\u2069.pdf", "bidirectional"),
        ("x\u200f.pdf", "bidirectional"),
        (" 课件.pdf", "white space"),
    ],
)
def test_part_names_that_lie_or_escape_are_refused_naming_the_rule(client: TestClient, name: str, rule: str) -> None:
    teacher = set_up_people(client, reviewers=0).teacher
    files = lesson_bundle(f"names-{uuid.uuid4()}")
    metadata = lesson_metadata(teacher.signer.address, files)
    metadata["parts"] = [*metadata["parts"], {"name": name, "role": "素材"}]
    metadata["registration"] = {"cid": "bafy", "nonce": 0, "deadline": int(time.time()) + 3600, "signature": "0x" + "00" * 65}
    error = refused(client, lambda: _post(teacher, _fields(metadata, files)), 400, "invalid_part_name")
    assert rule in str(error) and error.body["part"] == name


@pytest.mark.slow
def test_health_answers_while_an_8_mb_text_part_is_fingerprinted(module_ledger: Ledger, tmp_path: Path) -> None:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path)
    app = create_app(settings, ledger=module_ledger)
    rng = random.Random(14)
    words = ["分数", "平均分", "几分之一", "涂色", "比较", "大小", "长方形", "对折", "苹果", "蛋糕", "练习", "。", "，"]
    text = "".join(rng.choice(words) for _ in range(1_300_000)).encode()[:8_000_000]
    text = text[: len(text.decode("utf-8", "ignore").encode())]  # whole characters only
    with live_server(app) as base, httpx.Client(base_url=base, timeout=120) as http:
        teacher = set_up_people(http, reviewers=0, app=app).teacher
        files = {**lesson_bundle(f"big-{uuid.uuid4()}"), "作业练习.txt": text}
        metadata = teacher.signed_metadata(files, lesson_metadata(teacher.signer.address, files))
        outcome: dict[str, Any] = {}

        def submit() -> None:
            started = time.monotonic()
            outcome["version"] = teacher.upload(files, metadata)
            outcome["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=submit)
        worker.start()
        waits = []
        with httpx.Client(base_url=base, timeout=30) as probe:
            while worker.is_alive():
                started = time.monotonic()
                answer = probe.get("/health")
                assert answer.status_code in (200, 503) and answer.json()["status"], answer.text  # 503: chain or database slow
                waits.append(time.monotonic() - started)
                time.sleep(0.05)
        worker.join()
        with app.state.sessions() as db:  # the content code was computed, not skipped
            kinds = set(db.scalars(select(FingerprintRow.kind).where(FingerprintRow.part_name == "作业练习.txt")))
    assert "content" in kinds
    assert outcome["version"]["state"] == "IN_REVIEW"
    assert any(p["name"] == "作业练习.txt" for p in outcome["version"]["parts"])
    assert len(waits) >= 10, f"the submission took {outcome['seconds']:.1f} s: too short to tell"
    assert max(waits) < 1.0, f"/health waited up to {max(waits):.2f} s during a {outcome['seconds']:.1f} s submission"

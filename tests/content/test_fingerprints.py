"""Fingerprints (sha256 + ISCC) and the near-duplicate index."""

from __future__ import annotations

import hashlib
import io
import random
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ledger_service.content import NearDuplicateIndex, fingerprint, hamming
from tests.utils.reference_data import chacha

LESSON = "认识分数。把一个物体平均分成几份，每份是它的几分之一。分数的读法和写法。" * 40


def test_fingerprint_holds_sha256_and_iscc_codes() -> None:
    data = LESSON.encode()
    print_ = fingerprint(io.BytesIO(data), media_type="text/plain", title="认识分数", description="三年级上册")
    assert print_.sha256 == hashlib.sha256(data).hexdigest() and print_.size == len(data)
    assert str(print_.data_code).startswith("ISCC:GA") and print_.instance_code.startswith("ISCC:IA")
    assert print_.meta_code is not None and print_.content_code is not None and print_.content_code.startswith("ISCC:EA")


def test_an_edited_text_is_near_and_an_unrelated_one_is_far() -> None:
    original = fingerprint(io.BytesIO(LESSON.encode()), media_type="text/plain")
    edited = fingerprint(io.BytesIO((LESSON + "课后练习：涂色表示分数。").encode()), media_type="text/plain")
    other = fingerprint(io.BytesIO(("Photosynthesis turns light into chemical energy. " * 60).encode()), media_type="text/plain")
    near = hamming(original.code_int("content") or 0, edited.code_int("content") or 0)
    far = hamming(original.code_int("content") or 0, other.code_int("content") or 0)
    assert near <= 8 < far


def _png(shift: int) -> bytes:
    image = Image.new("RGB", (320, 240), "white")
    ImageDraw.Draw(image).ellipse((40 + shift, 30, 200 + shift, 190), fill="navy")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_images_get_a_content_code_robust_to_re_encoding() -> None:
    first = fingerprint(io.BytesIO(_png(0)), media_type="image/png")
    recompressed = io.BytesIO()
    Image.open(io.BytesIO(_png(0))).save(recompressed, "JPEG", quality=70)
    second = fingerprint(io.BytesIO(recompressed.getvalue()), media_type="image/jpeg")
    assert first.sha256 != second.sha256
    assert hamming(first.code_int("content") or 0, second.code_int("content") or 0) <= 6
    assert fingerprint(io.BytesIO(b"not an image"), media_type="image/png").content_code is None


def test_index_finds_codes_within_the_threshold_without_a_scan(tmp_path: Path) -> None:
    index = NearDuplicateIndex(tmp_path / "fingerprints.sqlite3")
    rng = random.Random(7)
    rows = [(f"resource-{i}", "data", rng.getrandbits(64)) for i in range(100_000)]
    index.add_codes(rows)
    assert len(index) == 100_000
    target = rows[4242][2] ^ 0b1001 ^ (1 << 33) ^ (1 << 50) ^ (1 << 63)  # 5 bits away
    start = time.perf_counter()
    hits = index.query("data", target, threshold=8)
    elapsed = time.perf_counter() - start
    assert [h.key for h in hits] == ["resource-4242"] and hits[0].distance == 5
    assert index.query("data", target, threshold=4) == []
    assert index.lookup_exact("data", rows[7][2]) == ["resource-7"]
    assert elapsed < 0.5, f"a query took {elapsed:.3f}s at 100,000 codes"
    with pytest.raises(ValueError):
        index.query("data", target, threshold=64)
    index.close()


def test_a_streamed_fingerprint_equals_the_one_read_whole() -> None:
    from ledger_service.content import FingerprintBuilder

    text = ("认识分数。把一个整体平均分成若干份，表示这样的一份或几份的数叫做分数。" * 400).encode()
    whole = fingerprint(io.BytesIO(text), media_type="text/plain", title="认识分数")
    builder = FingerprintBuilder()
    builder.push(text[:1000])
    builder.set_media_type("text/plain")  # known once the first bytes were sniffed
    for start in range(1000, len(text), 7777):
        builder.push(text[start : start + 7777])
    assert builder.result(title="认识分数") == whole
    assert whole.content_code is not None and whole.data_code is not None


def test_past_the_similarity_limit_there_is_no_data_code_rather_than_a_partial_one() -> None:
    from ledger_service.content import FingerprintBuilder

    builder = FingerprintBuilder(media_type="video/mp4", similarity_limit=100_000)
    data = chacha("big", 300_000)
    for start in range(0, len(data), 65_536):
        builder.push(data[start : start + 65_536])
    result = builder.result()
    assert result.data_code is None and result.code_int("data") is None
    assert result.sha256 == fingerprint(io.BytesIO(data)).sha256 and result.size == len(data)

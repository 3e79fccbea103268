"""Fingerprints for 确权: sha256 of each file plus ISCC codes (``iscc-core``, offline).

- meta code from title and description,
- content code where the type allows it: text (UTF-8) and images (decoded with Pillow),
- data code (content-defined chunks, similarity-preserving) and instance code (exact).

:class:`NearDuplicateIndex` answers "which registered resources are within a Hamming distance of
this code?" without scanning every row: each 64-bit code is split into four 16-bit bands stored
in indexed columns. Two codes within distance ``t`` agree on some band to within ``t // 4`` bits
(pigeonhole), so a query probes each band's value and its neighbours at that distance, then
checks the few candidates exactly.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, BinaryIO

import iscc_core

from .._sqlite import open_durable
from ._media import image_size

__all__ = [
    "MAX_IMAGE_PIXELS",
    "Fingerprint",
    "FingerprintBuilder",
    "NearDuplicate",
    "NearDuplicateIndex",
    "band_probes",
    "code_bands",
    "content_code",
    "fingerprint",
    "hamming",
]

_TEXT_TYPES = ("text/",)
_IMAGE_TYPES = ("image/",)
_MAX_TEXT = 8 * 1024 * 1024  # content codes of bigger text files are skipped, not truncated silently
MAX_IMAGE_PIXELS = 50_000_000  # images past this are never decoded here (no content code)
_BANDS = 4
_BAND_BITS = 16


@dataclass(frozen=True, slots=True)
class Fingerprint:
    sha256: str
    size: int
    data_code: str | None
    instance_code: str
    meta_code: str | None = None
    content_code: str | None = None

    def code_int(self, kind: str) -> int | None:
        code = {"data": self.data_code, "content": self.content_code, "meta": self.meta_code}[kind]
        return None if code is None else int(iscc_core.Code(code).hash_uint)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def content_code(data: bytes, media_type: str) -> str | None:
    """The ISCC content code of a whole text (UTF-8) or image file, or None for other types (and
    images past :data:`MAX_IMAGE_PIXELS`, which are never decoded). Seconds of CPU for megabytes of
    text, mostly in native code that holds the GIL: a service runs it in another process."""
    if media_type.startswith(_TEXT_TYPES) and len(data) <= _MAX_TEXT:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return str(iscc_core.gen_text_code_v0(text)["iscc"]) if text.strip() else None
    if media_type.startswith(_IMAGE_TYPES):
        from PIL import Image, UnidentifiedImageError

        size = image_size(data)
        if size is None or size[0] * size[1] > MAX_IMAGE_PIXELS:  # read from the header: a bomb stays undecoded
            return None
        try:
            with Image.open(io.BytesIO(data)) as image:
                pixels = list(image.convert("L").resize((32, 32), Image.Resampling.BICUBIC).get_flattened_data())
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
        return str(iscc_core.gen_image_code_v0(pixels)["iscc"])
    return None


class FingerprintBuilder:
    """A fingerprint computed while the bytes stream past (an upload), without reading them twice.

    The data code (content-defined chunking) costs far more than hashing, so it is computed for
    the first ``similarity_limit`` bytes only when asked; past that the fingerprint has no data code
    (``data_code`` is None) and says so rather than giving a code of part of the file.
    """

    def __init__(self, *, media_type: str | None = None, similarity_limit: int | None = None) -> None:
        self.size = 0
        self._sha = hashlib.sha256()
        self._data: Any = iscc_core.DataHasherV0()
        self._instance = iscc_core.InstanceHasherV0()
        self._limit = similarity_limit
        self._head = bytearray()
        self._keep_head = True
        self.media_type = media_type
        if media_type is not None:
            self.set_media_type(media_type)

    def set_media_type(self, media_type: str) -> None:
        """Text and images get a content code from their first 8 MiB; other types need no head."""
        self.media_type = media_type
        self._keep_head = media_type.startswith(_TEXT_TYPES + _IMAGE_TYPES)
        if not self._keep_head:
            self._head = bytearray()

    def push(self, chunk: bytes | memoryview) -> None:
        self._sha.update(chunk)
        self._instance.push(chunk)
        if self._data is not None:
            if self._limit is not None and self.size + len(chunk) > self._limit:
                self._data = None
            else:
                self._data.push(chunk)
        if self._keep_head and len(self._head) <= _MAX_TEXT:
            self._head += chunk[: _MAX_TEXT + 1 - len(self._head)]
        self.size += len(chunk)

    def content_input(self) -> tuple[bytes, str] | None:
        """(bytes, media type) that :func:`content_code` takes for this file, or None when it gets none."""
        if not self._head or len(self._head) > _MAX_TEXT or self.size > _MAX_TEXT:
            return None
        return bytes(self._head), self.media_type or ""

    def result(self, *, title: str | None = None, description: str | None = None, with_content: bool = True) -> Fingerprint:
        """The fingerprint; ``with_content=False`` leaves ``content_code`` out (to be computed apart
        from :meth:`content_input`, e.g. in another process)."""
        wanted = self.content_input() if with_content else None
        return Fingerprint(
            sha256=self._sha.hexdigest(),
            size=self.size,
            data_code=None if self._data is None else "ISCC:" + self._data.code(),
            instance_code="ISCC:" + self._instance.code(),
            meta_code=str(iscc_core.gen_meta_code_v0(title, description)["iscc"]) if title else None,
            content_code=content_code(*wanted) if wanted else None,
        )


def fingerprint(
    stream: BinaryIO, *, media_type: str = "application/octet-stream", title: str | None = None, description: str | None = None
) -> Fingerprint:
    """Fingerprint one file. Text and image files are read whole for their content code."""
    builder = FingerprintBuilder(media_type=media_type)
    while chunk := stream.read(1 << 20):
        builder.push(chunk)
    return builder.result(title=title, description=description)


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    key: str
    kind: str
    distance: int


def code_bands(code: int) -> list[int]:
    """The four 16-bit bands of a 64-bit similarity code, low band first."""
    mask = (1 << _BAND_BITS) - 1
    return [(code >> (_BAND_BITS * i)) & mask for i in range(_BANDS)]


def band_probes(code: int, threshold: int) -> list[list[int]]:
    """For each band, the values a code within ``threshold`` bits of ``code`` may hold in that band
    for at least one band to match (pigeonhole): look candidates up by these, then check exactly."""
    if not 0 <= threshold < _BANDS * _BAND_BITS:
        raise ValueError("threshold must be between 0 and 63 bits")
    radius = threshold // _BANDS
    return [_neighbours(value, radius) for value in code_bands(code)]


def _neighbours(value: int, radius: int) -> list[int]:
    found = [value]
    for flips in range(1, radius + 1):
        for bits in combinations(range(_BAND_BITS), flips):
            mask = 0
            for bit in bits:
                mask |= 1 << bit
            found.append(value ^ mask)
    return found


class NearDuplicateIndex:
    """64-bit similarity codes of registered resources, queryable by Hamming distance."""

    def __init__(self, path: Path | str) -> None:
        indexes = "".join(f"CREATE INDEX IF NOT EXISTS codes_b{band} ON codes (kind, b{band});" for band in range(_BANDS))
        self._db = open_durable(
            path,
            "CREATE TABLE IF NOT EXISTS codes (key TEXT NOT NULL, kind TEXT NOT NULL, code INTEGER NOT NULL,"
            " b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL,"
            " PRIMARY KEY (key, kind));" + indexes,
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def add(self, key: str, fingerprint: Fingerprint) -> None:
        self.add_codes([(key, kind, code) for kind in ("data", "content") if (code := fingerprint.code_int(kind)) is not None])

    def add_codes(self, rows: Iterable[tuple[str, str, int]]) -> None:
        values = [(key, kind, code - (1 << 63), *code_bands(code)) for key, kind, code in rows]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?, ?, ?, ?)", values)
            self._db.execute("COMMIT")

    def query(self, kind: str, code: int, threshold: int) -> list[NearDuplicate]:
        """Keys whose ``kind`` code is within ``threshold`` bits of ``code``, nearest first."""
        candidates: dict[str, int] = {}
        with self._lock:
            for band, probes in enumerate(band_probes(code, threshold)):
                for start in range(0, len(probes), 500):
                    chunk = probes[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(f"SELECT key, code FROM codes WHERE kind = ? AND b{band} IN ({marks})", (kind, *chunk))
                    for key, stored in rows:
                        candidates[key] = stored + (1 << 63)
        hits = [NearDuplicate(key, kind, hamming(code, stored)) for key, stored in candidates.items()]
        return sorted((h for h in hits if h.distance <= threshold), key=lambda h: (h.distance, h.key))

    def lookup_exact(self, kind: str, code: int) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT key FROM codes WHERE kind = ? AND code = ?", (kind, code - (1 << 63)))
            return [key for (key,) in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM codes").fetchone()[0])

"""Media types from a file's first bytes (and its name where the bytes cannot tell)."""

from __future__ import annotations

import io
import zipfile

import pytest

from ledger_service.content import media_family, sniff_media_type


def office_zip(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(f"{folder}/document.xml", "<w:document/>" * 100)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "filename", "family"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "课.mp4", "video"),
        (b"\x1a\x45\xdf\xa3\x93\x42\x82\x88", None, "video"),
        (b"%PDF-1.7\n%\xe2\xe3", "x.pdf", "pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", None, "image"),
        (b"ID3\x04\0\0", None, "audio"),
        (office_zip("word"), "教学设计.docx", "document"),
        (office_zip("ppt"), "课件.pptx", "presentation"),
        (office_zip("xl"), "练习.xlsx", "spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "课件.ppt", "presentation"),
        ("第一课 认识分数".encode(), "说明.txt", "text"),
        ("第一课 认识分数".encode()[:-1], None, "text"),  # a character cut at the end of the head
        (b"\xff\xfe\x00\x01binary\x00", None, "other"),
    ],
)
def test_families(head: bytes, filename: str | None, family: str) -> None:
    assert media_family(sniff_media_type(head, filename)) == family


def test_the_bytes_win_over_the_name() -> None:
    assert sniff_media_type(b"%PDF-1.4", "video.mp4") == "application/pdf"
    assert sniff_media_type(office_zip("word"), "slides.pptx").endswith("wordprocessingml.document")

"""What a file is, from its first bytes (and its name where the bytes cannot tell).

Used to serve content with the right ``Content-Type`` and to check that a submitted part is what
its declared type says (a 课件 must be a presentation or a PDF, a 微课视频 a video...).
"""

from __future__ import annotations

import mimetypes

__all__ = ["SNIFF_BYTES", "image_size", "media_family", "sniff_media_type"]

SNIFF_BYTES = 64 * 1024  # enough to see the part names inside an Office (OOXML) zip

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OLE_BY_EXTENSION = {".doc": "application/msword", ".ppt": "application/vnd.ms-powerpoint", ".xls": "application/vnd.ms-excel"}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
)
_FAMILIES = {
    "application/pdf": "pdf",
    DOCX: "document",
    "application/msword": "document",
    "application/vnd.oasis.opendocument.text": "document",
    PPTX: "presentation",
    "application/vnd.ms-powerpoint": "presentation",
    "application/vnd.oasis.opendocument.presentation": "presentation",
    XLSX: "spreadsheet",
    "application/vnd.ms-excel": "spreadsheet",
    "application/zip": "archive",
}


def _extension(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return "." + filename.rsplit(".", 1)[1].lower()


def _zip_kind(head: bytes, filename: str | None) -> str:
    # OOXML keeps its part names in plain text in the local file headers near the start.
    if b"word/" in head:
        return DOCX
    if b"ppt/" in head:
        return PPTX
    if b"xl/" in head:
        return XLSX
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "application/vnd.oasis.opendocument.text"
    if b"mimetypeapplication/vnd.oasis.opendocument.presentation" in head:
        return "application/vnd.oasis.opendocument.presentation"
    return {".docx": DOCX, ".pptx": PPTX, ".xlsx": XLSX}.get(_extension(filename), "application/zip")


def sniff_media_type(head: bytes, filename: str | None = None) -> str:
    """The media type of a file starting with ``head`` (give at least :data:`SNIFF_BYTES` if you have them)."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"RIFF") and head[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
        return {b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo", b"WEBP": "image/webp"}[head[8:12]]
    if head.startswith((b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
        return "audio/mpeg"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head, filename)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: legacy Office documents
        return _OLE_BY_EXTENSION.get(_extension(filename), "application/x-ole-storage")
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:  # not just a character cut at the end of ``head``
                return "application/octet-stream"
        guessed, _ = mimetypes.guess_type(filename or "")
        if guessed in ("text/html", "text/markdown", "text/csv"):
            return f"{guessed}; charset=utf-8"
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def media_family(media_type: str) -> str:
    """A coarse family: video, audio, image, text, pdf, document, presentation, spreadsheet, archive, other."""
    base = media_type.split(";", 1)[0].strip()
    if base in _FAMILIES:
        return _FAMILIES[base]
    major = base.split("/", 1)[0]
    return major if major in ("video", "audio", "image", "text") else "other"


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) of an image from its first bytes (the header only: nothing is decoded), or
    None when the bytes do not tell (yet). A decompression bomb is a few kilobytes whose header
    announces billions of pixels: check this before decoding. (``PIL.Image.open`` itself refuses to
    say how large a bomb is; its format plugins read the header as ``open`` does, without that check.)"""
    import io

    from PIL import Image

    Image.init()
    prefix = head[:16]
    for kind in Image.ID:
        factory, accept = Image.OPEN[kind]
        if accept is not None:
            verdict = accept(prefix)
            if not verdict or isinstance(verdict, str):
                continue
        try:
            with factory(io.BytesIO(head), "") as image:
                return int(image.width), int(image.height)
        except Exception:  # a format that does not fit, or a header cut short: the next plugin, or no answer
            continue
    return None

"""Real Word and PowerPoint files for the preview tests (LibreOffice must be able to open them).

``slides.pptx`` was made once by LibreOffice 7.4 (a .docx → PDF → Impress → .pptx); the .docx is
written here, the smallest WordprocessingML package Word and LibreOffice open."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["real_docx", "real_pptx"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def real_docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
            ),
        )
        archive.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                'Target="word/document.xml"/></Relationships>'
            ),
        )
        archive.writestr(
            "word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
        )
    return buffer.getvalue()


def real_pptx() -> bytes:
    """A one-slide presentation reading "课件 Slides: 认识分数 Fractions"."""
    return (Path(__file__).parent / "data" / "slides.pptx").read_bytes()

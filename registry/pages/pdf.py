"""A certificate as a PDF: its record, and a QR code that opens its verification page.

Chinese text needs a CJK font embedded (subset) in the PDF: the first of ``FONT_CANDIDATES`` found
(Debian's fonts-wqy-microhei, which ``make`` installs), else ``EDULEDGER_PDF_FONT``. Without one
the PDF names Adobe's STSong-Light, which readers substitute but which is not embedded.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..core.labels import CERTIFICATE_NAMES, level_name

__all__ = ["FONT_CANDIDATES", "CertificateSheet", "render_certificate_pdf"]

log = logging.getLogger("registry.pages")

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)


@lru_cache(maxsize=1)
def _font(extra: str | None = None) -> str:
    for path in ([Path(extra)] if extra else []) + list(FONT_CANDIDATES):
        if path.is_file():
            pdfmetrics.registerFont(TTFont("EduLedgerCJK", str(path), subfontIndex=0))
            return "EduLedgerCJK"
    log.warning("no CJK TrueType font found (install fonts-wqy-microhei); certificates name STSong-Light without embedding it")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


@dataclass(frozen=True)
class CertificateSheet:
    certificate_id: int
    kind: str
    level: str
    status: str
    title: str
    resource_label: str
    catalogue_path: str
    authors: list[str]
    issuer_name: str
    issued_on: str
    cid: str
    content_hash: str
    issued_tx: str
    verify_url: str


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, current = [], ""
    for char in text:
        if pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current] if current else lines


def render_certificate_pdf(sheet: CertificateSheet, *, font_path: str | None = None) -> bytes:
    """One landscape A4 page: title, the certified resource, issuer and chain record, QR code."""
    font = _font(font_path)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=landscape(A4), pageCompression=1)
    width, height = landscape(A4)
    title, english, verb = CERTIFICATE_NAMES[sheet.kind]
    page.setTitle(f"{title} No. {sheet.certificate_id}")
    page.setSubject(sheet.verify_url)
    page.setKeywords(f"eduledger-certificate:{sheet.certificate_id}:{sheet.content_hash}")
    page.setCreator("EduLedger registry")

    page.setStrokeColor(colors.HexColor("#8a1c1c"))
    page.setLineWidth(3)
    page.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    page.setLineWidth(0.8)
    page.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    page.setFillColor(colors.HexColor("#8a1c1c"))
    page.setFont(font, 34)
    page.drawCentredString(width / 2, height - 42 * mm, title)
    page.setFont(font, 13)
    page.drawCentredString(width / 2, height - 51 * mm, english)

    page.setFillColor(colors.black)
    page.setFont(font, 15)
    statement = f"兹证明资源《{sheet.title}》{verb}（{level_name(sheet.level)}）。"
    y = height - 70 * mm
    for line in _wrap(statement, font, 15, width - 110 * mm):
        page.drawString(28 * mm, y, line)
        y -= 8 * mm

    rows = [
        ("证书编号 Certificate No.", str(sheet.certificate_id)),
        ("资源 Resource", sheet.resource_label),
        ("学段学科 Catalogue", sheet.catalogue_path),
        ("作者 Authors", "; ".join(sheet.authors)),
        ("颁发机构 Issuer", sheet.issuer_name),
        ("颁发日期 Issued", sheet.issued_on),
        ("内容标识 CID", sheet.cid),
        ("内容哈希 Content hash", sheet.content_hash),
        ("链上交易 Transaction", sheet.issued_tx),
    ]
    y -= 3 * mm
    for label, value in rows:
        page.setFont(font, 9.5)
        page.setFillColor(colors.HexColor("#555555"))
        page.drawString(28 * mm, y, label)
        page.setFillColor(colors.black)
        page.setFont(font, 9.5 if len(value) < 70 else 7.5)
        for index, line in enumerate(_wrap(value, font, 9.5 if len(value) < 70 else 7.5, width - 160 * mm) or [""]):
            page.drawString(75 * mm, y - index * 4.2 * mm, line)
        y -= max(1, len(_wrap(value, font, 9.5, width - 160 * mm))) * 4.2 * mm + 2.2 * mm

    size = 52 * mm
    widget = QrCodeWidget(sheet.verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, width - 28 * mm - size, 38 * mm)
    page.setFont(font, 10)
    page.drawCentredString(width - 28 * mm - size / 2, 33 * mm, "扫码验证 Scan to verify")
    page.setFont(font, 7)
    page.drawCentredString(width - 28 * mm - size / 2, 28 * mm, sheet.verify_url)

    if sheet.status == "revoked":
        page.saveState()
        page.setFillColor(colors.Color(0.8, 0, 0, alpha=0.35))
        page.setFont(font, 80)
        page.translate(width / 2, height / 2)
        page.rotate(20)
        page.drawCentredString(0, 0, "已撤销 REVOKED")
        page.restoreState()

    page.setFont(font, 8)
    page.setFillColor(colors.HexColor("#555555"))
    page.drawString(28 * mm, 22 * mm, "本证书记录于区块链，任何人可凭证书编号、二维码或本文件核验，无需信任平台数据库。")
    page.drawString(28 * mm, 18 * mm, "This certificate is recorded on a blockchain: verify it by its number, its QR code or this file.")
    page.showPage()
    page.save()
    return buffer.getvalue()

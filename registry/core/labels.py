"""How certificates are named to people: one table for the PDF, the verification page and the
certificate credentials."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CERTIFICATE_NAMES", "LEVEL_NAMES", "CertificateName", "level_name"]


class CertificateName(NamedTuple):
    title: str  # 收录证书
    english: str  # Certificate of Inclusion
    attests: str  # what it says of the resource: 经审核，收录入库


CERTIFICATE_NAMES = {
    "inclusion": CertificateName("收录证书", "Certificate of Inclusion", "经审核，收录入库"),
    "collection": CertificateName("收藏证书", "Certificate of Collection", "经遴选，被平台收藏"),
    "selection": CertificateName("入选证书", "Certificate of Selection", "经遴选，入选优质资源"),
    "recommendation": CertificateName("推荐证书", "Certificate of Recommendation", "经遴选，被推荐至上级平台"),
}
LEVEL_NAMES = {"school": "校级", "district": "区级", "city": "市级", "province": "省级", "national": "国家级"}


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)

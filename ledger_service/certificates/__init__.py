"""Resource certificates (收录 / 收藏 / 入选 / 推荐): read from chain and verified, by anyone, without
trusting the registry's database."""

from __future__ import annotations

from ._verification import (
    CERTIFICATE_KINDS,
    CERTIFICATE_LEVELS,
    RESOURCE_STATUSES,
    CertificateFacts,
    CertificateReader,
    credential_type_of,
    verify_certificate,
)

__all__ = [
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "RESOURCE_STATUSES",
    "CertificateFacts",
    "CertificateReader",
    "credential_type_of",
    "verify_certificate",
]

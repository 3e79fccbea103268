"""Integer parameters of the API, bounded to what the database and the chain records hold.

A number past a column's range reached the database driver and ended in a 500 (SQLite's INTEGER
and PostgreSQL's bigint hold 2^63 − 1, PostgreSQL's integer 2^31 − 1). Every route takes its
integer path and query parameters through these types, so an id out of range, negative or zero is
a 422 naming the parameter and the bound before anything is looked up
(``tests/registry/test_params.py`` holds every route of ``/openapi.json`` to it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

__all__ = ["MAX_BIGINT", "MAX_INT", "CertificateId", "JobId", "OffsetQuery", "OptionalResourceIdQuery", "ResourceId", "VersionNumber"]

MAX_BIGINT = 2**63 - 1  # a signed 64-bit column (BigInteger; SQLite's INTEGER)
MAX_INT = 2**31 - 1  # a signed 32-bit column (Integer on PostgreSQL: database ids, version numbers)

ResourceId = Annotated[int, Path(ge=1, le=MAX_INT, description="the resource's id in the registry")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT, description="the version's number within its resource, from 1")]
CertificateId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="the certificate's id on chain")]
OptionalResourceIdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT, description="the resource's id in the registry")]
JobId = Annotated[int, Path(ge=1, le=MAX_INT, description="the chain job's id (its status URL)")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_INT, description="how many to skip")]

"""``POST /verify``: the same verification the wallet runs, against this registry's chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ledger_service import CredentialError
from ledger_service.credentials import BUNDLE_TYPE, ChainView, verify_bundle, verify_credential

from ...models import StatusListRecord
from ..deps import LedgerDep, SessionDep, SettingsDep

router = APIRouter(prefix="/verify", tags=["verify"])


class VerifyRequest(BaseModel):
    credential: Any = Field(description="The credential (JSON) to verify, or an offline verification bundle.")
    status_lists: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Status list credentials by URL, if the presenter has them (lists this registry hosts are found by "
        "themselves); each is checked against the hash anchored on chain.",
    )


class CheckPublic(BaseModel):
    name: str
    result: str
    detail: str


class VerificationPublic(BaseModel):
    outcome: str = Field(description="valid, invalid (see the failed check) or cannot_tell")
    checks: list[CheckPublic]
    freshness: dict[str, Any] | None = Field(default=None, description="Bundles: snapshot time and status-list age.")


@router.post("", response_model=VerificationPublic)
def verify(request: VerifyRequest, ledger: LedgerDep, db: SessionDep, settings: SettingsDep) -> VerificationPublic:
    """Verify a credential (or an offline bundle): each check reported separately; never valid by default."""
    if isinstance(request.credential, dict) and request.credential.get("type") == BUNDLE_TYPE:
        bundled = verify_bundle(request.credential)
        return VerificationPublic(
            outcome=bundled.outcome,
            checks=[CheckPublic(name=c.name, result=c.result, detail=c.detail) for c in bundled.checks],
            freshness=bundled.freshness,
        )
    chain = ChainView(
        ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id
    )

    hosted = f"{settings.BASE_URL}/status-lists/"

    def resolve(url: str) -> dict[str, Any]:
        if url in request.status_lists:
            return request.status_lists[url]
        if url.startswith(hosted):  # a list this registry hosts: its anchored hash is checked all the same
            record = db.get(StatusListRecord, url[len(hosted):])
            if record is not None and record.credential is not None:
                return record.credential
        raise CredentialError(f"status list {url} was not supplied")

    report = verify_credential(
        request.credential, chain=chain, confirmations=ledger.sender.confirmations, status_resolver=resolve
    )
    return VerificationPublic(
        outcome=report.outcome,
        checks=[CheckPublic(name=c.name, result=c.result, detail=c.detail) for c in report.checks],
    )

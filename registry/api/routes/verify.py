"""``POST /verify``: the same verification the wallet runs, against this registry's live chain;
``POST /verify/bundles``: an offline verification bundle of a credential, made from that chain.

A bundle given here is verified like a bare credential: every chain fact comes from the chain, and
the bundle contributes only its status lists' bytes (after the lists this registry hosts, which are
the ones in force). The body is read strictly by the route itself: a duplicate key, a lone
surrogate or nesting past the limit is an "invalid" report naming the check, not an error.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from ledger_service import CredentialError, InvalidJsonError, strict_loads
from ledger_service.chain import Ledger
from ledger_service.credentials import (
    BUNDLE_TYPE,
    ChainView,
    StatusResolver,
    VerificationReport,
    make_bundle,
    verify_bundle,
    verify_credential,
    verify_presentation,
)

from ...core.errors import InvalidRequestError
from ...models import StatusListRecord
from ...workflows.presentations import presentation_domain, use_presentation_challenge
from ..deps import BureauDep, IssuingDep, LedgerDep, SessionDep, SettingsDep

router = APIRouter(prefix="/verify", tags=["verify"])


class VerifyRequest(BaseModel):
    credential: Any = Field(description="The credential (JSON) to verify, or a verification bundle (checked against the live chain).")
    status_lists: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Status list credentials by URL, if the presenter has them (lists this registry hosts are found by "
        "themselves); each is checked against the hashes anchored on chain: the list in force decides, an earlier one "
        "is stale (cannot tell), one never anchored is forged (invalid).",
    )


class CheckPublic(BaseModel):
    name: str
    result: str
    detail: str


class VerificationPublic(BaseModel):
    outcome: str = Field(description="valid, invalid (see the failed check) or cannot_tell")
    checks: list[CheckPublic]
    freshness: dict[str, Any] | None = Field(default=None, description="Offline bundles only: the proven block and its age.")


def _types(document: dict[str, Any]) -> list[Any]:
    types = document.get("type")
    return types if isinstance(types, list) else [types]


def _parsed(body: bytes) -> Any:
    try:
        return strict_loads(body)
    except InvalidJsonError as exc:
        return exc


async def _strict_body(request: Request) -> Any:
    """The body parsed strictly (off the event loop), or the :class:`InvalidJsonError` that refused it."""
    return await anyio.to_thread.run_sync(_parsed, await request.body())


StrictBody = Annotated[Any, Depends(_strict_body)]


def _public(report: VerificationReport) -> VerificationPublic:
    return VerificationPublic(
        outcome=report.outcome,
        checks=[CheckPublic(name=c.name, result=c.result, detail=c.detail) for c in report.checks],
        freshness=report.freshness,
    )


def _chain(ledger: Ledger) -> ChainView:
    return ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)


def _status_resolver(db: Session, base_url: str, given: dict[str, dict[str, Any]]) -> StatusResolver:
    hosted = f"{base_url}/status-lists/"

    def resolve(url: str) -> list[dict[str, Any]]:
        found = []
        if url.startswith(hosted):  # a list this registry hosts: the one in force (its hash is checked all the same)
            record = db.get(StatusListRecord, url[len(hosted) :])
            if record is not None and record.credential is not None:
                found.append(record.credential)
        if url in given:
            found.append(given[url])
        if not found:
            raise CredentialError(f"status list {url} was not supplied")
        return found

    return resolve


@router.post(
    "",
    response_model=VerificationPublic,
    responses={422: {"description": "The body is not JSON, or not a verification request: {error, message}."}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": VerifyRequest.model_json_schema()}}}},
)
def verify(
    body: StrictBody, ledger: LedgerDep, db: SessionDep, settings: SettingsDep, issuing: IssuingDep, bureau: BureauDep
) -> VerificationPublic:
    """Verify a credential (or a bundle) against the chain: each check reported separately; never valid by default."""
    if isinstance(body, InvalidJsonError):
        if body.reason == "syntax":
            raise InvalidRequestError(f"the body is not JSON: {body}")
        refused = VerificationReport()
        refused.add("schema", "fail", f"refused JSON: {body}")
        return _public(refused)
    try:
        request = VerifyRequest.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        raise InvalidRequestError(problems or "the body is not a verification request") from None
    chain = _chain(ledger)
    resolve = _status_resolver(db, settings.BASE_URL, request.status_lists)

    dids = issuing.did_resolver(db, bureau.id_hex, bureau.signing_key)  # this registry's issuers; others: cannot tell
    if isinstance(request.credential, dict) and "VerifiablePresentation" in _types(request.credential) and "proof" in request.credential:
        raise InvalidRequestError("a signed presentation is verified at POST /verify/presentation (with its challenge)")
    if isinstance(request.credential, dict) and request.credential.get("type") == BUNDLE_TYPE:
        report = verify_bundle(
            request.credential, chain=chain, confirmations=ledger.sender.confirmations, status_resolver=resolve, did_resolver=dids
        )
    else:
        report = verify_credential(
            request.credential, chain=chain, confirmations=ledger.sender.confirmations, status_resolver=resolve, did_resolver=dids
        )
    return _public(report)


class BundleRequest(BaseModel):
    credential: dict[str, Any] = Field(description="The credential (JSON) to bundle: it must be anchored on this registry's chain.")
    status_lists: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Status lists this registry does not host, by URL.")


@router.post("/bundles", response_model=dict[str, Any])
def create_bundle(
    request: BundleRequest, ledger: LedgerDep, db: SessionDep, settings: SettingsDep, issuing: IssuingDep, bureau: BureauDep
) -> dict[str, Any]:
    """An offline verification bundle (离线验证包) of a credential: the chain's head block and the proofs
    of every fact its verification reads, and the status lists in force; it verifies without a network
    for anyone who trusts that block (``edu-wallet verify``)."""
    chain = _chain(ledger)
    try:
        return make_bundle(
            request.credential,
            chain=chain,
            status_resolver=_status_resolver(db, settings.BASE_URL, request.status_lists),
            did_resolver=issuing.did_resolver(db, bureau.id_hex, bureau.signing_key),
        )
    except CredentialError as exc:
        raise InvalidRequestError(str(exc), code="not_bundled") from None


class PresentationRequest(BaseModel):
    presentation: dict[str, Any] = Field(
        description="A VerifiablePresentation signed by its holder (proofPurpose "
        "authentication) over the challenge and this registry's domain."
    )
    challenge: str = Field(max_length=64, description="The challenge from POST /presentations/challenges it answers (used once).")
    status_lists: dict[str, dict[str, Any]] = Field(default_factory=dict, description="As for POST /verify.")


class PresentationVerificationPublic(BaseModel):
    outcome: str = Field(
        description="valid only when the holder's proof, the challenge, the domain and every credential (each bound to the holder) are"
    )
    checks: list[CheckPublic] = Field(description="the presentation's own: holder_proof, challenge, domain")
    credentials: list[VerificationPublic] = Field(description="each credential's checks, ending with holder_binding")


@router.post(
    "/presentation",
    response_model=PresentationVerificationPublic,
    responses={422: {"description": "The challenge was not handed out here, expired or was used: {error, message}."}},
)
def verify_holder_presentation(
    request: PresentationRequest, ledger: LedgerDep, db: SessionDep, settings: SettingsDep, issuing: IssuingDep, bureau: BureauDep
) -> PresentationVerificationPublic:
    """Verify a holder-bound presentation: the holder's proof over a challenge of this registry (spent
    here, once) and its domain, then every credential and its binding to the holder."""
    use_presentation_challenge(db, request.challenge)
    db.commit()  # spent whatever the outcome
    report = verify_presentation(
        request.presentation,
        challenge=request.challenge,
        domain=presentation_domain(settings.BASE_URL),
        chain=_chain(ledger),
        confirmations=ledger.sender.confirmations,
        status_resolver=_status_resolver(db, settings.BASE_URL, request.status_lists),
        did_resolver=issuing.did_resolver(db, bureau.id_hex, bureau.signing_key),
    )
    own = _public(report.checks)
    return PresentationVerificationPublic(
        outcome=report.outcome, checks=own.checks, credentials=[_public(inner) for inner in report.credentials]
    )

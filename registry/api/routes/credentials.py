"""Credentials issued by schools and bureaus: growth records and professional-development records
in batches, their lifecycle (revoke, suspend, unsuspend) on hosted status lists, and the personal
data behind them in the vault (read, erased)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service import TransactionTimeoutError
from ledger_service.credentials import Ed25519PublicKeyRef

from ...core.errors import ConflictError, InvalidRequestError, PermissionDeniedError, ResourceNotFoundError
from ...crud import issued as issued_crud
from ...crud import users as users_crud
from ...models import ChainJob, CredentialBatch, Institution, IssuedCredential, IssuerAccount, StatusListRecord
from ...workflows import rosters, subjects
from ...workflows.issuance import ChainWriteWaiting, Issuing
from ...workflows.presentations import presentation_domain, use_presentation_challenge
from ..deps import AdminUser, BureauDep, CurrentUser, IssuerUser, IssuingDep, Principal, SessionDep, SettingsDep, WorkerDep
from ..params import MAX_INT

router = APIRouter(tags=["credentials"])


class IssuerPublic(BaseModel):
    institution_id: str
    address: str = Field(description="the issuer key that anchors batches and status lists")
    signing_key: str = Field(description="the Ed25519 key that signs the credentials (its did:key verification method)")
    chain_status: str = Field(description="pending until the keys and accreditations are on chain, then ready (or failed)")
    sd_key: str | None = Field(
        default=None,
        description=(
            "the P-256 key that makes each credential's ecdsa-sd-2023 base proof (selective disclosure; its did:key "
            "verification method), registered on chain under sha256 of its multikey; none for issuers set up before it"
        ),
    )


class BatchRequest(BaseModel):
    batch: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{1,100}$",
        description=(
            "your key for this batch: sending it again with the same records finishes it, never doubles; "
            "the same key with other records is refused (409 batch_key_reused, naming the difference)"
        ),
    )
    kind: Literal["growth_record", "professional_development"]
    records: list[dict[str, Any]] = Field(
        min_length=1,
        description=(
            "each {subject: personal data, record: what is attested}. The subject's personal data stay in the vault "
            "(the credential names a salted identifier only); everything in the record — the narrative (评语) included — "
            "is part of the credential the student holds and shows, for good: write no name, 学籍号, health or family "
            "detail there. The registry keeps its copy sealed under the subject's key (erased with the subject)."
        ),
    )
    valid_from: datetime | None = None


class IssuedPublic(BaseModel):
    id: str
    subject_id: str | None = Field(description="the subject's pseudonym in the vault (GET /subjects/{id}); none for a credit grant")
    status: str
    status_reason: str | None = None
    document: dict[str, Any] | None = Field(
        description="the credential as issued; null until the batch is anchored, "
        "and for good once its subject is erased (the holder's copy still verifies)"
    )
    subject_erased: bool = Field(default=False, description="the subject was erased: the registry's copy is gone for good")


class BatchPublic(BaseModel):
    batch: str
    kind: str
    count: int
    root: str | None
    tx_hash: str | None
    block_number: int | None
    completed: bool
    credentials: list[IssuedPublic]


class AcceptedPublic(BaseModel):
    status: Literal["pending"] = "pending"
    message: str
    status_url: str
    chain_job_url: str | None = Field(default=None, description="the chain job that finishes it in the background (GET /chain/jobs/{id})")


def still_on_the_way(url: str, message: str, waiting: TransactionTimeoutError) -> JSONResponse:
    # Not a 504: the chain job is committed and will land (the outbox re-sends it after a crash too).
    job_id = getattr(waiting, "job_id", None)
    job_url = f"/chain/jobs/{job_id}" if job_id is not None else None
    content = AcceptedPublic(message=message, status_url=url, chain_job_url=job_url).model_dump()
    return JSONResponse(status_code=202, headers={"Location": url}, content=content)


class BatchSummaryPublic(BaseModel):
    batch: str
    kind: str
    count: int
    completed: bool
    created_at: datetime
    tx_hash: str | None
    statuses: dict[str, int] = Field(description="how many credentials are active, suspended, revoked")


class BatchesPublic(BaseModel):
    data: list[BatchSummaryPublic]
    count: int


class RowProblemPublic(BaseModel):
    index: int = Field(description="the record's position in the batch, from 0")
    line: int | None = Field(default=None, description="the roster file's line (or sheet row) of the record")
    field: str = Field(description="subject.birth_date, record.dimension…; empty for the whole record")
    code: str = Field(
        description="missing, too_long, too_short, not_allowed, bad_date, future_date, not_a_number, out_of_range, "
        "duplicate_number, guardian_consent_required, unexpected, invalid"
    )
    message: str


class RosterPublic(BaseModel):
    kind: str
    records: list[dict[str, Any]] = Field(description="the roster's rows as batch records (POST /credentials/batches)")
    lines: list[int] = Field(description="the file line of each record")
    problems: list[RowProblemPublic] = Field(description="everything issuing would refuse, by record; none: it can be issued")
    ignored_columns: list[str]


class CheckRequest(BaseModel):
    kind: Literal["growth_record", "professional_development"]
    records: list[Any] = Field(min_length=1)


def _problems_public(problems: list[rosters.RowProblem], lines: list[int] | None = None) -> list[RowProblemPublic]:
    return [
        RowProblemPublic(index=p.index, line=lines[p.index] if lines else None, field=p.field, code=p.code, message=p.message)
        for p in problems
    ]


class StatusRequest(BaseModel):
    action: Literal["revoke", "suspend", "unsuspend"]
    reason: str | None = Field(default=None, max_length=2000)


def _issuer_of(db: Session, principal: Principal) -> tuple[Institution, IssuerAccount]:
    if principal.institution_id is None:
        raise PermissionDeniedError("the account belongs to no institution; an administrator sets it (PUT /users/{address})")
    account = db.get(IssuerAccount, principal.institution_id)
    if account is None:
        raise ConflictError("the institution is not set up for issuing (POST /institutions/{id}/issuer)", code="not_an_issuer")
    return users_crud.get_institution(session=db, institution_id=principal.institution_id), account


def _issuer_public(db: Session, account: IssuerAccount, issuing: Issuing) -> IssuerPublic:
    job = db.get(ChainJob, account.setup_job_id) if account.setup_job_id else None
    status = "failed" if job is not None and job.status == "failed" else ("ready" if issuing.ready(account) else "pending")
    return IssuerPublic(
        institution_id=account.institution_id,
        address=account.address,
        signing_key=Ed25519PublicKeyRef.from_multibase(account.signing_key).verification_method,
        chain_status=status,
        sd_key=sd.verification_method if (sd := issuing.sd_public(account)) is not None else None,
    )


@router.post("/institutions/{institution_id}/issuer", response_model=IssuerPublic, status_code=201)
def create_issuer(institution_id: str, admin: AdminUser, db: SessionDep, issuing: IssuingDep, worker: WorkerDep) -> IssuerPublic:
    """Set an institution up for issuing: keys held for it, accreditation and keys registered on chain."""
    account = issuing.set_up(db, users_crud.get_institution(session=db, institution_id=institution_id))
    db.commit()
    if worker:
        worker.notify()
    return _issuer_public(db, account, issuing)


@router.get("/institutions/{institution_id}/issuer", response_model=IssuerPublic)
def read_issuer(institution_id: str, principal: CurrentUser, db: SessionDep, issuing: IssuingDep) -> IssuerPublic:
    """The institution's issuing keys and whether the chain knows them yet."""
    if "admin" not in principal.roles and principal.institution_id != institution_id:
        raise PermissionDeniedError("administrators and the institution's own accounts see its issuing keys")
    account = db.get(IssuerAccount, institution_id)
    if account is None:
        raise ResourceNotFoundError("the institution is not set up for issuing")
    return _issuer_public(db, account, issuing)


def _issued_public(credential: IssuedCredential, issuing: Issuing, completed: bool) -> IssuedPublic:
    document = issuing.document_of(credential) if completed else None
    return IssuedPublic(
        id=credential.id,
        subject_id=credential.subject_id,
        status=credential.status,
        status_reason=credential.status_reason,
        document=document,
        subject_erased=completed and document is None,
    )


def _batch_public(db: Session, batch: CredentialBatch, issuing: Issuing) -> BatchPublic:
    credentials = db.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id).order_by(IssuedCredential.position))
    completed = batch.completed_at is not None
    return BatchPublic(
        batch=batch.key,
        kind=batch.kind,
        count=batch.count,
        root=batch.root,
        tx_hash=batch.tx_hash,
        block_number=batch.block_number,
        completed=completed,
        credentials=[_issued_public(c, issuing, completed) for c in credentials],
    )


@router.post(
    "/credentials/batches",
    response_model=BatchPublic,
    status_code=201,
    responses={202: {"model": AcceptedPublic, "description": "committed; the chain has not confirmed it in time"}},
)
def create_batch(
    request: BatchRequest, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep, settings: SettingsDep
) -> BatchPublic | JSONResponse:
    """Issue a class or a grade: personal data into the vault, salted subjects, one signed credential
    each with a status entry, one anchor on chain. Sending the same batch key again finishes it.
    A record's narrative (评语) is part of the credential the student holds: it can never be taken
    back from them, only revoked."""
    if len(request.records) > settings.MAX_BATCH:
        raise InvalidRequestError(f"a batch holds at most {settings.MAX_BATCH} records; split it")
    problems = rosters.check_records(request.kind, request.records)
    if problems:
        first = problems[0]
        raise InvalidRequestError(
            f"record {first.index}: {first.field}: {first.message} (records are numbered from 0)",
            code="guardian_consent_required" if first.code == "guardian_consent_required" else None,
            problems=[p.model_dump() for p in _problems_public(problems)],
        )
    institution, account = _issuer_of(db, issuer)
    if not issuing.ready(account):
        raise ConflictError("the institution's keys are not on chain yet; try again shortly", code="issuer_not_ready")
    valid_from = request.valid_from.strftime("%Y-%m-%dT%H:%M:%SZ") if request.valid_from else None
    try:
        batch = issuing.issue(
            db,
            institution=institution,
            account=account,
            key=request.batch,
            kind=request.kind,
            records=request.records,
            actor=issuer.address,
            valid_from=valid_from,
        )
    except TransactionTimeoutError as waiting:
        return still_on_the_way(
            f"/credentials/batches/{request.batch}",
            "the batch is committed and its anchor is on its way to the chain; it completes by itself: follow status_url",
            waiting,
        )
    return _batch_public(db, batch, issuing)


@router.get("/credentials/batches", response_model=BatchesPublic)
def read_batches(
    issuer: IssuerUser, db: SessionDep, limit: int = Query(default=20, ge=1, le=100), offset: int = Query(default=0, ge=0, le=MAX_INT)
) -> BatchesPublic:
    """The batches the signed-in issuer's institution issued, newest first, with their credentials' statuses."""
    institution, _ = _issuer_of(db, issuer)
    found, total = issued_crud.list_batches(session=db, institution_id=institution.id, limit=limit, offset=offset)
    return BatchesPublic(
        count=total,
        data=[
            BatchSummaryPublic(
                batch=s.batch.key,
                kind=s.batch.kind,
                count=s.batch.count,
                completed=s.batch.completed_at is not None,
                created_at=s.batch.created_at,
                tx_hash=s.batch.tx_hash,
                statuses=s.statuses,
            )
            for s in found
        ],
    )


@router.post("/credentials/batches/check", response_model=list[RowProblemPublic])
def check_batch(request: CheckRequest, issuer: IssuerUser) -> list[RowProblemPublic]:
    """Check a batch's records as issuing would, every row: nothing is stored or issued (empty: it can be issued)."""
    return _problems_public(rosters.check_records(request.kind, request.records))


@router.post(
    "/credentials/rosters",
    response_model=RosterPublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the roster file itself: CSV (UTF-8 or GB18030) or Excel .xlsx",
            "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        }
    },
)
async def read_roster(
    request: Request,
    issuer: IssuerUser,
    settings: SettingsDep,
    kind: Literal["growth_record", "professional_development"] = "growth_record",
) -> RosterPublic:
    """Read a class roster (CSV or .xlsx; the first row names the columns) into batch records, with
    every row's problems: a preview, nothing is stored or issued."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > rosters.MAX_ROSTER_BYTES:
        raise InvalidRequestError(f"a roster file holds at most {rosters.MAX_ROSTER_BYTES // 1024 // 1024} MB", code="roster_too_large")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > rosters.MAX_ROSTER_BYTES:
            raise InvalidRequestError(f"a roster file holds at most {rosters.MAX_ROSTER_BYTES // 1024 // 1024} MB", code="roster_too_large")

    def read() -> RosterPublic:
        roster = rosters.read_roster(bytes(data), kind, max_records=settings.MAX_BATCH)
        return RosterPublic(
            kind=kind,
            records=roster.records,
            lines=roster.lines,
            ignored_columns=roster.ignored_columns,
            problems=_problems_public(rosters.check_records(kind, roster.records), roster.lines),
        )

    return await anyio.to_thread.run_sync(read)


@router.get("/credentials/batches/{key}", response_model=BatchPublic)
def read_batch(key: str, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> BatchPublic:
    """A batch of the signed-in issuer's institution, with its credentials."""
    institution, _ = _issuer_of(db, issuer)
    batch = db.scalar(select(CredentialBatch).where(CredentialBatch.institution_id == institution.id, CredentialBatch.key == key))
    if batch is None:
        raise ResourceNotFoundError(f"no batch {key!r} at {institution.name}")
    return _batch_public(db, batch, issuing)


def _own_credential(db: Session, issuer: Principal, credential_id: str) -> tuple[IssuedCredential, bool]:
    """The credential (by its id, or a credit grant by its grant id) and whether its batch is anchored."""
    credential = db.get(IssuedCredential, credential_id) or (
        db.get(IssuedCredential, f"urn:eduledger:{credential_id}") if credential_id.startswith("credit-grant:") else None
    )
    if credential is None or credential.institution_id != issuer.institution_id:
        raise ResourceNotFoundError(f"the institution issued no credential {credential_id}")
    batch = db.get(CredentialBatch, credential.batch_id)
    return credential, batch is not None and batch.completed_at is not None


class SubjectLabelPublic(BaseModel):
    credential_id: str
    subject_id: str | None
    erased: bool = Field(description="the subject's personal data were erased: nothing to show")
    name: str | None = None
    number: str | None = Field(default=None, description="学籍号 or staff number")


@router.get("/credentials/batches/{key}/subjects", response_model=list[SubjectLabelPublic])
def read_batch_subjects(key: str, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> list[SubjectLabelPublic]:
    """Who each credential of a batch is about (name and number, from the vault), in the batch's order:
    for the institution's own issuers, to find a student's record."""
    institution, _ = _issuer_of(db, issuer)
    batch = db.scalar(select(CredentialBatch).where(CredentialBatch.institution_id == institution.id, CredentialBatch.key == key))
    if batch is None:
        raise ResourceNotFoundError(f"no batch {key!r} at {institution.name}")
    return [
        SubjectLabelPublic(
            credential_id=credential_id,
            subject_id=subject_id,
            erased=label is None,
            name=(label or {}).get("name"),
            number=(label or {}).get("student_number") or (label or {}).get("staff_number"),
        )
        for credential_id, subject_id, label in issued_crud.subject_labels(session=db, vault=issuing.vault, batch_id=batch.id)
    ]


@router.get("/credentials/{credential_id}", response_model=IssuedPublic)
def read_credential(credential_id: str, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> IssuedPublic:
    """A credential the signed-in issuer's institution issued (a credit grant also by its grant id), and its lifecycle status."""
    credential, completed = _own_credential(db, issuer, credential_id)
    return _issued_public(credential, issuing, completed)


@router.post(
    "/credentials/{credential_id}/status",
    response_model=IssuedPublic,
    responses={202: {"model": AcceptedPublic, "description": "the chain has not confirmed the new list in time"}},
)
def change_credential_status(
    credential_id: str, request: StatusRequest, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep
) -> IssuedPublic | JSONResponse:
    """Revoke (final), suspend or unsuspend: the status list is signed again and its hash anchored.
    Revoking a credential revokes the credit grants that converted it."""
    credential, completed = _own_credential(db, issuer, credential_id)
    if not completed:
        raise ConflictError("the credential's batch is not anchored yet; send its batch key again to finish it", code="batch_unfinished")
    _, account = _issuer_of(db, issuer)
    try:
        issuing.change_status(db, credential, account, request.action, request.reason)
    except TransactionTimeoutError as waiting:
        return still_on_the_way(
            f"/credentials/{credential_id}",
            "the change is recorded and the new status list is on its way to the chain; it lands by itself: follow status_url",
            waiting,
        )
    return _issued_public(credential, issuing, completed)


@router.get("/status-lists/{list_id}", response_model=None)
def read_status_list(list_id: str, db: SessionDep) -> JSONResponse:
    """A hosted status list credential: signed by its institution, its hash anchored on chain."""
    record = db.get(StatusListRecord, list_id)
    if record is None or record.credential is None:
        raise ResourceNotFoundError(f"no published status list {list_id}")
    return JSONResponse(record.credential, headers={"Cache-Control": "no-cache", "ETag": f'"{record.list_hash}"'})


@router.get("/subjects/{subject_id}", response_model=dict[str, Any])
def read_subject(subject_id: str, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> dict[str, Any]:
    """The personal data behind a subject's credentials (decrypted from the vault for its issuer)."""
    return subjects.read_subject(db, issuing.vault, institution_id=issuer.institution_id, subject_id=subject_id)


@router.delete("/subjects/{subject_id}", status_code=204, response_class=Response)
def erase_subject(subject_id: str, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> Response:
    """Erase a subject (crypto-shredding): their personal data and the registry's copies of their
    credentials become unrecoverable; the copies they hold still verify (revoke them to withdraw them)."""
    subjects.erase_subject(db, issuing.vault, institution_id=issuer.institution_id, subject_id=subject_id)
    return Response(status_code=204)


# The credit bank (学分银行, R8).


class ConversionRulePublic(BaseModel):
    achievement_type: str = Field(
        min_length=1, max_length=100, description="OB achievementType, e.g. ext:GrowthRecord, CertificateOfCompletion"
    )
    credits: float = Field(ge=0, le=1_000, strict=True)  # a number, not a string that looks like one
    accepted_results: list[str] = Field(
        default_factory=list, max_length=50, description="if given, one of the subject's results must be one of these"
    )


class ImportRequest(BaseModel):
    presentation: dict[str, Any] = Field(
        description="a VC 2.0 VerifiablePresentation of one student's credentials, signed by "
        "the student (holder) over a challenge of POST /presentations/challenges and this "
        "registry's domain; each credential bound to the holder (credentialSubject.id)"
    )
    challenge: str = Field(max_length=64, description="the challenge the presentation answers (used once)")
    status_lists: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="status lists the credentials refer to, by URL (lists this registry hosts are found by themselves)",
    )


class RefusedPublic(BaseModel):
    credential_id: str
    reason: str


class GrantPublic(BaseModel):
    grant_id: str
    credential_id: str
    credits: float
    status: str = Field(
        description="active, suspended or revoked (POST /credentials/{grant_id}/status); "
        "revoked by itself when a credential it converted is revoked here"
    )
    credential: dict[str, Any] = Field(description="the credit-grant credential, signed and anchored, with its status entry")
    converted: list[str]
    refused: list[RefusedPublic]


class GrantSummary(BaseModel):
    grant_id: str
    credential_id: str
    credits: float | None
    status: str
    status_reason: str | None
    completed: bool
    converted: list[str]


@router.put("/credit-bank/rules", response_model=list[ConversionRulePublic])
def update_credit_rules(rules: list[ConversionRulePublic], issuer: IssuerUser, db: SessionDep) -> list[ConversionRulePublic]:
    """Set how the institution converts presented credentials into credits."""
    _, account = _issuer_of(db, issuer)
    account.credit_rules = [rule.model_dump() for rule in rules]
    db.commit()
    return rules


@router.get("/credit-bank/rules", response_model=list[ConversionRulePublic])
def read_credit_rules(issuer: IssuerUser, db: SessionDep) -> list[ConversionRulePublic]:
    """The institution's conversion rules."""
    _, account = _issuer_of(db, issuer)
    return [ConversionRulePublic(**rule) for rule in account.credit_rules]


@router.post(
    "/credit-bank/imports",
    response_model=GrantPublic,
    status_code=201,
    responses={202: {"model": AcceptedPublic, "description": "granted; the chain has not anchored the grant in time"}},
)
def import_presentation(
    request: ImportRequest, issuer: IssuerUser, db: SessionDep, issuing: IssuingDep, settings: SettingsDep, bureau: BureauDep
) -> GrantPublic | JSONResponse:
    """Verify every presented credential, convert by the rules, issue one credit-grant credential;
    a credential is never converted twice by the same institution. When the chain is slow: 202, and
    the grant is anchored in the background (follow status_url)."""
    institution, account = _issuer_of(db, issuer)
    if not account.credit_rules:
        raise ConflictError("set the conversion rules first (PUT /credit-bank/rules)", code="no_rules")
    use_presentation_challenge(db, request.challenge)
    db.commit()  # spent whatever follows: a presentation answers its challenge once
    try:
        credential, grant = issuing.grant_credits(
            db,
            institution=institution,
            account=account,
            presentation=request.presentation,
            supplied_lists=request.status_lists,
            actor=issuer.address,
            challenge=request.challenge,
            domain=presentation_domain(settings.BASE_URL),
            did_resolver=issuing.did_resolver(db, bureau.id_hex, bureau.signing_key),
        )
    except ChainWriteWaiting as waiting:
        return still_on_the_way(
            f"/credentials/{waiting.batch_key}" if waiting.batch_key else "/credit-bank/grants",
            "the credits are granted and the grant's anchor is on its way to the chain; it completes by itself: follow status_url",
            waiting,
        )
    return GrantPublic(
        grant_id=grant.grant_id,
        credential_id=credential.id,
        credits=grant.credits,
        status=credential.status,
        credential=grant.credential,
        converted=grant.converted,
        refused=[RefusedPublic(credential_id=r.credential_id, reason=r.reason) for r in grant.refused],
    )


@router.get("/credit-bank/grants", response_model=list[GrantSummary])
def read_grants(issuer: IssuerUser, db: SessionDep, issuing: IssuingDep) -> list[GrantSummary]:
    """The institution's credit grants, newest first, with their status and what each converted."""
    institution, account = _issuer_of(db, issuer)
    return [
        GrantSummary(
            grant_id=grant.id.removeprefix("urn:eduledger:"),
            credential_id=grant.id,
            status=grant.status,
            status_reason=grant.status_reason,
            completed=grant.document is not None,
            converted=sources,
            credits=float(grant.document["credentialSubject"]["creditsEarned"]) if grant.document else None,
        )
        for grant, sources in issuing.grants(db, account, institution)
    ]

"""Credentials issued on a real (anvil) chain, for the service and wallet tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ledger_service.chain import Ledger, Outbox, TransactionSender, dev_signer
from ledger_service.credentials import (
    JCS_SUITE,
    BatchIssuer,
    Ed25519KeyPair,
    P256KeyPair,
    StatusList,
    institution_uri,
    sign,
    status_list_hash,
    status_list_id,
)

GROWTH_RECORD = keccak(b"EduLedger.GrowthRecord")
STATUS_LIST_TYPE = keccak(b"EduLedger.StatusList")
ROOT_BUREAU = keccak(b"institution:test-bureau")
FAR_FUTURE = 2**63
ISSUER_INDEX = 5
BUREAU_SIGNING_KEY = Ed25519KeyPair.from_seed(b"bureau-signing-key".ljust(32, b"\0"))
BUREAU_SD_KEY = P256KeyPair.from_secret(b"bureau-sd-key".ljust(32, b"\1"))  # ecdsa-sd-2023 base proofs


def issue_on_ledger(
    ledger: Ledger,
    workdir: Path,
    documents: list[dict[str, Any]],
    batch_id: str,
    *,
    issuer_did: str | None = None,
    selective_disclosure: bool = False,
) -> list[dict[str, Any]]:
    """Governance (the ledger's key) makes a bureau accredited for growth records with an issuer key, which
    issues (as ``issuer_did``, a did:web of the bureau, if given; with ecdsa-sd-2023 base proofs by
    :data:`BUREAU_SD_KEY` if ``selective_disclosure``)."""
    directory = ledger.contracts["InstitutionRegistry"]
    key = dev_signer(ISSUER_INDEX)
    if directory.call("issuerKey", key.address)["institutionId"] != ROOT_BUREAU:
        governance = ledger.sender
        governance.transact(directory.transaction("registerInstitution", ROOT_BUREAU, b"\0" * 32, 2, governance.address))
        governance.transact(directory.transaction("accredit", ROOT_BUREAU, GROWTH_RECORD, 0, FAR_FUTURE))
        governance.transact(directory.transaction("accredit", ROOT_BUREAU, STATUS_LIST_TYPE, 0, FAR_FUTURE))
        governance.transact(directory.transaction("addIssuerKey", ROOT_BUREAU, key.address, 0, FAR_FUTURE))
        governance.transact(directory.transaction("addSigningKey", ROOT_BUREAU, BUREAU_SIGNING_KEY.public.raw, 0, FAR_FUTURE))
        governance.transact(directory.transaction("addSigningKey", ROOT_BUREAU, BUREAU_SD_KEY.public.chain_key, 0, FAR_FUTURE))
    sender = _issuer_sender(ledger, workdir, batch_id)
    issuer = BatchIssuer(
        workdir / f"issuance-{batch_id}.sqlite3",
        sender=sender,
        anchor=ledger.contracts["CredentialAnchor"],
        directory=directory,
        signing_key=BUREAU_SIGNING_KEY,
        issuer_id=issuer_did,
        sd_key=BUREAU_SD_KEY if selective_disclosure else None,
    )
    documents = [{**document, "issuer": {**document["issuer"], "id": issuer_did or institution_uri(ROOT_BUREAU)}} for document in documents]
    credentials = issuer.issue(batch_id, documents, credential_type=GROWTH_RECORD, created="2026-11-22T08:00:00Z").credentials
    issuer.close()
    return credentials


def _issuer_sender(ledger: Ledger, workdir: Path, tag: str) -> TransactionSender:
    return TransactionSender(
        ledger.rpc,
        dev_signer(ISSUER_INDEX),
        Outbox(workdir / f"issuer-outbox-{tag}.sqlite3", chain_id=ledger.chain_id),
        decoder=ledger.sender.decoder,
    )


def publish_status_list(ledger: Ledger, workdir: Path, status: StatusList, *, valid_from: str = "2026-11-22T08:00:00Z") -> dict[str, Any]:
    """Sign the bureau's status list as it stands and anchor its hash (after issue_on_ledger set the bureau up)."""
    listed = sign(
        status.credential(issuer=institution_uri(ROOT_BUREAU), valid_from=valid_from),
        BUREAU_SIGNING_KEY,
        cryptosuite=JCS_SUITE,
        created=valid_from,
        proof_as_list=True,
    )
    sender = _issuer_sender(ledger, workdir, f"status-{status_list_hash(listed).hex()[:12]}")
    sender.transact(
        ledger.contracts["CredentialAnchor"].transaction("updateStatusList", status_list_id(status.url), status_list_hash(listed))
    )
    sender.close()
    return listed

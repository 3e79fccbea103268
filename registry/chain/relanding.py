"""After a restart: what the chain lost and the outboxes sent again lands in new blocks; the
database is brought to what those receipts say.

The embedded chain is restored from its last snapshot, so transactions mined after it are gone;
each sender's reconcile re-sends them with the same signed bytes (the same hashes), and they are
mined again, usually in other blocks. Rows that recorded the old block number — chain jobs,
registrations, decision records, credential batches and the anchor proofs of their credentials, and
those of the bureau's own (certificates as credentials, contribution statements) —
are updated from the new receipts, so the registry never serves a block the chain does not have.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger_service import ChainError
from ledger_service.chain import Ledger
from ledger_service.credentials import ANCHOR_PROOF_TYPE

from ..models import Certificate, ChainJob, ContributionStatement, CredentialBatch, IssuedCredential, ResourceVersion, WorkflowEvent

__all__ = ["IssuedDocuments", "reland"]


class IssuedDocuments(Protocol):
    """Where issued credentials' documents are kept (sealed under their subjects' keys: ``workflows.issuance``)."""

    def document_of(self, credential: IssuedCredential) -> dict[str, Any] | None: ...

    def replace_document(self, credential: IssuedCredential, document: dict[str, Any]) -> None: ...


log = logging.getLogger("registry.chain")


def _with_block(document: dict[str, Any], block: int) -> dict[str, Any]:
    proofs = document.get("proof")
    if not isinstance(proofs, list):
        return document
    # Only the anchor proof names the block; the issuer's signature does not cover it.
    return {**document, "proof": [{**p, "blockNumber": block} if p.get("type") == ANCHOR_PROOF_TYPE else p for p in proofs]}


def apply_blocks(session: Session, blocks: dict[str, int], documents: IssuedDocuments) -> int:
    """Record ``blocks`` (tx hash → the block its receipt names) wherever a row names that transaction."""
    changed = 0
    for tx_hash, block in blocks.items():
        for statement in (
            update(ChainJob).where(ChainJob.tx_hash == tx_hash, ChainJob.block_number != block).values(block_number=block),
            update(ResourceVersion)
            .where(ResourceVersion.registration_tx == tx_hash, ResourceVersion.registration_block != block)
            .values(registration_block=block),
            update(WorkflowEvent).where(WorkflowEvent.chain_tx == tx_hash, WorkflowEvent.chain_block != block).values(chain_block=block),
        ):
            changed += session.execute(statement).rowcount  # type: ignore[attr-defined]
        # The bureau's own credentials: contribution statements and certificates as credentials (by their anchoring job).
        for issued in session.scalars(select(ContributionStatement).where(ContributionStatement.tx_hash == tx_hash)):
            corrected = _with_block(issued.document, block)
            if corrected != issued.document:
                issued.document = corrected
                changed += 1
        for job in session.scalars(select(ChainJob).where(ChainJob.tx_hash == tx_hash, ChainJob.kind == "anchor_batch")):
            if "bureau" not in job.payload:
                continue
            for certificate in session.scalars(select(Certificate).where(Certificate.credential_batch == job.payload["key"])):
                if certificate.credential is not None:
                    corrected = _with_block(certificate.credential, block)
                    if corrected != certificate.credential:
                        certificate.credential = corrected
                        changed += 1
        for batch in session.scalars(
            select(CredentialBatch).where(CredentialBatch.tx_hash == tx_hash, CredentialBatch.block_number != block)
        ):
            batch.block_number = block
            changed += 1
            for credential in session.scalars(select(IssuedCredential).where(IssuedCredential.batch_id == batch.id)):
                document = documents.document_of(credential)
                if document is not None:  # None: unsigned yet, or its subject erased (nothing readable to correct)
                    documents.replace_document(credential, _with_block(document, block))
    return changed


def reland(ledger: Ledger, sessions: sessionmaker[Session], documents: IssuedDocuments, *, timeout: float = 60.0) -> int:
    """Wait for every re-sent transaction of every sender, then record the blocks they landed in.
    Returns how many rows changed; a chain that does not answer in time leaves them for the next start."""
    blocks: dict[str, int] = {}
    for address, hashes in ledger.resent.items():
        if not hashes:
            continue
        sender = ledger.sender if address == ledger.sender.address else ledger.senders[address]
        try:
            receipts = sender.wait(hashes, timeout=timeout)
        except ChainError as exc:
            log.warning("%d re-sent transaction(s) of %s did not land yet: %s", len(hashes), address, exc)
            continue
        for receipt in receipts:
            if receipt.succeeded:
                blocks[receipt.tx_hash] = receipt.block_number
            else:
                log.warning("re-sent transaction %s of %s reverted in block %d", receipt.tx_hash, address, receipt.block_number)
        ledger.resent[address] = []
    if not blocks:
        return 0
    with sessions() as session:
        changed = apply_blocks(session, blocks, documents)
        session.commit()
    log.info("%d transaction(s) lost with the chain's last snapshot landed again; %d record(s) updated", len(blocks), changed)
    return changed

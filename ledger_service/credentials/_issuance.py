"""Batch issuance: sign every credential, anchor the batch's Merkle root in one transaction.

Each credential is signed (Data Integrity) and hashed — sha256 of the JCS form of the credential
without its proofs — and the hashes form an OpenZeppelin StandardMerkleTree whose root the
issuer key anchors. Every credential then gets a second proof naming the root, its path, the
chain, the anchor contract, the transaction and the block.

With a P-256 key (``sd_key``) every credential also gets the institution's ``ecdsa-sd-2023`` base
proof (selective disclosure, :mod:`._disclosure`), signed in the same pass — and on the same worker
processes — as the eddsa signature, over the hash that pass computes anyway, which it signs as the
proof's nonce so derived copies stay tied to the anchor.

The institution is the one the sending key belongs to on chain; documents must name it as issuer
(:func:`institution_uri`) and the Ed25519 signing key must be registered to it on chain, or
nothing is signed.

Issuing is resumable: the signed credentials are journaled (SQLite) before anything is sent, the
anchor transaction goes through the durable outbox under the key ``anchor:<root>``, and a batch
found anchored on chain is never anchored again. Re-running an interrupted batch id finishes it
with the same credentials.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import signal
import stat
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import CredentialError
from .._sqlite import open_durable
from ..chain import BoundContract, ContractCall, TransactionSender
from ._data_integrity import JCS_SUITE, batch_proof, sign_hashed, sign_jcs_batch
from ._did_web import did_web_institution, signing_method
from ._documents import mandatory_pointers
from ._ecdsa_sd import P256KeyPair, sign_sd_base
from ._jcs import canonical_hash
from ._keys import Ed25519KeyPair
from ._merkle import MerkleTree

__all__ = ["ANCHOR_PROOF_TYPE", "BatchIssuer", "IssuedBatch", "credential_hash", "institution_uri"]

ANCHOR_PROOF_TYPE = "EduLedgerMerkleAnchor"
_INSTITUTION_PREFIX = "urn:eduledger:institution:0x"


def institution_uri(institution_id: bytes) -> str:
    """The issuer id of an institution in credentials: ``urn:eduledger:institution:0x<id>``."""
    return _INSTITUTION_PREFIX + institution_id.hex()


def issuer_id_of(document: dict[str, Any]) -> Any:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def credential_hash(credential: dict[str, Any]) -> bytes:
    """sha256 of the JCS form of the credential without any proof: the Merkle leaf value."""
    return canonical_hash({k: v for k, v in credential.items() if k != "proof"})


_PARALLEL_FROM = 2_000  # below this, starting worker processes costs more than it saves
_PARALLEL_FROM_SD = 64  # the same with ecdsa-sd-2023 base proofs (a few ms each)

# The batch a forked worker signs: set in each worker by its initializer from arguments the fork
# copies (never pickled), so the pools of two institutions signing at once cannot mix batches.
_FORKED: tuple[Sequence[dict[str, Any]], bytes, str, str, str, tuple[bytes, str] | None] | None = None
_Signed = tuple[bytes, str, str, "dict[str, Any] | None"]  # (hash, eddsa proof value, journal text, sd base proof)

_PR_SET_PDEATHSIG = 1


def _sd_base_proof(document: dict[str, Any], value: bytes, sd: tuple[P256KeyPair, str] | None, created: str) -> dict[str, Any] | None:
    """The ecdsa-sd-2023 base proof of ``document`` (whose credential hash is ``value``), or None without a P-256 key."""
    if sd is None:
        return None
    key, method = sd
    based = sign_sd_base(
        document,
        key,
        created=created,
        mandatory_pointers=mandatory_pointers(document),
        verification_method=method,
        nonce="0x" + value.hex(),
    )
    proof = based["proof"]
    return dict(proof[-1] if isinstance(proof, list) else proof)


def _sign_range(
    documents: Sequence[dict[str, Any]],
    seed: bytes,
    cryptosuite: str,
    created: str,
    verification_method: str,
    sd_secret: tuple[bytes, str] | None,
    start: int,
    end: int,
) -> list[_Signed]:
    """(canonical hash, proof value, journal text of the signed document, sd base proof) of ``documents[start:end]``."""
    key = Ed25519KeyPair.from_seed(seed)
    sd = (P256KeyPair.from_secret(sd_secret[0]), sd_secret[1]) if sd_secret is not None else None
    chunk = documents[start:end]
    results: list[_Signed] = []
    if cryptosuite == JCS_SUITE:
        for document, (value, proof_value, text) in zip(
            chunk, sign_jcs_batch(chunk, key, created=created, verification_method=verification_method), strict=True
        ):
            proof = batch_proof(document, proof_value, cryptosuite=cryptosuite, created=created, verification_method=verification_method)
            base = _sd_base_proof(document, value, sd, created)
            results.append((value, proof_value, _with_proof_text(text, [proof] if base is None else [proof, base]), base))
        return results
    for document in chunk:
        signed, value = sign_hashed(document, key, cryptosuite=cryptosuite, created=created, verification_method=verification_method)
        base = _sd_base_proof(document, value, sd, created)
        if base is not None:
            signed["proof"].append(base)
        proof_value = str(signed["proof"][0]["proofValue"])
        results.append((value, proof_value, json.dumps(signed, ensure_ascii=False), base))
    return results


def _close_inherited_files() -> None:
    """Close the sockets (a server's listening socket, its clients' connections) and files (the
    data directory's lock) the fork copied: a worker must never hold them. Pipes (the pool's own
    queues) and devices stay."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd < 3:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue  # the directory listing's own descriptor, already closed
        if stat.S_ISSOCK(mode) or stat.S_ISREG(mode):
            os.close(fd)


def _start_worker(
    parent: int, batch: tuple[Sequence[dict[str, Any]], bytes, str, str, str, tuple[bytes, str] | None]
) -> None:  # pragma: no cover - in the child
    """Worker-process set-up: die with the parent (a kill -9 of the service must not leave workers
    holding its port), drop the inherited sockets and files, take the batch."""
    global _FORKED
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own shutdown still ends the workers with a live parent
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    _close_inherited_files()
    _FORKED = batch


def signing_pool(
    workers: int, batch: tuple[Sequence[dict[str, Any]], bytes, str, str, str, tuple[bytes, str] | None]
) -> ProcessPoolExecutor:
    """Forked worker processes that hold ``batch`` (each pool its own: nothing shared between two
    institutions signing at once), die with this process, and hold none of its sockets or files."""
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), batch))


def _sign_forked(start: int, end: int) -> list[_Signed]:
    """Worker-process half of :meth:`BatchIssuer._sign_all` (the batch came with the fork)."""
    assert _FORKED is not None, "forked without a batch"
    documents, seed, cryptosuite, created, verification_method, sd_secret = _FORKED
    return _sign_range(documents, seed, cryptosuite, created, verification_method, sd_secret, start, end)


def _with_proof_text(unsecured_text: str, proofs: list[dict[str, Any]]) -> str:
    """The journal's JSON of a signed document: its unsecured JSON with the proof list added last."""
    proof_text = '"proof":[' + ",".join(json.dumps(proof, ensure_ascii=False) for proof in proofs) + "]}"
    return unsecured_text[:-1] + ("," if unsecured_text != "{}" else "") + proof_text


@dataclass(frozen=True)
class IssuedBatch:
    batch_id: str
    root: bytes
    tx_hash: str
    block_number: int
    credentials: list[dict[str, Any]]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY, credential_type BLOB NOT NULL, root BLOB NOT NULL,
    tx_hash TEXT, block_number INTEGER, created_at REAL NOT NULL, completed_at REAL
);
CREATE TABLE IF NOT EXISTS credentials (
    batch_id TEXT NOT NULL REFERENCES batches (batch_id), position INTEGER NOT NULL,
    document TEXT NOT NULL, PRIMARY KEY (batch_id, position)
);
"""


class BatchIssuer:
    """Issues batches for one institution: its Ed25519 signing key and its on-chain issuer key."""

    def __init__(
        self,
        journal: Path | str,
        *,
        sender: TransactionSender,
        anchor: BoundContract,
        directory: BoundContract,
        signing_key: Ed25519KeyPair,
        verification_method: str | None = None,
        cryptosuite: str = JCS_SUITE,
        workers: int | None = None,
        issuer_id: str | None = None,
        sd_key: P256KeyPair | None = None,
    ) -> None:
        self.sender = sender
        self.sd_key = sd_key
        self.anchor = anchor
        self.directory = directory
        self.signing_key = signing_key
        self.verification_method = verification_method or signing_key.public.verification_method
        self.cryptosuite = cryptosuite
        self.workers = workers or os.cpu_count() or 1  # large batches are signed on every core
        institution = bytes(directory.call("issuerKey", sender.address)["institutionId"])
        if institution == b"\0" * 32:
            raise CredentialError(f"{sender.address} is not an issuer key of any institution on chain")
        self.institution_id = institution
        # The issuer documents name: the institution's did:web (its DID document lists the signing
        # key; the proof names the key by its method there), or the urn of credentials issued before.
        if issuer_id is not None and did_web_institution(issuer_id) != institution:
            raise CredentialError(f"{issuer_id[:120]!r} is not the did:web of institution 0x{institution.hex()}")
        self.issuer_id = issuer_id or institution_uri(institution)
        if issuer_id is not None and verification_method is None:
            self.verification_method = signing_method(issuer_id, signing_key.public)
        self.sd_method: str | None = None
        if sd_key is not None:
            self.sd_method = signing_method(issuer_id, sd_key.public) if issuer_id is not None else sd_key.public.verification_method
        self._db = open_durable(journal, _SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def issue(
        self,
        batch_id: str,
        documents: Sequence[dict[str, Any]],
        *,
        credential_type: bytes,
        created: str,
        status_list_hash: bytes = b"\0" * 32,
    ) -> IssuedBatch:
        """Sign, journal, anchor and finish ``documents`` as batch ``batch_id`` (idempotent by id)."""
        _, call = self.prepare(batch_id, documents, credential_type=credential_type, created=created, status_list_hash=status_list_hash)
        if call is not None:
            self.sender.transact(call)
        return self.complete(batch_id)

    def prepare(
        self,
        batch_id: str,
        documents: Sequence[dict[str, Any]],
        *,
        credential_type: bytes,
        created: str,
        status_list_hash: bytes = b"\0" * 32,
    ) -> tuple[bytes, ContractCall | None]:
        """Sign and journal ``documents`` as batch ``batch_id`` (once: a journaled batch keeps its
        credentials), and return its root and the anchoring call to send through this issuer's
        sender (key ``anchor:<root>``), or None when the root is anchored on chain already."""
        signed, _, tree = self._journaled(batch_id, documents, credential_type, created)
        root = tree.root
        if self.anchor.call("anchorOf", root)["anchoredAt"] != 0:
            return root, None
        return root, self.anchor.transaction("anchor", root, len(signed), credential_type, status_list_hash, key=f"anchor:0x{root.hex()}")

    def complete(self, batch_id: str) -> IssuedBatch:
        """The journaled batch ``batch_id`` finished: each credential with its anchor proof (its root
        must be anchored on chain by this issuer's sender)."""
        with self._lock:
            row = self._db.execute("SELECT credential_type FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        if row is None:
            raise CredentialError(f"batch {batch_id} was never journaled here")
        signed, hashes, tree = self._journaled(batch_id, (), bytes(row[0]), "")
        root = tree.root
        entry = self.sender.outbox.by_keys([f"anchor:0x{root.hex()}"]).get(f"anchor:0x{root.hex()}")
        anchored = self.anchor.call("anchorOf", root)
        if anchored["anchoredAt"] == 0:
            raise CredentialError(f"batch {batch_id}: root 0x{root.hex()} is not anchored after sending")
        if entry is None:
            raise CredentialError(
                f"batch {batch_id}: these credentials (root 0x{root.hex()}) were already anchored by another batch; "
                "credential ids must be unique"
            )
        block_number = int(anchored["blockNumber"])
        anchoring_key = f"eip155:{self.sender.chain_id}:{anchored['issuer']}"  # CAIP-10 account of the issuer key
        paths = tree.proofs_hex(hashes)
        finished = [
            self._with_anchor_proof(doc, value, path, "0x" + tree.root.hex(), entry.tx_hash, block_number, anchoring_key)
            for doc, value, path in zip(signed, hashes, paths, strict=True)
        ]
        with self._lock:
            self._db.execute(
                "UPDATE batches SET tx_hash = ?, block_number = ?, completed_at = ? WHERE batch_id = ?",
                (entry.tx_hash, block_number, time.time(), batch_id),
            )
        return IssuedBatch(batch_id, root, entry.tx_hash, block_number, finished)

    def forget(self, batch_id: str) -> None:
        """Drop the journaled credentials of a finished batch: whoever issued it keeps them now, and
        they may carry personal data that must stay erasable there. Its root and transaction stay."""
        with self._lock:
            row = self._db.execute("SELECT completed_at FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
            if row is None or row[0] is None:
                raise CredentialError(f"batch {batch_id} is not finished; its journal is what finishes it")
            self._db.execute("PRAGMA secure_delete = ON")  # the freed pages are zeroed, not left readable
            self._db.execute("DELETE FROM credentials WHERE batch_id = ?", (batch_id,))
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _journaled(
        self, batch_id: str, documents: Sequence[dict[str, Any]], credential_type: bytes, created: str
    ) -> tuple[list[dict[str, Any]], list[bytes], MerkleTree]:
        with self._lock:
            row = self._db.execute("SELECT root FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
            if row is not None:
                stored = [
                    json.loads(text)
                    for (text,) in self._db.execute("SELECT document FROM credentials WHERE batch_id = ? ORDER BY position", (batch_id,))
                ]
                hashes = [credential_hash(doc) for doc in stored]
                tree = MerkleTree.of(hashes)
                if tree.root != bytes(row[0]):
                    raise CredentialError(f"the journal of batch {batch_id} does not match its recorded root")
                return stored, hashes, tree
        if not documents:
            raise CredentialError("a batch needs at least one credential")
        self._check_can_sign(documents)
        documents = list(documents)
        signatures = self._sign_all(documents, created)
        signed, hashes, texts = [], [], []
        for document, (value, proof_value, text, base) in zip(documents, signatures, strict=True):
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            proof = batch_proof(
                unsecured, proof_value, cryptosuite=self.cryptosuite, created=created, verification_method=self.verification_method
            )
            signed.append({**unsecured, "proof": [proof] if base is None else [proof, base]})
            hashes.append(value)
            texts.append(text)
        tree = MerkleTree.of(hashes)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO batches (batch_id, credential_type, root, created_at) VALUES (?, ?, ?, ?)",
                (batch_id, credential_type, tree.root, time.time()),
            )
            self._db.executemany(
                "INSERT INTO credentials (batch_id, position, document) VALUES (?, ?, ?)",
                [(batch_id, i, text) for i, text in enumerate(texts)],
            )
            self._db.execute("COMMIT")
        return signed, hashes, tree

    def _sign_all(self, documents: list[dict[str, Any]], created: str) -> list[_Signed]:
        """Sign every document; large batches on every core, in forked workers that inherit the
        documents (pickling them to workers and back cost more than the signing)."""
        seed, suite, method = self.signing_key.seed, self.cryptosuite, self.verification_method
        sd = (self.sd_key.secret, self.sd_method) if self.sd_key is not None and self.sd_method is not None else None
        # Base proofs cost some fifty times an eddsa signature: they make small batches worth the workers.
        parallel_from = _PARALLEL_FROM if sd is None else _PARALLEL_FROM_SD
        if self.workers < 2 or len(documents) < parallel_from or "fork" not in multiprocessing.get_all_start_methods():
            return _sign_range(documents, seed, suite, created, method, sd, 0, len(documents))
        size = -(-len(documents) // (self.workers * 4))  # a few chunks per worker: an even finish
        ranges = [(start, min(start + size, len(documents))) for start in range(0, len(documents), size)]
        with signing_pool(self.workers, (documents, seed, suite, created, method, sd)) as pool:
            parts = pool.map(_sign_forked, [a for a, _ in ranges], [b for _, b in ranges])
            return [item for part in parts for item in part]

    def _check_can_sign(self, documents: Sequence[dict[str, Any]]) -> None:
        # Documents fixed before the institution became a DID (a batch resumed after the upgrade) keep the urn.
        accepted = {self.issuer_id, institution_uri(self.institution_id)}
        for position, document in enumerate(documents):
            named = issuer_id_of(document)
            if not isinstance(named, str) or named not in accepted:
                raise CredentialError(
                    f"document {position} names issuer {issuer_id_of(document)!r}; this issuer key signs for {self.issuer_id}"
                )
        block = self.sender.rpc.request("eth_getBlockByNumber", ["latest", False])
        chain_time = int(block["timestamp"], 16)
        if not self.directory.call("isValidSigningKey", self.signing_key.public.raw, self.institution_id, chain_time):
            raise CredentialError(
                f"signing key {self.signing_key.public.multibase} is not registered to {self.issuer_id} on chain, "
                "or outside its validity window (addSigningKey)"
            )
        if self.sd_key is not None and not self.directory.call(
            "isValidSigningKey", self.sd_key.public.chain_key, self.institution_id, chain_time
        ):
            raise CredentialError(
                f"P-256 key {self.sd_key.public.multibase} is not registered to {self.issuer_id} on chain (its fingerprint, "
                "sha256 of the multikey), or outside its validity window (addSigningKey)"
            )

    def _with_anchor_proof(
        self, document: dict[str, Any], value: bytes, path: list[str], root_hex: str, tx_hash: str, block: int, anchoring_key: str
    ) -> dict[str, Any]:
        proof = {
            "type": ANCHOR_PROOF_TYPE,
            "proofPurpose": "assertionMethod",
            "verificationMethod": anchoring_key,
            "credentialHash": "0x" + value.hex(),
            "merkleRoot": root_hex,
            "merkleProof": path,
            "chainId": self.sender.chain_id,
            "anchorContract": self.anchor.address,
            "transactionHash": tx_hash,
            "blockNumber": block,
        }
        proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
        return {**document, "proof": [*proofs, proof]}

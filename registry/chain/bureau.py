"""The bureau that runs this repository, set up on chain when the service starts.

It issues the repository's certificates: registered as a root institution, accredited for the four
certificate kinds, for status lists and for teachers' contribution statements, with the relayer as
its issuer key (so the platform's one sending key signs certificates too), and an Ed25519 signing
key for the certificates delivered as verifiable credentials — derived from the relayer key, so it
needs no storage of its own. This needs the relayer to be governance, as it is on the embedded chain
and after a first deployment; otherwise governance must do it, and the service says so.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from ledger_service.chain import CERTIFICATE_TYPES, CONTRIBUTION_STATEMENT_TYPE, STATUS_LIST_TYPE, ContractCall, Ledger, dev_signer
from ledger_service.credentials import Ed25519KeyPair

from .contracts import DirectoryContract
from .directory import DEFAULT_ADMIN_ROLE, INSTITUTION_KINDS, institution_id_for

__all__ = ["CERTIFICATE_TYPES", "CONTRIBUTION_STATEMENT_TYPE", "Bureau", "bureau_signing_key", "set_up_bureau"]

log = logging.getLogger("registry.chain")


def bureau_signing_key(ledger: Ledger) -> Ed25519KeyPair:
    """The bureau's credential-signing key, derived from the relayer key (one secret to keep, not two)."""
    return Ed25519KeyPair.from_seed(hashlib.sha256(b"eduledger:bureau-signing-key:" + ledger.sender.signer.private_key_bytes()).digest())


_LEVEL_OF_KIND = {"ministry": "national", "province": "province", "city": "city", "district": "district"}
_GAS = 400_000  # each set-up call uses well under this; explicit, since later calls depend on earlier ones


@dataclass(frozen=True)
class Bureau:
    id: bytes
    name: str
    kind: str
    admin: str | None
    issues_certificates: bool
    signing_key: Ed25519KeyPair | None = None

    @property
    def id_hex(self) -> str:
        return "0x" + self.id.hex()

    @property
    def certificate_level(self) -> str:
        return _LEVEL_OF_KIND[self.kind]


def set_up_bureau(ledger: Ledger, *, name: str, kind: str, admin: str | None) -> Bureau:
    """Make sure the bureau exists on chain as described; idempotent, one block at most."""
    directory = DirectoryContract.of(ledger)
    relayer = ledger.sender.address
    bureau_id = institution_id_for(name)
    if admin is None and ledger.node is not None:
        admin = dev_signer(1).address  # development: a well-known key anyone trying the service can use
    record = directory.institution(bureau_id)
    governance = directory.has_role(DEFAULT_ADMIN_ROLE, relayer)
    calls: list[ContractCall] = []
    tag = f"bureau:{bureau_id.hex()[:16]}"
    if record["kind"] == 0:
        if not governance:
            log.warning(
                "the bureau %r is not registered on chain and the relayer %s is not governance: "
                "certificates cannot be issued until governance registers it (id 0x%s)",
                name,
                relayer,
                bureau_id.hex(),
            )
            return Bureau(bureau_id, name, kind, admin, issues_certificates=False, signing_key=None)
        calls.append(
            directory.register_institution(
                bureau_id, b"\0" * 32, INSTITUTION_KINDS[kind], admin or relayer, key=f"{tag}:register", gas=_GAS
            )
        )
    elif admin is not None and record["admin"] != admin and governance:
        calls.append(directory.set_institution_admin(bureau_id, admin, key=f"{tag}:admin:{admin}:{time.time_ns()}", gas=_GAS))
    now = int(time.time())
    for credential_type in (*CERTIFICATE_TYPES.values(), STATUS_LIST_TYPE, CONTRIBUTION_STATEMENT_TYPE):
        if governance and (record["kind"] == 0 or not directory.is_accredited(bureau_id, credential_type, now)):
            calls.append(directory.accredit(bureau_id, credential_type, key=f"{tag}:accredit:{credential_type.hex()[:8]}:{now}", gas=_GAS))
    signing = bureau_signing_key(ledger)
    if governance and bytes(directory.signing_key(signing.public.raw)["institutionId"]) == b"\0" * 32:
        calls.append(
            directory.add_signing_key(bureau_id, signing.public.raw, key=f"{tag}:signing-key:{signing.public.raw.hex()[:16]}", gas=_GAS)
        )
    key_holder = bytes(directory.issuer_key(relayer)["institutionId"])
    if key_holder == b"\0" * 32 and governance:
        calls.append(directory.add_issuer_key(bureau_id, relayer, key=f"{tag}:issuer-key", gas=_GAS))
    elif key_holder not in (b"\0" * 32, bureau_id):
        log.warning(
            "the relayer %s is an issuer key of another institution (0x%s); it cannot sign this bureau's certificates",
            relayer,
            key_holder.hex(),
        )
    if calls:
        receipts = ledger.sender.wait([entry.tx_hash for entry in ledger.sender.submit(calls)])
        ledger.sender.raise_for_revert(receipts)
        log.info("bureau %r set up on chain (%d transactions)", name, len(calls))
    admin_now = str(directory.institution(bureau_id)["admin"])
    issues = directory.is_authorized_issuer(relayer, bureau_id, CERTIFICATE_TYPES["inclusion"], int(time.time()))
    return Bureau(bureau_id, name, kind, admin_now, issues_certificates=issues, signing_key=signing)

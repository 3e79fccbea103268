"""A small institution tree on chain: ministry → city bureau → school, with an issuer key."""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

from ledger_service.credentials import Ed25519KeyPair
from tests.utils.pyevm import PyEvmSuite

MINISTRY = keccak(b"institution:ministry")
CITY = keccak(b"institution:tianjin-bureau")
SCHOOL = keccak(b"institution:binhai-school-1")
GROWTH_RECORD = keccak(b"EduLedger.GrowthRecord")
INCLUSION = keccak(b"EduLedger.InclusionCertificate")
FAR_FUTURE = 2**63

# The school's Ed25519 credential-signing key (fixed so failures reproduce).
SCHOOL_SIGNING_KEY = Ed25519KeyPair.from_seed(bytes(range(32)))

# Account roles in the tree (indices of py-evm's funded accounts).
GOVERNANCE, MINISTRY_ADMIN, CITY_ADMIN, SCHOOL_ADMIN, ISSUER_KEY, STRANGER = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Tree:
    accredited_at: int


def build_tree(suite: PyEvmSuite, *types: bytes, issuer_from: int = 0, issuer_until: int = FAR_FUTURE) -> Tree:
    """Register the tree, accredit every level for ``types`` (default: growth records) from t=0, and
    give the school an issuer key and its signing key."""
    types = types or (GROWTH_RECORD,)
    return suite.set_up_once(("tree", types, issuer_from, issuer_until), lambda: _build_tree(suite, types, issuer_from, issuer_until))


def _build_tree(suite: PyEvmSuite, types: tuple[bytes, ...], issuer_from: int, issuer_until: int) -> Tree:
    a = suite.signer
    suite.transact("InstitutionRegistry", "registerInstitution", MINISTRY, b"\0" * 32, 1, a(MINISTRY_ADMIN).address)
    suite.transact("InstitutionRegistry", "registerInstitution", CITY, MINISTRY, 3, a(CITY_ADMIN).address, by=MINISTRY_ADMIN)
    suite.transact("InstitutionRegistry", "registerInstitution", SCHOOL, CITY, 5, a(SCHOOL_ADMIN).address, by=CITY_ADMIN)
    for kind in types:
        suite.transact("InstitutionRegistry", "accredit", MINISTRY, kind, 0, FAR_FUTURE)
        suite.transact("InstitutionRegistry", "accredit", CITY, kind, 0, FAR_FUTURE, by=MINISTRY_ADMIN)
        suite.transact("InstitutionRegistry", "accredit", SCHOOL, kind, 0, FAR_FUTURE, by=CITY_ADMIN)
    suite.transact("InstitutionRegistry", "addIssuerKey", SCHOOL, a(ISSUER_KEY).address, issuer_from, issuer_until, by=SCHOOL_ADMIN)
    suite.transact(
        "InstitutionRegistry", "addSigningKey", SCHOOL, SCHOOL_SIGNING_KEY.public.raw, issuer_from, issuer_until, by=SCHOOL_ADMIN
    )
    return Tree(accredited_at=suite.now())

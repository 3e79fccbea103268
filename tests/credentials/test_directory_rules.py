"""The Python mirror of the InstitutionRegistry's judgements (used offline) agrees with the contract, and
the storage layout the offline verifier reads slots by decodes to what the contract's getters return."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from eth_hash.auto import keccak

from ledger_service.chain import StorageLayout, load_artifacts
from ledger_service.credentials import MAX_ACCREDITATION_DEPTH, is_accredited, is_authorized_issuer, is_valid_signing_key
from tests.utils.institutions import FAR_FUTURE, GROWTH_RECORD, ISSUER_KEY, SCHOOL, SCHOOL_ADMIN, SCHOOL_SIGNING_KEY, build_tree
from tests.utils.pyevm import PyEvmSuite


def test_the_mirror_judges_as_the_contract_does(suite: PyEvmSuite) -> None:
    build_tree(suite)
    directory = suite.contracts["InstitutionRegistry"]
    # Under ministry → city → school, a chain one level deeper than the contract follows, each level
    # with its own window (the deepest can be accredited: its parent is still within the limit).
    parent, chain = SCHOOL, []
    for depth in range(MAX_ACCREDITATION_DEPTH - 2):
        child = keccak(f"institution:deep-{depth}".encode())
        suite.transact("InstitutionRegistry", "registerInstitution", child, parent, 5, suite.signer(SCHOOL_ADMIN).address, by=SCHOOL_ADMIN)
        suite.transact("InstitutionRegistry", "accredit", child, GROWTH_RECORD, 100 * depth, FAR_FUTURE - depth, by=SCHOOL_ADMIN)
        chain.append(child)
        parent = child
    suite.transact("InstitutionRegistry", "revokeAccreditation", chain[2], GROWTH_RECORD, 5_000, by=SCHOOL_ADMIN)
    issuer = suite.signer(ISSUER_KEY).address
    suite.transact("InstitutionRegistry", "revokeIssuerKey", issuer, 7_000, by=SCHOOL_ADMIN)
    suite.transact("InstitutionRegistry", "revokeSigningKey", SCHOOL_SIGNING_KEY.public.raw, 6_000, by=SCHOOL_ADMIN)

    def accreditation(institution: bytes, kind: bytes) -> dict[str, object]:
        return dict(directory.call("accreditation", institution, kind))

    def issuer_key(key: str) -> dict[str, object]:
        return dict(directory.call("issuerKey", key))

    def signing_key(key: bytes) -> dict[str, object]:
        return dict(directory.call("signingKey", key))

    times = [0, 99, 100, 250, 4_999, 5_000, 6_999, 7_000, FAR_FUTURE - 11, FAR_FUTURE - 1]
    agreed = 0
    for institution, at in itertools.product([SCHOOL, *chain, keccak(b"nobody")], times):
        assert is_accredited(accreditation, institution, GROWTH_RECORD, at) == directory.call(
            "isAccredited", institution, GROWTH_RECORD, at
        ), (institution.hex(), at)
        agreed += 1
    for institution, at in itertools.product([SCHOOL, chain[0], bytes(32)], times):
        assert is_authorized_issuer(issuer_key, accreditation, issuer, institution, GROWTH_RECORD, at) == directory.call(
            "isAuthorizedIssuer", issuer, institution, GROWTH_RECORD, at
        )
        assert is_valid_signing_key(signing_key, SCHOOL_SIGNING_KEY.public.raw, institution, at) == directory.call(
            "isValidSigningKey", SCHOOL_SIGNING_KEY.public.raw, institution, at
        )
    deep = chain[-1]
    assert not directory.call("isAccredited", deep, GROWTH_RECORD, 300), "the contract stops at its depth limit"
    assert agreed == (len(chain) + 2) * len(times)


def test_the_storage_layout_reads_what_the_contracts_getters_return(suite: PyEvmSuite) -> None:
    """Slots come from the compiler's layout; read raw from py-evm's state they decode to the getters' answers."""
    build_tree(suite)
    directory = suite.contracts["InstitutionRegistry"]
    layout = StorageLayout.of(load_artifacts()["InstitutionRegistry"])
    state = suite.tester.backend.chain.get_vm().state

    def word(slot: int) -> int:
        return int(state.get_storage(bytes.fromhex(directory.address[2:]), slot))

    issuer = suite.signer(ISSUER_KEY).address
    cases: list[tuple[str, tuple[Any, ...], str, tuple[Any, ...]]] = [
        ("_issuerKeys", (issuer,), "issuerKey", (issuer,)),
        ("_accreditations", (SCHOOL, GROWTH_RECORD), "accreditation", (SCHOOL, GROWTH_RECORD)),
        ("_signingKeys", (SCHOOL_SIGNING_KEY.public.raw,), "signingKey", (SCHOOL_SIGNING_KEY.public.raw,)),
    ]
    for variable, layout_keys, getter, args in cases:
        slot, type_id = layout.locate(variable, *layout_keys)
        assert layout.decode(slot, type_id, word) == dict(directory.call(getter, *args)), variable
    with pytest.raises(ValueError):
        layout.locate("_issuerKeys", issuer, issuer)

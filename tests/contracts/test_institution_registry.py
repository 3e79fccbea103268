"""InstitutionRegistry: the tree, accreditation windows, issuer keys, and who may change them."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ledger_service import AlreadyExistsError, InvalidArgumentError, InvalidStateError, NotFoundError, UnauthorizedError
from tests.utils.institutions import (
    CITY,
    CITY_ADMIN,
    FAR_FUTURE,
    GROWTH_RECORD,
    ISSUER_KEY,
    MINISTRY,
    MINISTRY_ADMIN,
    SCHOOL,
    SCHOOL_ADMIN,
    SCHOOL_SIGNING_KEY,
    STRANGER,
    build_tree,
)
from tests.utils.pyevm import PyEvmSuite

ZERO = b"\0" * 32
OTHER_TYPE = keccak(b"EduLedger.TeacherDevelopmentRecord")


def authorized(suite: PyEvmSuite, key_index: int, institution: bytes, kind: bytes, at: int) -> bool:
    return bool(suite.call("InstitutionRegistry", "isAuthorizedIssuer", suite.signer(key_index).address, institution, kind, at))


def test_tree_records_parents_kinds_and_admins(suite: PyEvmSuite) -> None:
    build_tree(suite)
    school = suite.call("InstitutionRegistry", "institution", SCHOOL)
    assert school["parentId"] == CITY
    assert school["kind"] == 5
    assert school["admin"] == suite.signer(SCHOOL_ADMIN).address
    assert suite.call("InstitutionRegistry", "institution", MINISTRY)["parentId"] == ZERO


def test_registering_events_are_emitted(suite: PyEvmSuite) -> None:
    receipt = suite.transact("InstitutionRegistry", "registerInstitution", MINISTRY, ZERO, 1, suite.signer(MINISTRY_ADMIN).address)
    (event,) = suite.contracts["InstitutionRegistry"].decode_logs(receipt.logs)
    assert event.name == "InstitutionRegistered"
    assert event.args == {"institutionId": MINISTRY, "parentId": ZERO, "kind": 1, "admin": suite.signer(MINISTRY_ADMIN).address}


def test_only_governance_registers_roots(suite: PyEvmSuite) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        suite.transact("InstitutionRegistry", "registerInstitution", MINISTRY, ZERO, 1, suite.signer(1).address, by=STRANGER)
    assert caught.value.error_name == "AccessControlUnauthorizedAccount"
    assert caught.value.arguments["account"] == suite.signer(STRANGER).address


def test_only_a_parent_admin_registers_children(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(UnauthorizedError) as caught:
        suite.transact("InstitutionRegistry", "registerInstitution", keccak(b"x"), CITY, 5, suite.signer(6).address, by=SCHOOL_ADMIN)
    assert caught.value.error_name == "InstitutionRegistryUnauthorizedAccount"
    assert caught.value.arguments == {"account": suite.signer(SCHOOL_ADMIN).address, "institutionId": CITY}


def test_duplicate_and_malformed_institutions_are_refused(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(AlreadyExistsError):
        suite.transact("InstitutionRegistry", "registerInstitution", SCHOOL, CITY, 5, suite.signer(6).address, by=CITY_ADMIN)
    with pytest.raises(InvalidArgumentError):
        suite.transact("InstitutionRegistry", "registerInstitution", keccak(b"y"), CITY, 0, suite.signer(6).address, by=CITY_ADMIN)
    with pytest.raises(NotFoundError):
        suite.transact("InstitutionRegistry", "registerInstitution", keccak(b"z"), keccak(b"missing"), 5, suite.signer(6).address)


def test_accreditation_follows_the_chain_of_accreditors(suite: PyEvmSuite) -> None:
    build_tree(suite)
    now = suite.now()
    assert suite.call("InstitutionRegistry", "isAccredited", SCHOOL, GROWTH_RECORD, now)
    assert not suite.call("InstitutionRegistry", "isAccredited", SCHOOL, OTHER_TYPE, now)
    # The city loses the type from `cut` on: its school loses it from then, not before.
    cut = now + 1000
    suite.transact("InstitutionRegistry", "revokeAccreditation", CITY, GROWTH_RECORD, cut, by=MINISTRY_ADMIN)
    assert suite.call("InstitutionRegistry", "isAccredited", SCHOOL, GROWTH_RECORD, cut - 1)
    assert not suite.call("InstitutionRegistry", "isAccredited", SCHOOL, GROWTH_RECORD, cut)


def test_a_parent_cannot_pass_on_a_type_it_lacks(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(InvalidStateError) as caught:
        suite.transact("InstitutionRegistry", "accredit", SCHOOL, OTHER_TYPE, 0, FAR_FUTURE, by=CITY_ADMIN)
    assert caught.value.error_name == "InstitutionRegistryParentNotAccredited"


def test_accreditation_needs_a_non_empty_window_and_the_right_admin(suite: PyEvmSuite) -> None:
    build_tree(suite)
    with pytest.raises(InvalidArgumentError):
        suite.transact("InstitutionRegistry", "accredit", SCHOOL, GROWTH_RECORD, 100, 100, by=CITY_ADMIN)
    with pytest.raises(UnauthorizedError):
        suite.transact("InstitutionRegistry", "accredit", SCHOOL, GROWTH_RECORD, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    with pytest.raises(UnauthorizedError):
        suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, GROWTH_RECORD, 0, by=STRANGER)


def test_revoking_twice_is_refused(suite: PyEvmSuite) -> None:
    build_tree(suite)
    suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, GROWTH_RECORD, suite.now(), by=CITY_ADMIN)
    with pytest.raises(AlreadyExistsError):
        suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, GROWTH_RECORD, suite.now(), by=CITY_ADMIN)
    with pytest.raises(InvalidStateError):
        suite.transact("InstitutionRegistry", "revokeAccreditation", SCHOOL, OTHER_TYPE, suite.now(), by=CITY_ADMIN)


def test_issuer_key_is_judged_by_its_window(suite: PyEvmSuite) -> None:
    start = suite.now() + 100
    build_tree(suite, issuer_from=start, issuer_until=start + 1000)
    assert not authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, start - 1)
    assert authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, start)
    assert authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, start + 999)
    assert not authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, start + 1000)
    assert not authorized(suite, ISSUER_KEY, CITY, GROWTH_RECORD, start + 1), "a key counts for its own institution only"
    assert not authorized(suite, ISSUER_KEY, SCHOOL, OTHER_TYPE, start + 1), "only for accredited types"


def test_revoking_a_key_keeps_its_past(suite: PyEvmSuite) -> None:
    build_tree(suite)
    key = suite.signer(ISSUER_KEY).address
    registry = "InstitutionRegistry"
    issuer_role = suite.call(registry, "ISSUER_ROLE")
    assert suite.call(registry, "hasRole", issuer_role, key)
    revoked_from = suite.now() + 10
    receipt = suite.transact(registry, "revokeIssuerKey", key, revoked_from, by=SCHOOL_ADMIN)
    assert [e.name for e in suite.contracts[registry].decode_logs(receipt.logs)] == ["RoleRevoked", "IssuerKeyRevoked"]
    assert authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, revoked_from - 1)
    assert not authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, revoked_from)
    assert not suite.call(registry, "hasRole", issuer_role, key)
    with pytest.raises(AlreadyExistsError):
        suite.transact(registry, "revokeIssuerKey", key, revoked_from, by=SCHOOL_ADMIN)


def test_issuer_keys_belong_to_one_institution_for_ever(suite: PyEvmSuite) -> None:
    build_tree(suite)
    key = suite.signer(ISSUER_KEY).address
    with pytest.raises(AlreadyExistsError) as caught:
        suite.transact("InstitutionRegistry", "addIssuerKey", CITY, key, 0, FAR_FUTURE, by=CITY_ADMIN)
    assert caught.value.arguments == {"key": key, "institutionId": SCHOOL}
    with pytest.raises(UnauthorizedError):
        suite.transact("InstitutionRegistry", "addIssuerKey", CITY, suite.signer(7).address, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    with pytest.raises(NotFoundError):
        suite.transact("InstitutionRegistry", "revokeIssuerKey", suite.signer(8).address, 0, by=SCHOOL_ADMIN)


def test_admin_rotation_moves_the_right_to_act(suite: PyEvmSuite) -> None:
    build_tree(suite)
    new_admin = suite.signer(6).address
    suite.transact("InstitutionRegistry", "setInstitutionAdmin", SCHOOL, new_admin, by=SCHOOL_ADMIN)
    assert suite.call("InstitutionRegistry", "institution", SCHOOL)["admin"] == new_admin
    with pytest.raises(UnauthorizedError):
        suite.transact("InstitutionRegistry", "addIssuerKey", SCHOOL, suite.signer(7).address, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    suite.transact("InstitutionRegistry", "addIssuerKey", SCHOOL, suite.signer(7).address, 0, FAR_FUTURE, by=6)


def test_signing_keys_are_judged_by_window_institution_and_revocation(suite: PyEvmSuite) -> None:
    build_tree(suite)
    registry = "InstitutionRegistry"
    public_key = bytes(range(32))
    start = suite.now() + 100
    receipt = suite.transact(registry, "addSigningKey", SCHOOL, public_key, start, start + 1000, by=SCHOOL_ADMIN)
    (event,) = suite.contracts[registry].decode_logs(receipt.logs)
    assert event.name == "SigningKeyAdded"
    assert event.args == {"institutionId": SCHOOL, "publicKey": public_key, "validFrom": start, "validUntil": start + 1000}

    def valid(institution: bytes, at: int) -> bool:
        return bool(suite.call(registry, "isValidSigningKey", public_key, institution, at))

    assert not valid(SCHOOL, start - 1)
    assert valid(SCHOOL, start) and valid(SCHOOL, start + 999)
    assert not valid(SCHOOL, start + 1000)
    assert not valid(CITY, start + 1), "a key counts for its own institution only"
    receipt = suite.transact(registry, "revokeSigningKey", public_key, start + 500, by=CITY_ADMIN)
    assert [e.name for e in suite.contracts[registry].decode_logs(receipt.logs)] == ["SigningKeyRevoked"]
    assert valid(SCHOOL, start + 499), "signatures from before the revocation keep verifying"
    assert not valid(SCHOOL, start + 500)
    assert suite.call(registry, "signingKey", public_key)["revokedFrom"] == start + 500
    with pytest.raises(AlreadyExistsError):
        suite.transact(registry, "revokeSigningKey", public_key, start + 600, by=SCHOOL_ADMIN)


def test_signing_key_refusals(suite: PyEvmSuite) -> None:
    build_tree(suite)
    registry = "InstitutionRegistry"
    public_key = b"\x07" * 32
    suite.transact(registry, "addSigningKey", SCHOOL, public_key, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    with pytest.raises(AlreadyExistsError) as caught:
        suite.transact(registry, "addSigningKey", CITY, public_key, 0, FAR_FUTURE, by=CITY_ADMIN)
    assert caught.value.arguments == {"publicKey": public_key, "institutionId": SCHOOL}
    with pytest.raises(UnauthorizedError):
        suite.transact(registry, "addSigningKey", CITY, b"\x08" * 32, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    with pytest.raises(UnauthorizedError):
        suite.transact(registry, "revokeSigningKey", public_key, 0, by=STRANGER)
    with pytest.raises(InvalidArgumentError):
        suite.transact(registry, "addSigningKey", SCHOOL, b"\x09" * 32, 10, 10, by=SCHOOL_ADMIN)
    with pytest.raises(NotFoundError):
        suite.transact(registry, "addSigningKey", SCHOOL, ZERO, 0, FAR_FUTURE, by=SCHOOL_ADMIN)
    with pytest.raises(NotFoundError):
        suite.transact(registry, "revokeSigningKey", b"\x0a" * 32, 0, by=SCHOOL_ADMIN)


@pytest.mark.parametrize("function", ["revokeIssuerKey", "revokeSigningKey", "revokeAccreditation"])
def test_a_revocation_from_time_zero_is_refused_and_changes_nothing(suite: PyEvmSuite, function: str) -> None:
    """Zero is how the registry records "not revoked": revoking "from 0" used to emit a revocation
    and leave the grant valid (issue 10, item 13)."""
    build_tree(suite)
    registry = "InstitutionRegistry"
    target: tuple[object, ...] = {
        "revokeIssuerKey": (suite.signer(ISSUER_KEY).address,),
        "revokeSigningKey": (SCHOOL_SIGNING_KEY.public.raw,),
        "revokeAccreditation": (SCHOOL, GROWTH_RECORD),
    }[function]
    by = CITY_ADMIN if function == "revokeAccreditation" else SCHOOL_ADMIN
    now = suite.now()

    def still_valid(at: int) -> bool:
        if function == "revokeSigningKey":
            return bool(suite.call(registry, "isValidSigningKey", SCHOOL_SIGNING_KEY.public.raw, SCHOOL, at))
        return authorized(suite, ISSUER_KEY, SCHOOL, GROWTH_RECORD, at)

    with pytest.raises(InvalidArgumentError) as caught:
        suite.transact(registry, function, *target, 0, by=by)
    assert caught.value.error_name == "InstitutionRegistryInvalidRevocationTime"
    assert caught.value.arguments == {"revokedFrom": 0}
    assert still_valid(now + 1)
    receipt = suite.transact(registry, function, *target, now + 10, by=by)  # a real revocation still works
    assert suite.contracts[registry].decode_logs(receipt.logs)[-1].name.endswith("Revoked")
    assert still_valid(now + 9) and not still_valid(now + 10)

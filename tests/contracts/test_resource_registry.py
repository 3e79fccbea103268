"""ResourceRegistry: signed registration relayed by the registrar, every revert path, versions, transfers, status."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger_service import (
    DuplicateContentError,
    ExpiredSignatureError,
    InvalidArgumentError,
    InvalidSharesError,
    InvalidSignatureError,
    InvalidStateError,
    NonceReplayError,
    NotFoundError,
    UnauthorizedError,
)
from ledger_service.chain import AuthorshipConfirmation, RightsTransfer
from tests.utils.pyevm import PyEvmSuite, make_registration, sign

TEACHER, CO_AUTHOR, OTHER, STRANGER = 1, 2, 3, 5
REGISTERED, INCLUDED, WITHDRAWN, SUPERSEDED = 1, 2, 3, 4


def register(suite: PyEvmSuite, registration, signature: bytes, *, by: int = 0):  # type: ignore[no-untyped-def]
    return suite.transact("ResourceRegistry", "register", registration.as_abi_tuple(), signature, by=by)


def test_python_digest_matches_the_contract_and_eth_account(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher, co_authors=[(suite.signer(CO_AUTHOR), 4000)], share=6000)
    ours = suite.domain().digest(registration.struct_hash())
    assert suite.call("ResourceRegistry", "hashRegistration", registration.as_abi_tuple()) == ours
    # eth-account's EIP-712 encoder is an independent implementation of the same standard.
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Registration": [
                {"name": "contentHash", "type": "bytes32"},
                {"name": "cid", "type": "string"},
                {"name": "metadataHash", "type": "bytes32"},
                {"name": "authors", "type": "address[]"},
                {"name": "shares", "type": "uint16[]"},
                {"name": "licence", "type": "string"},
                {"name": "predecessor", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Registration",
        "domain": {
            "name": "EduLedger ResourceRegistry",
            "version": "1",
            "chainId": suite.chain_id,
            "verifyingContract": suite.contracts["ResourceRegistry"].address,
        },
        "message": {
            "contentHash": registration.content_hash,
            "cid": registration.cid,
            "metadataHash": registration.metadata_hash,
            "authors": list(registration.authors),
            "shares": list(registration.shares),
            "licence": registration.licence,
            "predecessor": registration.predecessor,
            "nonce": registration.nonce,
            "deadline": registration.deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), teacher.private_key_bytes())
    assert signed.signature == sign(suite, teacher, registration)


def test_register_records_authors_shares_and_licence(suite: PyEvmSuite) -> None:
    teacher, co_author = suite.signer(TEACHER), suite.signer(CO_AUTHOR)
    registration = make_registration(suite, teacher, co_authors=[(co_author, 2500)], share=7500)
    receipt = register(suite, registration, sign(suite, teacher, registration))
    registered, offered = suite.contracts["ResourceRegistry"].decode_logs(receipt.logs)
    assert registered.name == "ResourceRegistered"
    assert registered.args == {
        "resourceId": 1,
        "contentHash": registration.content_hash,
        "registrant": teacher.address,
        "predecessor": 0,
    }
    assert (offered.name, offered.args) == ("AuthorshipOffered", {"resourceId": 1, "author": co_author.address, "share": 2500})
    record = suite.call("ResourceRegistry", "resource", 1)
    assert record["cid"] == registration.cid
    assert record["licence"] == "CC-BY-NC-4.0"
    assert record["status"] == REGISTERED
    # The co-author is only offered a share until they confirm it themselves.
    assert suite.call("ResourceRegistry", "rightsHolders", 1) == ([teacher.address], [7500])
    assert suite.call("ResourceRegistry", "pendingAuthors", 1) == ([co_author.address], [2500])
    assert suite.call("ResourceRegistry", "resourceIdByContent", registration.content_hash) == 1
    assert suite.call("ResourceRegistry", "nonces", teacher.address) == 1


def confirmation(suite: PyEvmSuite, registration, author: int, share: int, *, deadline: int | None = None) -> AuthorshipConfirmation:  # type: ignore[no-untyped-def]
    return AuthorshipConfirmation(
        content_hash=registration.content_hash,
        author=suite.signer(author).address,
        share=share,
        deadline=suite.now() + 3600 if deadline is None else deadline,
    )


def confirm(suite: PyEvmSuite, request: AuthorshipConfirmation, *, signer: int | None = None, by: int = 0):  # type: ignore[no-untyped-def]
    key = (
        suite.signer(signer)
        if signer is not None
        else next(suite.signer(i) for i in range(10) if suite.signer(i).address == request.author)
    )
    signature = key.sign_digest(suite.domain().digest(request.struct_hash()))
    return suite.transact(
        "ResourceRegistry", "confirmAuthorship", request.content_hash, request.author, request.share, request.deadline, signature, by=by
    )


def test_a_co_author_holds_a_share_once_they_confirm_it(suite: PyEvmSuite) -> None:
    teacher, co_author, other = suite.signer(TEACHER), suite.signer(CO_AUTHOR), suite.signer(OTHER)
    registration = make_registration(suite, teacher, co_authors=[(co_author, 2500), (other, 1)], share=7499)
    register(suite, registration, sign(suite, teacher, registration))
    request = confirmation(suite, registration, CO_AUTHOR, 2500)
    ours = suite.domain().digest(request.struct_hash())
    assert (
        suite.call("ResourceRegistry", "hashAuthorshipConfirmation", request.content_hash, request.author, 2500, request.deadline) == ours
    )
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "AuthorshipConfirmation": [
                {"name": "contentHash", "type": "bytes32"},
                {"name": "author", "type": "address"},
                {"name": "share", "type": "uint16"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "AuthorshipConfirmation",
        "domain": {
            "name": "EduLedger ResourceRegistry",
            "version": "1",
            "chainId": suite.chain_id,
            "verifyingContract": suite.contracts["ResourceRegistry"].address,
        },
        "message": {"contentHash": request.content_hash, "author": request.author, "share": 2500, "deadline": request.deadline},
    }
    assert Account.sign_message(encode_typed_data(full_message=typed), co_author.private_key_bytes()).signature == co_author.sign_digest(
        ours
    ), "eth-account's independent EIP-712 encoder agrees"
    # Someone else's signature, another share, a lapsed deadline, a stranger or the relayer's absence: refused.
    with pytest.raises(InvalidSignatureError):
        confirm(suite, request, signer=TEACHER)
    with pytest.raises(InvalidStateError) as caught:
        confirm(suite, confirmation(suite, registration, CO_AUTHOR, 5000))
    assert caught.value.arguments == {"resourceId": 1, "account": co_author.address, "offered": 2500}
    with pytest.raises(ExpiredSignatureError):
        confirm(suite, confirmation(suite, registration, CO_AUTHOR, 2500, deadline=suite.now() - 1))
    with pytest.raises(InvalidStateError):
        confirm(suite, confirmation(suite, registration, STRANGER, 2500))
    with pytest.raises(UnauthorizedError):
        confirm(suite, request, by=CO_AUTHOR)
    with pytest.raises(NotFoundError):
        confirm(suite, AuthorshipConfirmation(b"\x07" * 32, co_author.address, 2500, suite.now() + 60))
    receipt = confirm(suite, request)
    (event,) = suite.contracts["ResourceRegistry"].decode_logs(receipt.logs)
    assert (event.name, event.args) == ("AuthorshipConfirmed", {"resourceId": 1, "author": co_author.address, "share": 2500})
    assert suite.call("ResourceRegistry", "rightsHolders", 1) == ([teacher.address, co_author.address], [7499, 2500])
    assert suite.call("ResourceRegistry", "pendingAuthors", 1) == ([other.address], [1])
    with pytest.raises(InvalidStateError):
        confirm(suite, request)  # once only
    # An unconfirmed co-author holds nothing to transfer.
    with pytest.raises(UnauthorizedError):
        transfer(suite, OTHER, STRANGER, 1)


def test_only_the_registrar_relays(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    with pytest.raises(UnauthorizedError) as caught:
        register(suite, registration, sign(suite, teacher, registration), by=TEACHER)
    assert caught.value.error_name == "DirectoryUnauthorizedAccount"


def test_a_signature_by_anyone_else_is_refused(suite: PyEvmSuite) -> None:
    teacher, impostor = suite.signer(TEACHER), suite.signer(OTHER)
    registration = make_registration(suite, teacher)
    with pytest.raises(InvalidSignatureError) as caught:
        register(suite, registration, sign(suite, impostor, registration))
    assert caught.value.arguments == {"signer": impostor.address, "expected": teacher.address}
    with pytest.raises(InvalidSignatureError):
        register(suite, registration, b"\x01" * 65)
    with pytest.raises(InvalidSignatureError):
        register(suite, registration, b"short")


def test_a_signature_does_not_cover_changed_fields(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    signature = sign(suite, teacher, registration)
    tampered = make_registration(suite, teacher, licence="All rights reserved")
    with pytest.raises(InvalidSignatureError):
        register(suite, tampered, signature)


def test_a_replayed_nonce_is_refused(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    first = make_registration(suite, teacher, content="a")
    register(suite, first, sign(suite, teacher, first))
    replay = make_registration(suite, teacher, content="b", nonce=0)
    with pytest.raises(NonceReplayError) as caught:
        register(suite, replay, sign(suite, teacher, replay))
    assert caught.value.arguments == {"account": teacher.address, "currentNonce": 1}


def test_an_expired_deadline_is_refused(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher, deadline=suite.now() - 1)
    with pytest.raises(ExpiredSignatureError) as caught:
        register(suite, registration, sign(suite, teacher, registration))
    assert caught.value.arguments == {"deadline": registration.deadline}


@pytest.mark.parametrize(
    ("share", "co_share"),
    [(5000, 4000), (9000, 2000), (10_000, 0)],
    ids=["sum-9000", "sum-11000", "zero-share"],
)
def test_shares_must_sum_to_10000(suite: PyEvmSuite, share: int, co_share: int) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher, share=share, co_authors=[(suite.signer(CO_AUTHOR), co_share)])
    with pytest.raises(InvalidSharesError) as caught:
        register(suite, registration, sign(suite, teacher, registration))
    assert caught.value.arguments == {"total": share + co_share}


def test_an_author_listed_twice_is_refused(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher, share=5000, co_authors=[(teacher, 5000)])
    with pytest.raises(InvalidSharesError):
        register(suite, registration, sign(suite, teacher, registration))


def test_identical_content_is_refused_naming_the_first_registration(suite: PyEvmSuite) -> None:
    teacher, copier = suite.signer(TEACHER), suite.signer(OTHER)
    original = make_registration(suite, teacher, content="shared lesson")
    register(suite, original, sign(suite, teacher, original))
    copy = make_registration(suite, copier, content="shared lesson")
    with pytest.raises(DuplicateContentError) as caught:
        register(suite, copy, sign(suite, copier, copy))
    assert caught.value.arguments == {
        "contentHash": original.content_hash,
        "resourceId": 1,
        "registrant": teacher.address,
    }
    assert "resourceId=1" in str(caught.value)


def test_empty_content_is_refused(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    blank = type(registration)(**{**registration.__dict__, "cid": ""})
    with pytest.raises(InvalidArgumentError):
        register(suite, blank, sign(suite, teacher, blank))


def test_a_new_version_links_to_its_predecessor(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    v1 = make_registration(suite, teacher, content="v1")
    register(suite, v1, sign(suite, teacher, v1))
    v2 = make_registration(suite, teacher, content="v2", predecessor=1)
    register(suite, v2, sign(suite, teacher, v2))
    assert suite.call("ResourceRegistry", "resource", 2)["predecessor"] == 1
    # Only the lead author of the predecessor publishes its next version; a confirmed co-author does not.
    outsider = suite.signer(OTHER)
    v3 = make_registration(suite, outsider, content="v3", predecessor=1)
    with pytest.raises(UnauthorizedError) as caught:
        register(suite, v3, sign(suite, outsider, v3))
    assert caught.value.arguments == {"resourceId": 1, "account": outsider.address, "leadAuthor": teacher.address}
    co_author = suite.signer(CO_AUTHOR)
    shared = make_registration(suite, teacher, content="shared", co_authors=[(co_author, 1)], share=9999)
    register(suite, shared, sign(suite, teacher, shared))
    confirm(suite, confirmation(suite, shared, CO_AUTHOR, 1))
    takeover = make_registration(suite, co_author, content="takeover", predecessor=3)
    with pytest.raises(UnauthorizedError):
        register(suite, takeover, sign(suite, co_author, takeover))
    ghost = make_registration(suite, teacher, content="v4", predecessor=99)
    with pytest.raises(NotFoundError):
        register(suite, ghost, sign(suite, teacher, ghost))


def transfer(suite: PyEvmSuite, by: int, to: int, share: int, *, signer: int | None = None, deadline_offset: int = 3600):  # type: ignore[no-untyped-def]
    holder = suite.signer(by)
    request = RightsTransfer(
        resource_id=1,
        from_=holder.address,
        to=suite.signer(to).address,
        share=share,
        nonce=suite.call("ResourceRegistry", "nonces", holder.address),
        deadline=suite.now() + deadline_offset,
    )
    signature = suite.signer(by if signer is None else signer).sign_digest(suite.domain().digest(request.struct_hash()))
    return suite.transact(
        "ResourceRegistry", "transferRights", 1, request.from_, request.to, share, request.nonce, request.deadline, signature
    )


def test_rights_transfer_needs_the_holders_signature(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    register(suite, registration, sign(suite, teacher, registration))
    receipt = transfer(suite, TEACHER, CO_AUTHOR, 3000)
    assert suite.contracts["ResourceRegistry"].decode_logs(receipt.logs)[0].name == "RightsTransferred"
    assert suite.call("ResourceRegistry", "rightsHolders", 1) == (
        [teacher.address, suite.signer(CO_AUTHOR).address],
        [7000, 3000],
    )
    with pytest.raises(InvalidSignatureError):
        transfer(suite, TEACHER, OTHER, 1000, signer=OTHER)
    with pytest.raises(UnauthorizedError):
        transfer(suite, TEACHER, OTHER, 8000)  # holds only 7000
    with pytest.raises(ExpiredSignatureError):
        transfer(suite, TEACHER, OTHER, 1000, deadline_offset=-10)
    transfer(suite, CO_AUTHOR, OTHER, 3000)  # a full transfer removes the holder
    assert suite.call("ResourceRegistry", "rightsHolders", 1) == (
        [teacher.address, suite.signer(OTHER).address],
        [7000, 3000],
    )


def test_status_changes_follow_the_lifecycle(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    register(suite, registration, sign(suite, teacher, registration))
    receipt = suite.transact("ResourceRegistry", "setStatus", 1, INCLUDED, 0)
    (event,) = suite.contracts["ResourceRegistry"].decode_logs(receipt.logs)
    assert event.args == {"resourceId": 1, "from": REGISTERED, "to": INCLUDED, "reasonCode": 0}
    suite.transact("ResourceRegistry", "setStatus", 1, WITHDRAWN, 2)
    with pytest.raises(InvalidStateError) as caught:
        suite.transact("ResourceRegistry", "setStatus", 1, SUPERSEDED, 0)
    assert caught.value.arguments == {"resourceId": 1, "from": WITHDRAWN, "to": SUPERSEDED}
    with pytest.raises(UnauthorizedError):
        suite.transact("ResourceRegistry", "setStatus", 1, INCLUDED, 0, by=TEACHER)
    with pytest.raises(NotFoundError):
        suite.transact("ResourceRegistry", "setStatus", 7, INCLUDED, 0)


def test_decision_hashes_are_recorded_for_existing_resources_only(suite: PyEvmSuite) -> None:
    teacher = suite.signer(TEACHER)
    registration = make_registration(suite, teacher)
    register(suite, registration, sign(suite, teacher, registration))
    first, second = b"\x01" * 32, b"\x02" * 32
    receipt = suite.transact("ResourceRegistry", "recordDecisions", [1, 1], [first, second])
    events = suite.contracts["ResourceRegistry"].decode_logs(receipt.logs)
    assert [(e.name, e.args) for e in events] == [
        ("DecisionRecorded", {"resourceId": 1, "decisionHash": first}),
        ("DecisionRecorded", {"resourceId": 1, "decisionHash": second}),
    ]
    with pytest.raises(InvalidArgumentError) as caught:
        suite.transact("ResourceRegistry", "recordDecisions", [1, 1], [first])
    assert caught.value.arguments == {"resourceCount": 2, "hashCount": 1}
    with pytest.raises(InvalidArgumentError):
        suite.transact("ResourceRegistry", "recordDecisions", [1], [b"\0" * 32])
    with pytest.raises(NotFoundError):
        suite.transact("ResourceRegistry", "recordDecisions", [1, 9], [first, second])
    with pytest.raises(UnauthorizedError):
        suite.transact("ResourceRegistry", "recordDecisions", [1], [first], by=TEACHER)

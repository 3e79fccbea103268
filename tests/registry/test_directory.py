"""The Directory keeps the chain's role answers until the chain logs a change in the
InstitutionRegistry; a read racing such a log is not kept; a node that stops answering leaves the
last answer standing (and grants nothing to an account never asked about)."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address

from ledger_service import ChainUnavailableError
from registry.chain.directory import REVIEWER_ROLE, Directory

REGISTRY = "0x" + "11" * 20
BUREAU = b"\x22" * 32
ALICE = "0x" + "aa" * 20
BOB = "0x" + "bb" * 20


class FakeRegistry:
    """The two calls Directory makes, answered from dictionaries; counts how often it is asked."""

    def __init__(self) -> None:
        self.address = REGISTRY
        self.reviewers: set[str] = set()
        self.admin = "0x" + "cc" * 20
        self.calls = 0
        self.down = False
        self.during_call: Any = None

    def call(self, function: str, *args: Any) -> Any:
        if self.down:
            raise ChainUnavailableError("the node does not answer")
        self.calls += 1
        if self.during_call is not None:
            self.during_call()
        if function == "hasRole":
            assert args[0] == REVIEWER_ROLE
            return args[1].lower() in self.reviewers
        assert function == "institution" and args[0] == BUREAU
        return {"kind": 3, "admin": to_checksum_address(self.admin)}


class FakeLedger:
    def __init__(self) -> None:
        self.contracts = {"InstitutionRegistry": FakeRegistry()}


def directory() -> tuple[Directory, FakeRegistry]:
    ledger = FakeLedger()
    return Directory(ledger, BUREAU), ledger.contracts["InstitutionRegistry"]  # type: ignore[arg-type]


def log_of(address: str) -> dict[str, Any]:
    return {"address": address, "topics": ["0x" + "00" * 32], "blockNumber": "0x5", "data": "0x"}


def test_answers_are_kept_until_the_institution_registry_logs_something() -> None:
    roles, chain = directory()
    chain.reviewers.add(ALICE)
    assert roles.chain_roles(ALICE) == {"reviewer"}
    asked = chain.calls
    assert roles.chain_roles(ALICE) == {"reviewer"} and chain.calls == asked, "kept"
    chain.reviewers.clear()
    roles.on_blocks(5, 5, [log_of("0x" + "99" * 20)])  # another contract's log changes no role
    assert roles.chain_roles(ALICE) == {"reviewer"}
    roles.on_blocks(6, 6, [log_of(REGISTRY.upper().replace("0X", "0x"))])
    assert roles.chain_roles(ALICE) == frozenset(), "a registry log drops what was kept"
    chain.reviewers.add(ALICE)
    roles.on_blocks(7, 7, None)  # logs unknown: everything is dropped
    assert roles.chain_roles(ALICE) == {"reviewer"}


def test_a_read_racing_a_change_is_not_kept() -> None:
    roles, chain = directory()
    chain.reviewers.add(ALICE)
    chain.during_call = lambda: roles.forget()  # the role changes while the chain is being read
    roles.chain_roles(ALICE)
    chain.during_call = None
    asked = chain.calls
    roles.chain_roles(ALICE)
    assert chain.calls > asked, "the racing answer was not kept"


def test_answers_age_out() -> None:
    roles, chain = directory()
    roles.max_age = 0.0
    roles.chain_roles(BOB)
    asked = chain.calls
    roles.chain_roles(BOB)
    assert chain.calls > asked


def test_without_the_node_the_last_answer_stands_and_strangers_get_nothing() -> None:
    roles, chain = directory()
    chain.reviewers.add(ALICE)
    chain.admin = BOB
    assert roles.chain_roles(ALICE) == {"reviewer"} and roles.chain_roles(BOB) == {"admin"}
    roles.max_age = 0.0
    chain.down = True
    assert roles.chain_roles(ALICE) == {"reviewer"}
    assert roles.chain_roles("0x" + "dd" * 20) == frozenset()
    roles.forget()  # a change was seen before the node went away: the old answer is no longer current
    assert roles.chain_roles(BOB) == frozenset()

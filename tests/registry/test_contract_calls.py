"""Issue 11: the registry calls contract functions through typed wrappers (registry/chain/contracts.py),
each checked here against the compiled ABI — name, arity and argument types are encoded for real — so a
contract that renames or reshapes a function fails this test, not the first transaction."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from ledger_service.chain import BoundContract, ContractCall, load_artifacts
from registry.chain import contracts

ADDRESS = "0x" + "12" * 20
WRAPPERS = [contracts.DirectoryContract, contracts.ResourceContract, contracts.CertificateContract]
SAMPLES: dict[Any, Any] = {bytes: b"\x01" * 32, int: 1, str: ADDRESS, list[int]: [1, 2], list[bytes]: [b"\x02" * 32] * 2}


class ZeroRpc:
    """Answers every view with zeros, long enough for any of the outputs used here."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def request(self, method: str, params: list[Any]) -> str:
        assert method == "eth_call"
        self.calls.append(params[0]["data"][:10])
        return "0x" + "00" * 32 * 16


def sample_arguments(method: Any) -> list[Any]:
    hints = typing.get_type_hints(method)
    parameters = inspect.signature(method).parameters.values()
    return [SAMPLES[hints[p.name]] for p in parameters if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=lambda w: w.name)
def test_every_wrapped_function_encodes_against_the_abi(wrapper: Any) -> None:
    artifact = load_artifacts()[wrapper.name]
    rpc = ZeroRpc()
    typed = wrapper(BoundContract(wrapper.name, ADDRESS, artifact.abi, rpc))  # type: ignore[arg-type]
    methods = [name for name, _ in inspect.getmembers(wrapper, inspect.isfunction) if not name.startswith("_")]
    assert methods, wrapper
    for name in methods:
        method = getattr(typed, name)
        arguments = sample_arguments(getattr(wrapper, name))
        keywords = {"key": "k"} if "key" in inspect.signature(method).parameters else {}
        answer = method(*arguments, **keywords)  # raises if the function is missing or the arguments do not fit
        if isinstance(answer, ContractCall):
            assert answer.label.startswith(wrapper.name + ".") and answer.key == "k", name


def test_a_function_the_contract_lacks_is_refused() -> None:
    artifact = load_artifacts()["InstitutionRegistry"]
    contract = BoundContract("InstitutionRegistry", ADDRESS, artifact.abi, ZeroRpc())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no function 'grantRoles'"):
        contract.transaction("grantRoles", b"\0" * 32, ADDRESS)

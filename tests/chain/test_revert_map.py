"""Every custom error in the compiled ABIs maps to one EduLedger exception; decoding is total."""

from __future__ import annotations

from eth_abi import encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ledger_service import ContractRevertError, DuplicateContentError, EduLedgerError
from ledger_service.chain import CONTRACT_ERRORS, RevertDecoder, load_artifacts

DECODER = RevertDecoder(a.abi for a in load_artifacts().values())


def test_every_abi_error_is_in_the_table() -> None:
    assert DECODER.error_names, "no errors found in the ABIs"
    assert DECODER.error_names == set(CONTRACT_ERRORS), "the table and the ABIs disagree"
    for cls in CONTRACT_ERRORS.values():
        assert issubclass(cls, ContractRevertError) and issubclass(cls, EduLedgerError)


def test_a_custom_error_decodes_to_its_class_with_named_arguments() -> None:
    selector = keccak(b"ResourceRegistryDuplicateContent(bytes32,uint256,address)")[:4]
    data = selector + encode(["bytes32", "uint256", "address"], [b"\x11" * 32, 7, "0x" + "ab" * 20])
    error = DECODER.decode("0x" + data.hex(), tx_hash="0xfeed")
    assert isinstance(error, DuplicateContentError)
    assert error.arguments["resourceId"] == 7
    assert error.arguments["registrant"] == to_checksum_address("0x" + "ab" * 20)
    assert error.tx_hash == "0xfeed"
    assert "already registered" in str(error) and "resourceId=7" in str(error)


def test_error_strings_panics_and_unknown_data_still_give_clear_errors() -> None:
    reason = keccak(b"Error(string)")[:4] + encode(["string"], ["boom"])
    assert "boom" in str(DECODER.decode(reason))
    panic = DECODER.decode(keccak(b"Panic(uint256)")[:4] + encode(["uint256"], [0x11]))
    assert panic.error_name == "Panic" and "0x11" in str(panic)
    assert "no revert data" in str(DECODER.decode(None))
    unknown = DECODER.decode(b"\xde\xad\xbe\xef")
    assert type(unknown) is ContractRevertError and "0xdeadbeef" in str(unknown)
    truncated = DECODER.decode(keccak(b"ResourceRegistryExpiredSignature(uint256)")[:4] + b"\x01")
    assert truncated.error_name == "ResourceRegistryExpiredSignature"

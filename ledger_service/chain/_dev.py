"""The development mnemonic of the embedded chain, and the guard that keeps it there.

The embedded anvil funds accounts derived from the well-known test mnemonic. Those keys are
public knowledge: the service uses them only for the chain it starts itself and refuses them
against any other chain.
"""

from __future__ import annotations

from functools import lru_cache

from .._exceptions import ConfigurationError
from ._signer import Signer

__all__ = ["DEV_MNEMONIC", "dev_signer", "refuse_dev_key"]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
_DEV_ACCOUNTS = 10


@lru_cache(maxsize=_DEV_ACCOUNTS)
def _dev_key(index: int) -> bytes:
    from eth_account import Account  # only here: importing it (py_ecc) costs every process a third of a second

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return bytes(account.key)


def dev_signer(index: int = 0) -> Signer:
    """Signer for dev account ``index`` (0–9), funded on the embedded chain only."""
    if not 0 <= index < _DEV_ACCOUNTS:
        raise ValueError(f"dev account index must be 0..{_DEV_ACCOUNTS - 1}")
    return Signer(_dev_key(index))


def refuse_dev_key(signer: Signer, *, embedded: bool) -> None:
    """Raise :class:`ConfigurationError` if ``signer`` is a dev key and the chain is not the embedded one."""
    if embedded:
        return
    if signer.address in {dev_signer(i).address for i in range(_DEV_ACCOUNTS)}:
        raise ConfigurationError(
            "the relayer key is derived from the public development mnemonic, which is only allowed on the "
            "embedded chain; set EDULEDGER_RELAYER_KEY to a key of your own for an external chain"
        )

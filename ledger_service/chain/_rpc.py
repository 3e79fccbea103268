"""JSON-RPC clients: plain HTTP (any node: anvil, Besu, Geth) and a web3 provider adapter (py-evm).

Only standard ``eth_*`` / ``net_*`` methods are used outside the node manager, so the same code
runs against the embedded anvil and a Besu QBFT network. Batches are JSON-RPC batch requests: one
HTTP round-trip for many calls.
"""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import httpx

from .._exceptions import ChainUnavailableError, JsonRpcError

__all__ = ["HttpRpcClient", "ProviderRpcClient", "RpcCall", "RpcClient"]

RpcCall = tuple[str, Sequence[Any]]


class RpcClient(Protocol):
    """What the chain layer needs from a node connection."""

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call one method; raise :class:`JsonRpcError` if the node answers with an error."""

    def batch(self, calls: Sequence[RpcCall]) -> list[Any | JsonRpcError]:
        """Call many methods at once; each result is the value or a :class:`JsonRpcError`."""


def _error(payload: dict[str, Any]) -> JsonRpcError:
    error = payload.get("error") or {}
    return JsonRpcError(
        f"node error {error.get('code')}: {error.get('message')}",
        code=int(error.get("code") or 0),
        data=error.get("data"),
    )


class HttpRpcClient:
    """JSON-RPC over HTTP with connection reuse (thread-safe)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"RPC URL must start with http:// or https://, got {url!r}")
        self.url = url
        self._client = httpx.Client(timeout=timeout, headers={"content-type": "application/json"})
        self._next_id = 1
        self._lock = threading.Lock()

    def _post(self, body: Any) -> Any:
        try:
            response = self._client.post(self.url, json=body)
        except (httpx.ConnectError, httpx.TimeoutException, httpx.NetworkError) as exc:
            raise ChainUnavailableError(
                f"chain node at {self.url} does not answer ({type(exc).__name__}); start it or point EDULEDGER_RPC_URL at a running node"
            ) from exc
        if response.status_code != 200:
            raise ChainUnavailableError(f"chain node at {self.url} answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise ChainUnavailableError(f"chain node at {self.url} did not answer JSON-RPC") from exc

    def _reserve_ids(self, count: int) -> int:
        with self._lock:
            first = self._next_id
            self._next_id += count
            return first

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        payload = self._post({"jsonrpc": "2.0", "id": self._reserve_ids(1), "method": method, "params": list(params)})
        if not isinstance(payload, dict):
            raise ChainUnavailableError(f"chain node at {self.url} gave a malformed answer to {method}")
        if "error" in payload:
            raise _error(payload)
        return payload.get("result")

    def batch(self, calls: Sequence[RpcCall]) -> list[Any | JsonRpcError]:
        if not calls:
            return []
        first = self._reserve_ids(len(calls))
        body = [
            {"jsonrpc": "2.0", "id": first + offset, "method": method, "params": list(params)}
            for offset, (method, params) in enumerate(calls)
        ]
        payload = self._post(body)
        if not isinstance(payload, list):
            if isinstance(payload, dict) and "error" in payload:
                raise _error(payload)
            raise ChainUnavailableError(f"chain node at {self.url} does not support JSON-RPC batches")
        by_id = {item.get("id"): item for item in payload if isinstance(item, dict)}
        results: list[Any | JsonRpcError] = []
        for offset in range(len(calls)):
            item = by_id.get(first + offset)
            if item is None:
                results.append(JsonRpcError("node dropped a request from the batch"))
            elif "error" in item:
                results.append(_error(item))
            else:
                results.append(item.get("result"))
        return results

    def close(self) -> None:
        self._client.close()


def _tester_error(exc: Exception) -> JsonRpcError:
    """eth-tester raises where a node answers an error; recover the revert data it carries."""
    data: Any = exc.args[0] if exc.args else None
    if isinstance(data, str):
        # py-evm reports a revert as the repr of its output bytes, e.g. "b'\\xac\\x1f...'"
        literal = re.search(r"b(['\"]).*\1", data, re.S)
        try:
            data = ast.literal_eval(literal.group(0)) if literal else None
        except (ValueError, SyntaxError):
            data = None
    if isinstance(data, (bytes, bytearray)):
        data = "0x" + bytes(data).hex()
    return JsonRpcError(f"execution failed: {type(exc).__name__}: {exc}", code=3, data=data)


def _snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _to_wire(value: Any) -> Any:
    """Python-native provider results (ints, bytes, snake_case) in JSON-RPC wire form."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {_camel(str(k)): _to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in value]
    return value


_QUANTITY_FIELDS = {"gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value", "nonce"}


def _from_wire(value: Any, default_sender: str) -> Any:
    """Wire-form params (hex quantities, hex block numbers) as eth-tester's Python values."""
    if isinstance(value, dict):
        converted = {k: int(v, 16) if k in _QUANTITY_FIELDS and isinstance(v, str) else v for k, v in value.items()}
        if "to" in converted or "data" in converted:
            converted.setdefault("from", default_sender)  # eth-tester insists on a funded sender, nodes do not
        return converted
    if isinstance(value, str) and value.startswith("0x") and len(value) <= 18:
        return int(value, 16)  # a block number (addresses and hashes are longer)
    return value


class ProviderRpcClient:
    """Adapts a web3 provider (e.g. ``EthereumTesterProvider`` on py-evm) to :class:`RpcClient`.

    The eth-tester provider answers with Python values (ints, snake_case keys); they are put in
    wire form so the rest of the chain layer sees exactly what a node sends. Batches are sent
    one call at a time: the in-process provider has no network to save.
    """

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self._default_sender = provider.ethereum_tester.get_accounts()[0]
        self._lock = threading.Lock()

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        if method == "eth_getLogs":  # eth-tester takes the filter with snake_case integer bounds
            params = [{_snake(k): int(v, 16) if k.endswith("Block") and str(v).startswith("0x") else v for k, v in params[0].items()}]
        with self._lock:
            try:
                response = self.provider.make_request(method, [_from_wire(p, self._default_sender) for p in params])
            except Exception as exc:  # noqa: BLE001 - eth-tester raises where a node answers an error
                raise _tester_error(exc) from exc
        if "error" in response:
            raise _error(dict(response))
        result = _to_wire(response.get("result"))
        if method == "eth_getTransactionByHash" and isinstance(result, dict) and "data" in result:
            result.setdefault("input", result["data"])  # eth-tester says "data" where nodes say "input"
        return result

    def batch(self, calls: Sequence[RpcCall]) -> list[Any | JsonRpcError]:
        results: list[Any | JsonRpcError] = []
        for method, params in calls:
            try:
                results.append(self.request(method, params))
            except JsonRpcError as exc:
                results.append(exc)
        return results

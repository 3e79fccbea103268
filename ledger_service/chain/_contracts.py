"""ABI encoding and decoding for our contracts, straight through eth-abi.

Calls are encoded from the committed ABIs without building web3 contract objects: the batched
sender encodes thousands of calls a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_abi.abi import decode, encode
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .._exceptions import JsonRpcError
from ._rpc import RpcClient

__all__ = ["BoundContract", "ContractCall", "DecodedEvent", "abi_type"]


def abi_type(item: Mapping[str, Any]) -> str:
    """The canonical type string of an ABI parameter (tuples spelt out)."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in item["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _named(item: Mapping[str, Any], value: Any) -> Any:
    """Turn decoded tuples into dicts keyed by component name (recursively)."""
    kind = str(item["type"])
    if kind == "tuple":
        return {c["name"]: _named(c, v) for c, v in zip(item["components"], value, strict=True)}
    if kind.endswith("]"):
        element = {**item, "type": kind[: kind.rindex("[")]}
        return [_named(element, v) for v in value]
    if kind == "address":
        return to_checksum_address(value)
    return value


@dataclass(frozen=True, slots=True)
class ContractCall:
    """A write to send: ``to=None`` deploys ``data`` as init code."""

    to: str | None
    data: bytes
    key: str | None = None
    label: str = ""
    gas: int | None = None
    value: int = 0


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    name: str
    address: str
    args: dict[str, Any]
    block_number: int
    tx_hash: str
    log_index: int


class BoundContract:
    """One deployed contract: encode calls, run views, decode its logs."""

    def __init__(self, name: str, address: str, abi: Sequence[Mapping[str, Any]], rpc: RpcClient) -> None:
        self.name = name
        self.address = to_checksum_address(address)
        self.abi = list(abi)
        self.rpc = rpc
        self._functions: dict[str, tuple[bytes, list[str], Mapping[str, Any]]] = {}
        for item in self.abi:
            if item.get("type") == "function":
                types = [abi_type(i) for i in item["inputs"]]
                selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
                self._functions[str(item["name"])] = (selector, types, item)

    @cached_property
    def _events(self) -> dict[bytes, Mapping[str, Any]]:
        events = {}
        for item in self.abi:
            if item.get("type") == "event":
                types = ",".join(abi_type(i) for i in item["inputs"])
                events[keccak(f"{item['name']}({types})".encode())] = item
        return events

    def event_topic(self, name: str) -> bytes:
        """topic0 of event ``name`` (keccak256 of its signature), for ``eth_getLogs`` filters."""
        for topic, item in self._events.items():
            if item["name"] == name:
                return topic
        raise ValueError(f"{self.name} has no event {name!r}")

    def _function(self, name: str) -> tuple[bytes, list[str], Mapping[str, Any]]:
        try:
            return self._functions[name]
        except KeyError:
            raise ValueError(f"{self.name} has no function {name!r}") from None

    def encode(self, function: str, *args: Any) -> bytes:
        selector, types, _ = self._function(function)
        return selector + encode(types, list(args))

    def call(self, function: str, *args: Any, block: str | int = "latest") -> Any:
        """Run a view; a single output is returned bare, structs as dicts."""
        tag = block if isinstance(block, str) else hex(block)
        result = self.rpc.request("eth_call", [self.call_request(function, *args), tag])
        return self.decode_result(function, result)

    def call_request(self, function: str, *args: Any) -> dict[str, str]:
        """The ``eth_call`` transaction object of a view call (to batch several in one round trip)."""
        return {"to": self.address, "data": "0x" + self.encode(function, *args).hex()}

    def decode_result(self, function: str, result: Any) -> Any:
        """Decode what ``eth_call`` answered for ``function`` (raises the node's error if it answered one)."""
        if isinstance(result, JsonRpcError):
            raise result
        if not isinstance(result, str):
            raise JsonRpcError(f"eth_call to {self.name}.{function} returned {result!r}")
        _, _, item = self._function(function)
        outputs = item["outputs"]
        values = decode([abi_type(o) for o in outputs], bytes.fromhex(result[2:]))
        named = [_named(o, v) for o, v in zip(outputs, values, strict=True)]
        return named[0] if len(named) == 1 else tuple(named)

    def transaction(self, function: str, *args: Any, key: str | None = None, gas: int | None = None) -> ContractCall:
        """A :class:`ContractCall` for the sender; ``key`` makes it idempotent."""
        return ContractCall(to=self.address, data=self.encode(function, *args), key=key, label=f"{self.name}.{function}", gas=gas)

    def decode_logs(self, logs: Sequence[Mapping[str, Any]]) -> list[DecodedEvent]:
        """Decode this contract's events among ``logs`` (a receipt's, or ``eth_getLogs``')."""
        decoded = []
        for log in logs:
            if to_checksum_address(log["address"]) != self.address or not log["topics"]:
                continue
            topic0 = bytes.fromhex(str(log["topics"][0])[2:])
            item = self._events.get(topic0)
            if item is None:
                continue
            indexed = [i for i in item["inputs"] if i["indexed"]]
            plain = [i for i in item["inputs"] if not i["indexed"]]
            args: dict[str, Any] = {}
            for spec, topic in zip(indexed, log["topics"][1:], strict=False):
                (value,) = decode([abi_type(spec)], bytes.fromhex(str(topic)[2:]))
                args[spec["name"]] = _named(spec, value)
            values = decode([abi_type(i) for i in plain], bytes.fromhex(str(log["data"])[2:]))
            args.update({spec["name"]: _named(spec, v) for spec, v in zip(plain, values, strict=True)})
            decoded.append(
                DecodedEvent(
                    name=str(item["name"]),
                    address=self.address,
                    args=args,
                    block_number=int(log["blockNumber"], 16) if isinstance(log["blockNumber"], str) else int(log["blockNumber"]),
                    tx_hash=str(log["transactionHash"]),
                    log_index=int(log["logIndex"], 16) if isinstance(log["logIndex"], str) else int(log["logIndex"]),
                )
            )
        return decoded

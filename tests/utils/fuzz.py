"""Hypothesis strategies for hostile JSON: odd values, and one field of a genuine document replaced."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from ledger_service.credentials import ANCHOR_PROOF_TYPE

# Values an attacker sends: huge and non-finite numbers, lone surrogates, control characters,
# deep nesting, wrong types where structures are expected.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([float("inf"), float("-inf"), 1e308, -0.0, 0.5, 2**53 + 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "\ud800",
            "a\udfff",
            "",
            "0x",
            "0x" + "ab" * 40,
            "0x" + "00" * 32,
            "2026-01-01",
            "2026-01-01T00:00:00",
            "did:key:z6Mk",
            "urn:eduledger:institution:0x" + "11" * 32,
            "1e400",
            "\u202e",
            "\0",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in ``document`` (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.append((*prefix, index))
            found.extend(paths(value, (*prefix, index)))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced (removed when ``value`` is ``...``)."""
    changed = copy.deepcopy(document)
    cursor = changed
    for step in path[:-1]:
        cursor = cursor[step]
    if value is Ellipsis:
        del cursor[path[-1]]
    else:
        cursor[path[-1]] = value
    return changed


@st.composite
def mutations(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one value replaced by a hostile one, removed, or nested 900 deep."""
    where = draw(st.sampled_from(paths(document)))
    value = draw(st.one_of(json_values, st.just(Ellipsis), st.just(nested(900))))
    return replaced(document, where, value)


def same_meaning(changed: Any, credential: dict[str, Any]) -> bool:
    """Whether a changed copy of ``credential`` still says exactly what it said, so that ``valid`` is right
    for it online: the copy itself; or its anchor proof naming another block (a copy made before the
    anchoring transaction was mined again after a chain restore: online, the transaction decides, issue
    11); or its signature proof given the document's own ``@context``, which eddsa-jcs-2022 puts in the
    proof configuration anyway (vc-di-eddsa §3.3.2)."""
    if changed == credential:
        return True
    if not isinstance(changed, dict) or not isinstance(changed.get("proof"), list) or len(changed["proof"]) != len(credential["proof"]):
        return False

    def plain(proof: Any, original: dict[str, Any]) -> Any:
        if not isinstance(proof, dict):
            return proof
        if proof.get("type") == ANCHOR_PROOF_TYPE and original.get("type") == ANCHOR_PROOF_TYPE:
            if not isinstance(proof.get("blockNumber"), int) or isinstance(proof.get("blockNumber"), bool):
                return proof  # a malformed block number is not the same meaning
            return {**proof, "blockNumber": original["blockNumber"]}
        if "@context" in proof and "@context" not in original and proof["@context"] == credential.get("@context"):
            return {k: v for k, v in proof.items() if k != "@context"}
        return proof

    proofs = [plain(p, o) for p, o in zip(changed["proof"], credential["proof"], strict=True)]
    return {**changed, "proof": proofs} == credential

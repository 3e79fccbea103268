"""The forged bundle of issue 10 item 1, built exactly as the attack was reported: a credential that
was never issued (new name, status entry removed), signed with a fresh Ed25519 key, under a one-leaf
Merkle root, with self-asserted "chain records" for everything a verifier asks about."""

from __future__ import annotations

import copy
from typing import Any

from ledger_service.chain import RpcClient, StorageLayout, fetch_state_proofs, load_artifacts
from ledger_service.credentials import (
    ANCHOR_PROOF_TYPE,
    BUNDLE_TYPE,
    JCS_SUITE,
    Ed25519KeyPair,
    credential_hash,
    leaf_hash,
    pinned_context_text,
    sign,
)

FORGED_NAME = "全国一等奖（伪造）"
_FAR = 2**63


def forged_credential(genuine: dict[str, Any]) -> tuple[dict[str, Any], Ed25519KeyPair]:
    """A credential that was never issued: renamed, status entry gone, signed by a fresh key, its own one-leaf root."""
    key = Ed25519KeyPair.generate()
    document = {k: copy.deepcopy(v) for k, v in genuine.items() if k not in ("proof", "credentialStatus")}
    document["name"] = FORGED_NAME
    signed = sign(document, key, cryptosuite=JCS_SUITE, created="2026-11-22T08:00:00Z", proof_as_list=True)
    value = credential_hash(signed)
    genuine_anchor = next(p for p in genuine["proof"] if p.get("type") == ANCHOR_PROOF_TYPE)
    signed["proof"].append(
        {
            **genuine_anchor,
            "credentialHash": "0x" + value.hex(),
            "merkleRoot": "0x" + leaf_hash(value).hex(),  # a tree of one leaf: the root is the leaf
            "merkleProof": [],
        }
    )
    return signed, key


def forged_bundle(genuine: dict[str, Any], *, chain_id: int, anchor: str, directory: str) -> dict[str, Any]:
    """The self-made (version 1) bundle: every chain fact invented to match the forgery."""
    credential, key = forged_credential(genuine)
    proof = credential["proof"][-1]
    institution = "0x" + str(credential["issuer"]["id"]).rsplit("0x", 1)[1]
    issuer = proof["verificationMethod"].rsplit(":", 1)[1]
    window = {"validFrom": 0, "validUntil": _FAR, "revokedFrom": 0}
    return {
        "type": BUNDLE_TYPE,
        "version": 1,
        "credential": credential,
        "capturedAt": "2026-11-22T09:00:00Z",
        "chain": {"chainId": chain_id, "anchorContract": anchor, "directoryContract": directory, "headBlock": proof["blockNumber"] + 5},
        "anchor": {
            "merkleRoot": proof["merkleRoot"],
            "record": {
                "institutionId": institution,
                "credentialType": "0x" + "11" * 32,
                "statusListHash": "0x" + "00" * 32,
                "issuer": issuer,
                "anchoredAt": 1_790_000_000,
                "blockNumber": proof["blockNumber"],
                "count": 1,
            },
            "transaction": {"to": anchor, "input": "0x" + str(proof["merkleRoot"])[2:], "blockNumber": proof["blockNumber"]},
        },
        "issuerKey": {"address": issuer, "record": {"institutionId": institution, **window}},
        "accreditations": [{"institutionId": institution, "accreditorId": "0x" + "00" * 32, **window}],
        "signingKey": {"publicKey": "0x" + key.public.raw.hex(), "record": {"institutionId": institution, **window}},
        "contexts": {url: pinned_context_text(url) for url in credential["@context"]},
        "statusLists": [],
    }


def forged_into_proven_bundle(bundle: dict[str, Any], genuine: dict[str, Any], rpc: RpcClient) -> dict[str, Any]:
    """A genuine version-2 bundle with the forged credential swapped in, plus the node's real proofs of
    the forged root's anchor slots at the bundle's block (what a careful forger would add)."""
    credential, _ = forged_credential(genuine)
    forged = copy.deepcopy(bundle)
    forged["credential"] = credential
    layout = StorageLayout.of(load_artifacts()["CredentialAnchor"])
    slot, type_id = layout.locate("_anchors", bytes.fromhex(credential["proof"][-1]["merkleRoot"][2:]))
    address = forged["chain"]["contracts"]["CredentialAnchor"]
    extra = fetch_state_proofs(rpc, int(forged["block"]["number"], 16), {address: layout.slots(slot, type_id)})
    forged["proofs"][address]["storageProof"].update(extra[address]["storageProof"])
    return forged

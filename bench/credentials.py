"""Benchmark: credential issuance and verification, batched vs one chain round-trip per record.

All on one embedded anvil (automine: a transaction is mined as soon as it arrives, the kindest
setting for the per-record baselines), in one run:

Issuance, end to end — enrol the students in the vault (encrypted personal data, identity salts),
build the growth-record credentials, sign (eddsa-jcs-2022), canonicalise, hash, Merkle tree,
anchor, attach anchor proofs:
  (a) batched: the whole grade as one batch, one anchor transaction;
  (b) per record: each record its own batch and its own anchor transaction (a sample, then
      extrapolated to the full count).

Verification of every issued credential (all checks), on every core (``--workers``) both ways:
  (a) warm cache: a CachedChainView per worker (anchors and authorisation answers remembered);
  (b) the chain asked afresh for every credential (a sample).

Then the two Data Integrity cryptosuites, sign and verify, each on its own; and selective disclosure
(ecdsa-sd-2023): batch issuance end to end with the school's base proof beside the eddsa signature
and the anchor (records/s; the same pipeline as above, the base proofs made on every core), a
holder's derivation of a growth record and a verifier's full check of the derived copy against the
chain (per second, one core), beside the bare signing rate of each cryptosuite on every core (the
floor: what signing alone allows), printed as ratios.

    python bench/credentials.py [--records N] [--sd-records N] [--sample N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger_service.chain import ChainConfig, Ledger, Outbox, TransactionSender, dev_signer  # noqa: E402
from ledger_service.credentials import (  # noqa: E402
    JCS_SUITE,
    RDFC_SUITE,
    SD_SUITE,
    VALID,
    BatchIssuer,
    CachedChainView,
    ChainView,
    Ed25519KeyPair,
    P256KeyPair,
    derive_credential,
    growth_record_credential,
    identity_object,
    institution_uri,
    mandatory_pointers,
    sign,
    sign_sd_base,
    verify,
    verify_credential,
    verify_sd_derived,
)
from ledger_service.vault import MasterKey, NewSubject, Vault  # noqa: E402

GROWTH_RECORD = keccak(b"EduLedger.GrowthRecord")
SCHOOL = keccak(b"institution:bench-school")
SIGNING_KEY = Ed25519KeyPair.from_seed(b"bench-school-signing-key".ljust(32, b"\0"))
SD_KEY = P256KeyPair.from_multibase("z42twTcNeSYcnqg1FLuSFs2bsGH3ZqbRHFmvS9XMsYhjxvHN")  # the W3C vectors' base key
TODAY = date(2026, 11, 22)


def setup_school(ledger: Ledger, workdir: Path) -> TransactionSender:
    directory = ledger.contracts["InstitutionRegistry"]
    governance = ledger.sender
    issuer_key = dev_signer(6)
    for call in [
        directory.transaction("registerInstitution", SCHOOL, b"\0" * 32, 5, governance.address),
        directory.transaction("accredit", SCHOOL, GROWTH_RECORD, 0, 2**63),
        directory.transaction("addIssuerKey", SCHOOL, issuer_key.address, 0, 2**63),
        directory.transaction("addSigningKey", SCHOOL, SIGNING_KEY.public.raw, 0, 2**63),
        directory.transaction("addSigningKey", SCHOOL, SD_KEY.public.chain_key, 0, 2**63),
    ]:
        governance.transact(call)
    return TransactionSender(
        ledger.rpc,
        issuer_key,
        Outbox(workdir / "issuer-outbox.sqlite3", chain_id=ledger.chain_id),
        decoder=ledger.sender.decoder,
    )


def grade(prefix: str, count: int) -> list[NewSubject]:
    return [
        NewSubject(
            date(2012, 9, 1),
            {"name": f"学生{prefix}{i}", "student_number": f"G1101052012{i:08d}", "guardian": f"家长{i}", "contact": f"138{i:08d}"},
        )
        for i in range(count)
    ]


def documents(prefix: str, enrolled: list[tuple[str, bytes]], people: list[NewSubject]) -> list[dict[str, Any]]:
    return [
        growth_record_credential(
            credential_id=f"urn:uuid:{prefix}-{i:08d}",
            issuer_id=institution_uri(SCHOOL),
            issuer_name="基准测试学校",
            identifier=identity_object(person.fields["student_number"], salt),
            dimension=("思想品德", "学业水平", "身心健康", "艺术素养", "社会实践")[i % 5],
            record_kind="学期评价",
            term="2026-2027学年第一学期",
            narrative=f"第 {i} 号学生本学期表现良好，积极参加班级活动。",
            valid_from="2026-11-22T00:00:00Z",
        )
        for i, ((_, salt), person) in enumerate(zip(enrolled, people, strict=True))
    ]


def issue_pipeline(vault: Vault, issuer: BatchIssuer, prefix: str, count: int, batch_size: int) -> tuple[list[dict[str, Any]], list[str]]:
    people = grade(prefix, count)
    issued: list[dict[str, Any]] = []
    tx_hashes: list[str] = []
    for start in range(0, count, batch_size):
        chunk = people[start : start + batch_size]
        enrolled = vault.enroll(chunk, today=TODAY)
        batch = issuer.issue(
            f"{prefix}-{start}",
            documents(f"{prefix}-{start}", enrolled, chunk),
            credential_type=GROWTH_RECORD,
            created="2026-11-22T08:00:00Z",
        )
        issued.extend(batch.credentials)
        tx_hashes.append(batch.tx_hash)
    return issued, tx_hashes


def gas_of(ledger: Ledger, tx_hashes: list[str]) -> int:
    answers = ledger.rpc.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes])
    return sum(int(a["gasUsed"], 16) for a in answers if isinstance(a, dict))


_WORKER_VIEW: dict[str, Any] = {}


def _verify_chunk(rpc_url: str, chain_id: int, anchor: str, directory: str, cached: bool, chunk: list[dict[str, Any]]) -> int:
    """Worker process: verify ``chunk`` with its own connection (and cache, kept across chunks)."""
    from ledger_service.chain import BoundContract, HttpRpcClient, load_artifacts

    key = f"{rpc_url}:{cached}"
    if key not in _WORKER_VIEW:
        rpc = HttpRpcClient(rpc_url)
        artifacts = load_artifacts()
        live = ChainView(
            rpc,
            BoundContract("CredentialAnchor", anchor, artifacts["CredentialAnchor"].abi, rpc),
            BoundContract("InstitutionRegistry", directory, artifacts["InstitutionRegistry"].abi, rpc),
            chain_id,
        )
        _WORKER_VIEW[key] = CachedChainView(live) if cached else live
    view = _WORKER_VIEW[key]
    return sum(verify_credential(c, chain=view).outcome == VALID for c in chunk)


def verify_all(pool: ProcessPoolExecutor, ledger: Ledger, credentials: list[dict[str, Any]], cached: bool) -> int:
    """Verify on every worker; credentials travel in chunks, each worker keeps its own warm cache."""
    args = (
        ledger.node.url if ledger.node else "",
        ledger.chain_id,
        ledger.contracts["CredentialAnchor"].address,
        ledger.contracts["InstitutionRegistry"].address,
        cached,
    )
    size = 2_000
    chunks = [credentials[i : i + size] for i in range(0, len(credentials), size)]
    return sum(pool.map(_verify_chunk, *zip(*[(*args, chunk) for chunk in chunks], strict=True)))


SD_REVEAL = ["/credentialSubject/achievement/name", "/credentialSubject/achievement/fieldOfStudy"]


def _sign_chunk(suite: str, chunk: list[dict[str, Any]]) -> int:
    """One worker's share of bare signing (the floor) or of ecdsa-sd-2023 base proofs."""
    for document in chunk:
        if suite == SD_SUITE:
            sign_sd_base(
                document, SD_KEY, created="2026-11-22T08:00:00Z", mandatory_pointers=mandatory_pointers(document), nonce="0x" + "00" * 32
            )
        else:
            sign(document, SIGNING_KEY, cryptosuite=suite, created="2026-11-22T08:00:00Z")
    return len(chunk)


def signing_rate(pool: ProcessPoolExecutor, workers: int, suite: str, documents: list[dict[str, Any]]) -> float:
    """Documents signed per second with ``suite`` on every core."""
    size = -(-len(documents) // workers)
    chunks = [documents[i : i + size] for i in range(0, len(documents), size)]
    start = time.perf_counter()
    done = sum(pool.map(_sign_chunk, [suite] * len(chunks), chunks))
    return rate(done, time.perf_counter() - start)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--sd-records", type=int, default=1_000, help="records issued with ecdsa-sd-2023 base proofs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="verifying processes (both ways)")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        Ledger.open(ChainConfig(data_dir=Path(tmp) / "chain", anvil_port=0, snapshot_interval=0, block_time=None)) as ledger,
    ):
        sender = setup_school(ledger, Path(tmp))
        vault = Vault(Path(tmp) / "vault.sqlite3", MasterKey.generate())
        issuer = BatchIssuer(
            Path(tmp) / "issuance.sqlite3",
            sender=sender,
            anchor=ledger.contracts["CredentialAnchor"],
            directory=ledger.contracts["InstitutionRegistry"],
            signing_key=SIGNING_KEY,
        )
        sd_issuer = BatchIssuer(
            Path(tmp) / "issuance-sd.sqlite3",
            sender=sender,
            anchor=ledger.contracts["CredentialAnchor"],
            directory=ledger.contracts["InstitutionRegistry"],
            signing_key=SIGNING_KEY,
            sd_key=SD_KEY,
            workers=args.workers,
        )

        start = time.perf_counter()
        credentials, batched_txs = issue_pipeline(vault, issuer, "grade", args.records, args.records)
        batched_s = time.perf_counter() - start
        issue_per_s = rate(args.records, batched_s)
        gas_batched = gas_of(ledger, batched_txs)
        print(
            f"issue batched:    {args.records:,} records in {batched_s:.1f} s = {issue_per_s:,.0f} records/s, "
            f"1 anchor tx, {gas_batched:,} gas = {gas_batched / args.records:.1f} gas/record"
        )

        start = time.perf_counter()
        _, single_txs = issue_pipeline(vault, issuer, "single", args.sample, 1)
        single_s = time.perf_counter() - start
        single_per_s = rate(args.sample, single_s)
        gas_single = gas_of(ledger, single_txs) / args.sample
        print(
            f"issue per record: {args.sample:,} records in {single_s:.1f} s = {single_per_s:,.0f} records/s "
            f"(extrapolated to {args.records:,}: {args.records / single_per_s:,.0f} s), {gas_single:,.0f} gas/record"
        )
        issue_ratio = issue_per_s / single_per_s
        print(f"issue ratio: {issue_ratio:,.1f}x")

        ledger.rpc.request("anvil_mine", [hex(12)])  # the anchors are deep enough to be remembered for good
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            verify_all(pool, ledger, credentials[: args.workers * 2], cached=True)  # warms every worker's cache
            start = time.perf_counter()
            valid = verify_all(pool, ledger, credentials, cached=True)
            warm_s = time.perf_counter() - start
            verify_per_s = rate(len(credentials), warm_s)
            print(
                f"verify warm cache: {len(credentials):,} in {warm_s:.1f} s = {verify_per_s:,.0f}/s ({valid:,} valid, "
                f"{args.workers} processes)"
            )
            sample = credentials[: args.sample]
            start = time.perf_counter()
            valid_rpc = verify_all(pool, ledger, sample, cached=False)
            rpc_s = time.perf_counter() - start
        rpc_per_s = rate(len(sample), rpc_s)
        verify_ratio = verify_per_s / rpc_per_s
        print(f"verify per-RPC:    {len(sample):,} in {rpc_s:.1f} s = {rpc_per_s:,.0f}/s ({valid_rpc:,} valid); ratio {verify_ratio:,.1f}x")
        if valid != len(credentials) or valid_rpc != len(sample):
            raise SystemExit("some credentials did not verify: the figures are void")

        suites = {}
        plain = documents("suite", [("s", b"\0" * 16)] * 2000, grade("suite", 2000))
        for suite, count in ((JCS_SUITE, 2000), (RDFC_SUITE, 100)):
            start = time.perf_counter()
            signed = [sign(d, SIGNING_KEY, cryptosuite=suite, created="2026-11-22T08:00:00Z") for d in plain[:count]]
            sign_per_s = rate(count, time.perf_counter() - start)
            start = time.perf_counter()
            ok = sum(verify(d) for d in signed)
            verify_suite_per_s = rate(count, time.perf_counter() - start)
            assert ok == count
            suites[suite] = (sign_per_s, verify_suite_per_s)
            print(f"{suite}: sign {sign_per_s:,.0f}/s, verify {verify_suite_per_s:,.0f}/s ({count:,} documents)")

        # Selective disclosure: batch issuance with base proofs (the same pipeline), then the floors on every core.
        start = time.perf_counter()
        sd_credentials, _ = issue_pipeline(vault, sd_issuer, "sd", args.sd_records, args.sd_records)
        sd_issue_s = time.perf_counter() - start
        sd_issue_per_s = rate(args.sd_records, sd_issue_s)
        print(
            f"issue batched with ecdsa-sd-2023 base proofs: {args.sd_records:,} records in {sd_issue_s:.1f} s "
            f"= {sd_issue_per_s:,.0f} records/s"
        )
        floor_count = max(args.workers * 20, min(args.sd_records, 400))
        records = (plain * (floor_count // len(plain) + 1))[:floor_count]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            floors = {
                suite: signing_rate(
                    pool, args.workers, suite, (plain if suite == JCS_SUITE else records)[: (2000 if suite == JCS_SUITE else floor_count)]
                )
                for suite in (JCS_SUITE, RDFC_SUITE, SD_SUITE)
            }
        for suite, per_s in floors.items():
            print(f"floor {suite}: {per_s:,.0f} signatures/s on {args.workers} cores")
        view = CachedChainView(
            ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)
        )
        sample_sd = sd_credentials[:50]
        start = time.perf_counter()
        derived = [derive_credential(d, SD_REVEAL) for d in sample_sd]
        sd_derive_per_s = rate(len(sample_sd), time.perf_counter() - start)
        verify_credential(derived[0], chain=view)  # warms the cache
        start = time.perf_counter()
        sd_ok = sum(verify_credential(d, chain=view).outcome == VALID for d in derived)
        sd_verify_per_s = rate(len(derived), time.perf_counter() - start)
        start = time.perf_counter()
        primitive_ok = sum(verify_sd_derived(d, SD_KEY.public)[0] for d in derived)
        sd_proof_per_s = rate(len(derived), time.perf_counter() - start)
        if sd_ok != len(derived) or primitive_ok != len(derived):
            raise SystemExit("some derived credentials did not verify: the figures are void")
        issue_to_sign_floor = issue_per_s / floors[JCS_SUITE]
        sd_issue_to_sign_floor = sd_issue_per_s / floors[SD_SUITE]
        print(
            f"{SD_SUITE}: issuance {sd_issue_per_s:,.0f} records/s = {sd_issue_to_sign_floor:.2f}x its bare base-proof floor, "
            f"{sd_issue_per_s / issue_per_s:.3f}x eddsa-jcs-2022 issuance; derive {sd_derive_per_s:,.0f}/s, "
            f"verify (all checks, warm cache) {sd_verify_per_s:,.0f}/s, the derived proof alone {sd_proof_per_s:,.0f}/s (one core)"
        )
        print(f"issuance (eddsa-jcs-2022, anchored) / bare jcs signing on every core: {issue_to_sign_floor:.2f}x")

        issuer.close()
        sd_issuer.close()
        vault.close()
        sender.close()
    result = {
        "bench": "credentials",
        "issue_per_s": round(issue_per_s),
        "issue_ratio": round(issue_ratio, 1),
        "verify_per_s": round(verify_per_s),
        "verify_ratio": round(verify_ratio, 1),
        "gas_per_record": round(gas_batched / args.records, 2),
        "gas_per_record_single": round(gas_single),
        "rdfc_sign_per_s": round(suites[RDFC_SUITE][0]),
        "rdfc_verify_per_s": round(suites[RDFC_SUITE][1]),
        "jcs_sign_per_s": round(suites[JCS_SUITE][0]),
        "jcs_verify_per_s": round(suites[JCS_SUITE][1]),
        "sd_issue_per_s": round(sd_issue_per_s),
        "sd_derive_per_s": round(sd_derive_per_s),
        "sd_verify_per_s": round(sd_verify_per_s),
        "issue_to_sign_floor": round(issue_to_sign_floor, 2),
        "sd_issue_to_sign_floor": round(sd_issue_to_sign_floor, 2),
        "sign_floor_per_s": {suite: round(per_s) for suite, per_s in floors.items()},
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

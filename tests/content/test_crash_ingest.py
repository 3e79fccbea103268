"""kill -9 of a process adding a 200 MiB file, at every stage of an add (issue 16): after reopening
the store no partial add is visible, an add committed before is whole, staging is swept; an add
that returned is whole. Adds make one durable sync of their data, not one per block."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service.content import CID, LocalContentStore, import_stream

pytestmark = pytest.mark.slow

MIB = 1 << 20
SIZE_MIB = 200
REPO = Path(__file__).resolve().parents[2]

# The child adds the file, patched to SIGKILL itself at one point of the add.
CHILD = r"""
import os, random, signal, sys
from pathlib import Path
from ledger_service.content import LocalContentStore, _staging, _store

store_dir, point, seed, size_mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

counts = {"put": 0, "replace": 0, "sync": 0}
real_put, real_replace, real_sync = _staging.StagingSink.put, os.replace, _staging.sync_filesystem

def put(self, cid, parts):
    counts["put"] += 1
    if point == "writing" and counts["put"] == 300:
        die()
    real_put(self, cid, parts)

def replace(source, target):
    counts["replace"] += 1
    if point == "mid-commit" and counts["replace"] == 400:
        die()
    real_replace(source, target)

def sync(path):
    counts["sync"] += 1
    if point == "before-sync" and counts["sync"] == 1:
        die()
    real_sync(path)
    if point == "after-sync" and counts["sync"] == 1:
        die()
    if point == "before-root" and counts["sync"] == 2:
        die()

_staging.StagingSink.put = put
_staging.sync_filesystem = sync
_store.sync_filesystem = sync
os.replace = replace

def pieces():
    rng = random.Random(seed)
    for _ in range(size_mib):
        yield rng.randbytes(1 << 20)

store = LocalContentStore(Path(store_dir))
root = store.add(pieces(), pin=True)
print(root.cid, store.syncs, flush=True)
if point == "after-commit":
    die()
store.close()
"""


def pieces(seed: int, size_mib: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(size_mib):
        yield rng.randbytes(MIB)


def digest_of(store: LocalContentStore, cid: CID) -> str:
    digest = hashlib.sha256()
    for chunk in store.cat(cid):
        digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def big_root() -> CID:
    return import_stream(pieces(16, SIZE_MIB)).cid


@pytest.mark.parametrize("point", ["writing", "before-sync", "after-sync", "mid-commit", "before-root", "after-commit"])
def test_kill_9_at_any_point_of_an_add(tmp_path: Path, big_root: CID, point: str) -> None:
    store_dir = tmp_path / "content"
    store = LocalContentStore(store_dir)
    earlier = store.add(pieces(7, 3), pin=True).cid
    expected_earlier = hashlib.sha256(b"".join(pieces(7, 3))).hexdigest()
    store.close()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(store_dir), point, "16", str(SIZE_MIB)], capture_output=True, text=True, cwd=REPO, timeout=600
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    store = LocalContentStore(store_dir)
    try:
        assert list((store_dir / "staging").iterdir()) == [], "staging is swept"
        assert digest_of(store, earlier) == expected_earlier, "an add committed before the crash is whole"
        if point == "after-commit":
            cid, syncs = child.stdout.split()
            assert CID.parse(cid) == big_root
            assert int(syncs) <= 3, f"{syncs} durable syncs for a {SIZE_MIB} MiB add (800 blocks)"
            assert digest_of(store, big_root) == hashlib.sha256(b"".join(pieces(16, SIZE_MIB))).hexdigest()
            assert big_root in store.pins()
        else:
            assert not store.has_block(big_root), "no root without its blocks: the add is not visible"
            assert big_root not in store.pins()
            store.gc()  # blocks moved before the crash are orphans: collected, the earlier add kept
            assert digest_of(store, earlier) == expected_earlier
    finally:
        store.close()

"""kill -9 of a process adding a 200 MiB file, at every stage of an add (issue 16): after reopening
the store no partial add is visible (an add from byte pieces, and from a file, whose chunks are read
straight into the pack's buffer) (no block of it indexed, no pack of it left), an add committed
before is whole, staging is swept; an add that returned is whole. An add makes three syncs (its
pack's data, the pack's name, the index), not one per block."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger_service.content import CID, LocalContentStore, import_stream

pytestmark = pytest.mark.slow

MIB = 1 << 20
SIZE_MIB = 200
REPO = Path(__file__).resolve().parents[2]

# The child adds the file, patched to SIGKILL itself at one point of the add: while blocks are
# appended to the staging pack, before its fdatasync, after it, after the pack is renamed into
# packs/, after packs/ is synced (no index row yet), half-way through the index transaction, and
# after the add returned.
CHILD = r"""
import os, random, signal, sys
from pathlib import Path
from ledger_service.content import LocalContentStore, _staging, _store

store_dir, point, seed, size_mib, source = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
# source: "pieces" (bytes made here, seeded), or the path of a file holding the same bytes

def die():
    print(point, flush=True)  # the point was reached
    os.kill(os.getpid(), signal.SIGKILL)

counts = {"put": 0, "rows": 0}
real_put, real_put_slot = _staging.StagingSink.put, _staging.StagingSink.put_slot
real_fdatasync, real_replace = os.fdatasync, os.replace
real_sync_folder, real_rows = _store.sync_folder, _store.LocalContentStore._rows

def put(self, cid, parts):
    counts["put"] += 1
    if point == "writing" and counts["put"] == 300:
        die()
    real_put(self, cid, parts)

def put_slot(self, cid, prefix, length, suffix):  # a chunk read from a file straight into the pack's buffer
    counts["put"] += 1
    if point == "writing" and counts["put"] == 300:
        die()
    real_put_slot(self, cid, prefix, length, suffix)

def fdatasync(fd):
    if point == "before-sync":
        die()
    real_fdatasync(fd)
    if point == "after-sync":
        die()

def replace(source, target):
    real_replace(source, target)
    if point == "renamed":
        die()

def sync_folder(path):
    real_sync_folder(path)
    if point == "before-index":
        die()

def rows(self, pack, sink):
    for row in real_rows(self, pack, sink):
        counts["rows"] += 1
        if point == "mid-index" and counts["rows"] == 400:
            die()
        yield row

_staging.StagingSink.put = put
_staging.StagingSink.put_slot = put_slot
os.fdatasync = fdatasync
os.replace = replace
_store.sync_folder = sync_folder
_store.LocalContentStore._rows = rows

def pieces():
    rng = random.Random(seed)
    for _ in range(size_mib):
        yield rng.randbytes(1 << 20)

store = LocalContentStore(Path(store_dir))
if source != "pieces":  # read with readinto, each chunk straight into the staging pack's buffer
    with open(source, "rb", buffering=0) as handle:
        root = store.add(handle, pin=True)
else:
    root = store.add(pieces(), pin=True)
print(root.cid, store.syncs, flush=True)
if point == "after-commit":
    os.kill(os.getpid(), signal.SIGKILL)
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


class _Leaves:
    def __init__(self) -> None:
        self.cids: list[CID] = []

    def put(self, cid: CID, parts: object) -> None:
        if len(self.cids) < 50:
            self.cids.append(cid)


@dataclass(frozen=True)
class BigAdd:
    """The 200 MiB add every child makes, computed once without storing: its root, the first blocks it
    writes, and the sha256 of its bytes."""

    root: CID
    first_blocks: list[CID]
    sha256: str


@pytest.fixture(scope="module")
def big_add() -> BigAdd:
    leaves, digest = _Leaves(), hashlib.sha256()

    def hashed(pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            digest.update(piece)
            yield piece

    root = import_stream(hashed(pieces(16, SIZE_MIB)), sink=leaves).cid
    return BigAdd(root, leaves.cids, digest.hexdigest())


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 200 MiB in a file, written once for the module (no add ever writes to it)."""
    path = tmp_path_factory.mktemp("source") / "source.bin"
    with open(path, "wb") as out:
        for piece in pieces(16, SIZE_MIB):
            out.write(piece)
    return path


@pytest.mark.parametrize("point", ["writing", "before-sync", "after-sync", "renamed", "before-index", "mid-index", "after-commit"])
def test_kill_9_at_any_point_of_an_add(tmp_path: Path, big_add: BigAdd, point: str) -> None:
    kill_9_during_an_add(tmp_path, big_add, point, "pieces")


@pytest.mark.parametrize("point", ["writing", "before-sync", "mid-index", "after-commit"])
def test_kill_9_while_adding_from_a_file(tmp_path: Path, big_add: BigAdd, big_file: Path, point: str) -> None:
    kill_9_during_an_add(tmp_path, big_add, point, str(big_file))


def kill_9_during_an_add(tmp_path: Path, big: BigAdd, point: str, source: str) -> None:
    """``source``: "pieces", or the path of a file holding the add's bytes."""
    store_dir = tmp_path / "content"
    store = LocalContentStore(store_dir)
    earlier = store.add(pieces(7, 3), pin=True).cid
    expected_earlier = hashlib.sha256(b"".join(pieces(7, 3))).hexdigest()
    store.close()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(store_dir), point, "16", str(SIZE_MIB), source],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    store = LocalContentStore(store_dir)
    try:
        assert list((store_dir / "staging").iterdir()) == [], "staging is swept"
        if point != "after-commit":
            assert child.stdout.split() == [point], "the point was reached"
            assert len(list(store.packs_dir.iterdir())) == 1, "only the earlier add's pack: the unnamed one is removed"
        assert digest_of(store, earlier) == expected_earlier, "an add committed before the crash is whole"
        if point == "after-commit":
            cid, syncs = child.stdout.split()
            assert CID.parse(cid) == big.root
            assert int(syncs) <= 3, f"{syncs} durable syncs for a {SIZE_MIB} MiB add (800 blocks)"
            assert len(list(store.packs_dir.iterdir())) == 2, "one pack per add"
            assert digest_of(store, big.root) == big.sha256
            assert big.root in store.pins()
        else:
            assert not store.has_block(big.root), "no root without its blocks: the add is not visible"
            assert big.root not in store.pins()
            assert not any(store.has_block(cid) for cid in big.first_blocks), "no block of the add is indexed"
            store.gc()
            assert digest_of(store, earlier) == expected_earlier
    finally:
        store.close()

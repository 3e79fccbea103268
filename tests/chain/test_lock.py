"""One process per data directory (issue 11 item 4): two services on one directory ran two chains
from one snapshot. The lock names its holder and goes with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger_service import ConfigurationError
from ledger_service.chain import DataDirLock


def test_a_held_directory_is_refused_naming_the_holder(tmp_path: Path) -> None:
    held = DataDirLock(tmp_path).acquire()
    with pytest.raises(ConfigurationError, match=f"in use by process {os.getpid()}"):
        DataDirLock(tmp_path).acquire()
    held.release()
    DataDirLock(tmp_path).acquire().release()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ledger_service.chain import DataDirLock; "
            f"DataDirLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(ConfigurationError, match=f"process {holder.pid}"):
        DataDirLock(tmp_path).acquire()
    holder.kill()
    holder.wait()
    holder.stdout.close()
    DataDirLock(tmp_path).acquire().release()

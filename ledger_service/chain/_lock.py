"""One process per data directory: an exclusive ``flock`` on ``<data dir>/lock``.

Two services on one data directory would start two chains from one snapshot and share outbox
files, each mining jobs the other never sees. The lock is taken before anything in the directory
is opened and held for the life of the process: the kernel drops it when the process dies (kill -9
included), so a crash never leaves a stale lock. The file names the holder's pid for the message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .._exceptions import ConfigurationError

__all__ = ["DataDirLock"]


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        return "another process"
    return f"process {text}" if text.isdigit() else "another process"


class DataDirLock:
    """Held while open; ``acquire`` raises ConfigurationError naming the holder if it is taken."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "lock"
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigurationError(
                f"the data directory {self.path.parent} is in use by {_holder(self.path)}; "
                "stop it first, or set EDULEDGER_DATA_DIR to another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

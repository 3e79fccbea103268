"""In-page previews of a version's parts for reviewers.

PDF, images, video, audio and plain text are shown as they were submitted. Word and PowerPoint parts (教学设计
.docx, 课件 .pptx, and their older and OpenDocument kin) are converted to PDF by headless LibreOffice
in a background thread, one at a time (each conversion with a profile of its own and a time limit);
the original part stays as submitted. A preview is keyed by the part's CID, so identical files share
one. A finished PDF appears by an atomic rename and a failure leaves a ``.failed`` note with the reason
(reported for an hour, then tried again): a crash mid-conversion leaves neither, and the next
request converts again.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["CONVERTIBLE", "FAILURE_KEPT", "Preview", "PreviewService", "preview_kind"]

log = logging.getLogger(__name__)

FAILURE_KEPT = 3600.0  # seconds a failed conversion is reported before it is tried again
CONVERTIBLE = frozenset({".docx", ".doc", ".odt", ".rtf", ".pptx", ".ppt", ".odp"})
Kind = Literal["pdf", "image", "video", "audio", "text", "converted", "none"]
Status = Literal["ready", "converting", "failed", "unavailable"]


def preview_kind(name: str, media_type: str) -> Kind:
    """How a part is shown in the page: as it is, converted to PDF, or not at all (a download)."""
    if media_type == "application/pdf":
        return "pdf"
    families: dict[str, Kind] = {"image/": "image", "video/": "video", "audio/": "audio", "text/plain": "text"}
    for prefix, kind in families.items():
        if media_type.startswith(prefix):
            return kind
    return "converted" if Path(name).suffix.lower() in CONVERTIBLE else "none"


@dataclass(frozen=True)
class Preview:
    status: Status
    message: str | None = None


class PreviewService:
    """Converts parts to PDF in one background thread; ``read`` gives a part's bytes by CID."""

    def __init__(self, root: Path, read: Callable[[str], Iterable[bytes]], *, converter: str | None, timeout: float) -> None:
        self.root = root
        self._read = read
        self._converter = shutil.which(converter) if converter else None
        self._timeout = timeout
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        root.mkdir(parents=True, exist_ok=True)

    @property
    def available(self) -> bool:
        return self._converter is not None

    def pdf_path(self, cid: str) -> Path:
        return self.root / f"{cid}.pdf"

    def _failed_path(self, cid: str) -> Path:
        return self.root / f"{cid}.failed"

    def status(self, cid: str) -> Preview:
        """Where the preview of part ``cid`` stands (no conversion is started)."""
        if self.pdf_path(cid).is_file():
            return Preview("ready")
        failed = self._failed_path(cid)
        try:
            if time.time() - failed.stat().st_mtime < FAILURE_KEPT:
                return Preview("failed", failed.read_text(encoding="utf-8", errors="replace")[:500])
            failed.unlink(missing_ok=True)  # a failure may have been the moment's (a busy machine): tried again
        except FileNotFoundError:
            pass
        with self._lock:
            if cid in self._pending:
                return Preview("converting")
        if not self.available:
            return Preview("unavailable", "LibreOffice (soffice) is not installed on the server")
        return Preview("unavailable")

    def request(self, cid: str, name: str) -> Preview:
        """The preview of part ``cid`` (file name ``name``), its conversion started if it has none yet."""
        current = self.status(cid)
        if current.status != "unavailable" or not self.available:
            return current
        with self._lock:
            if cid not in self._pending:
                self._pending.add(cid)
                self._queue.put((cid, name))
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="preview-converter", daemon=True)
                    self._thread.start()
        return Preview("converting")

    def wait(self, timeout: float) -> bool:
        """Wait until no conversion is pending (tests); whether that happened in time."""
        done = threading.Event()

        def check() -> None:
            while True:
                with self._lock:
                    if not self._pending:
                        done.set()
                        return
                if done.wait(0.1):
                    return

        waiter = threading.Thread(target=check, daemon=True)
        waiter.start()
        finished = done.wait(timeout)
        done.set()
        return finished

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            cid, name = job
            try:
                self._convert(cid, name)
            except Exception as error:  # noqa: BLE001 — any failure is this preview's, recorded for the page
                log.warning("preview of %s (%s) failed: %s", name, cid, error)
                self._write_atomically(self._failed_path(cid), str(error).encode())
            finally:
                with self._lock:
                    self._pending.discard(cid)

    def _convert(self, cid: str, name: str) -> None:
        assert self._converter is not None
        suffix = Path(name).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="preview-", dir=self.root) as work:
            source = Path(work) / f"part{suffix}"  # the submitted name may hold anything: never on a command line
            with open(source, "wb") as handle:
                for chunk in self._read(cid):
                    handle.write(chunk)
            out = Path(work) / "out"
            command = [
                self._converter,
                "--headless",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation=file://{work}/profile",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source),
            ]
            # Its own process group: on a timeout the whole of LibreOffice goes, not only the wrapper script.
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "HOME": work}, start_new_session=True
            )
            try:
                output, _ = process.communicate(timeout=self._timeout)
            except subprocess.TimeoutExpired as error:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise RuntimeError(f"the conversion took longer than {self._timeout:.0f} s") from error
            pdf = out / "part.pdf"
            if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
                detail = output.decode(errors="replace").strip()[-300:]
                raise RuntimeError(f"LibreOffice could not convert the file (exit {process.returncode}){': ' + detail if detail else ''}")
            os.replace(pdf, self.pdf_path(cid))

    def _write_atomically(self, path: Path, data: bytes) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

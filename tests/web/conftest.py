"""The web application in a real browser: Debian's Chromium driven by Playwright, against the
registry served by a live uvicorn on an anvil chain, with the built app (``make web``)."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from fastapi import FastAPI

from ledger_service.chain import ChainConfig, Ledger, Signer, free_port
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.live import live_server
from tests.utils.reference_data import require_tool
from tests.utils.registry import People, drain, new_signer, set_up_people, sign_in

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "lehrer-2026-passwort"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("EDULEDGER_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def write_keystore(path: Path, signer: Signer, password: str = PASSWORD, *, light: bool = True) -> Path:
    """A v3 keystore; ``light`` uses scrypt n=2^14 (the tests' speed), otherwise eth-account's default 2^18."""
    document = Account.encrypt(signer.private_key_bytes(), password, kdf="scrypt", iterations=2**14 if light else None)
    path.write_text(json.dumps(document))
    return path


class LossyProxy:
    """A loopback TCP proxy in front of the registry that can lose one answer: the request reaches the
    server and is carried out, but the browser's connection is cut before the answer arrives (what a
    dropped mobile connection does to an upload)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.lose_next: bytes | None = None  # drop the next answer whose status line starts so
        self.lost = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers and self.lose_next is not None and data.startswith(self.lose_next):
                    self.lose_next = None
                    self.lost += 1
                    target.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    target.shutdown(socket.SHUT_RDWR)  # the browser's connection is cut: no answer
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def close(self) -> None:
        self._server.close()


@dataclass
class World:
    base: str
    app: FastAPI
    http: httpx.Client
    people: People
    keystores: Path
    shots: Path | None
    browser: Any
    proxy: LossyProxy
    teachers: dict[str, tuple[Signer, Path]] = field(default_factory=dict)

    def new_teacher(self, label: str, *, light: bool = True, **profile: Any) -> tuple[Signer, Path]:
        """A teacher of the people's school with a keystore file (and a profile, if given)."""
        signer = new_signer()
        admin = self.people.admin
        admin.request("PUT", f"/users/{signer.address}", json={"institution_id": self.people.school_id, "roles": ["teacher"]})
        if profile:
            admin.request("PUT", f"/users/{signer.address}/profile", json=profile)
        keystore = write_keystore(self.keystores / f"{label}.json", signer, light=light)
        self.teachers[label] = (signer, keystore)
        return signer, keystore

    def page(self, viewport: dict[str, int] = DESKTOP) -> Any:
        context = self.browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" and "404" not in message.text else None)
        page.errors = errors  # type: ignore[attr-defined]
        return page

    def sign_in(self, page: Any, keystore: Path, password: str = PASSWORD, *, base: str | None = None) -> None:
        page.goto(f"{base or self.base}/app/login")
        page.set_input_files("#login-keystore", str(keystore))
        page.fill("#login-passphrase", password)
        page.get_by_role("button", name="解密并登录").click()
        page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)

    def shoot(self, page: Any, name: str) -> None:
        """Full-page screenshots at desktop and phone width into $EDULEDGER_SCREENSHOTS (outside the
        repository), to be looked at; without it none are taken (they cost time and nobody looks)."""
        if self.shots is None:
            return
        size = page.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(150)
            page.screenshot(path=str(self.shots / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(size)

    def axe(self, page: Any) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    chromium = require_tool("chromium", "chromium")
    _require((WEB_DIST / "index.html").is_file(), "the web application is not built (make web)")
    _require(AXE.is_file(), "axe-core is not installed (cd web && npm ci)")
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("web")
    shots = Path(os.environ["EDULEDGER_SCREENSHOTS"]) if os.environ.get("EDULEDGER_SCREENSHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    (root / "keystores").mkdir()
    port = free_port()
    with Ledger.open(ChainConfig(data_dir=root / "chain", anvil_port=0, snapshot_interval=0, block_time=None)) as ledger:
        settings = Settings(
            ENVIRONMENT="test",
            DATA_DIR=root / "data",
            DATABASE_URL=f"sqlite:///{root / 'registry.sqlite3'}",
            PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        app = create_app(settings, ledger=ledger)
        with live_server(app, port) as base, httpx.Client(base_url=base, timeout=60) as http, sync_playwright() as playwright:
            people = set_up_people(http, app=app)
            # Playwright gives each launch a fresh profile directory of its own.
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                proxy = LossyProxy(port)
                yield World(base, app, http, people, root / "keystores", shots, browser, proxy)
            finally:
                proxy.close()
                browser.close()


__all__ = ["DESKTOP", "PASSWORD", "PHONE", "World", "drain", "sign_in", "write_keystore"]

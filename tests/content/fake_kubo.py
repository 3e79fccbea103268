"""A FAKE Kubo RPC server for the tests (named as such): Kubo cannot be installed here (its npm
package downloads a binary at install time and no Debian package ships it). It answers the few
/api/v0 commands ``KuboContentStore`` uses, the way Kubo documents them, over a local store."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ledger_service import ContentNotFoundError
from ledger_service.chain import free_port
from ledger_service.content import CID, DAG_PB, RAW, ImportParams, LocalContentStore


def _app(store: LocalContentStore, calls: list[tuple[str, dict[str, str]]]) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
        calls.append((request.url.path, dict(request.query_params)))
        try:
            return await call_next(request)
        except ContentNotFoundError as exc:
            return JSONResponse({"Message": f"block was not found locally (offline): {exc}", "Code": 0}, status_code=500)

    @app.post("/api/v0/add")
    async def add(request: Request, file: UploadFile) -> PlainTextResponse:
        q = request.query_params
        assert q["chunker"] == "size-262144" and q["hash"] == "sha2-256" and q["trickle"] == "false"
        params = ImportParams(cid_version=int(q["cid-version"]), raw_leaves=q["raw-leaves"] == "true")
        root = store.add(io.BytesIO(await file.read()), params, pin=q["pin"] == "true")
        return PlainTextResponse(json.dumps({"Name": "file", "Hash": str(root.cid), "Size": str(root.tsize)}) + "\n")

    @app.post("/api/v0/cat")
    def cat(arg: str, offset: int = 0, length: int | None = None) -> Response:
        return Response(b"".join(store.cat(CID.parse(arg), offset, length)))

    @app.post("/api/v0/block/get")
    def block_get(arg: str) -> Response:
        # Kubo does not re-hash on read by default (HashOnRead is off): serve the file as stored.
        where = store.locate(CID.parse(arg))
        if where is None:
            raise ContentNotFoundError(f"block {arg} not found")
        with open(where.path, "rb") as handle:
            handle.seek(where.offset)
            return Response(handle.read(where.length))

    @app.post("/api/v0/block/stat")
    def block_stat(arg: str) -> JSONResponse:
        return JSONResponse({"Key": arg, "Size": len(store.get_block(CID.parse(arg)))})

    @app.post("/api/v0/block/put")
    async def block_put(request: Request, data: UploadFile) -> JSONResponse:
        codec = {"raw": RAW, "dag-pb": DAG_PB}[request.query_params["cid-codec"]]
        block = await data.read()
        cid = CID(1, codec, hashlib.sha256(block).digest())
        store._commit_block(cid, block)
        return JSONResponse({"Key": str(cid), "Size": len(block)})

    @app.post("/api/v0/pin/ls")
    def pin_ls() -> JSONResponse:
        return JSONResponse({"Keys": {str(cid): {"Type": "recursive"} for cid in store.pins()}})

    @app.post("/api/v0/repo/gc")
    def repo_gc() -> PlainTextResponse:
        store.gc()
        return PlainTextResponse("")

    @app.post("/api/v0/pin/add")
    def pin_add(arg: str) -> JSONResponse:
        store.pin(CID.parse(arg))
        return JSONResponse({"Pins": [arg]})

    @app.post("/api/v0/pin/rm")
    def pin_rm(arg: str) -> JSONResponse:
        store.unpin(CID.parse(arg))
        return JSONResponse({"Pins": [arg]})

    @app.post("/api/v0/dag/export")
    def dag_export(arg: str) -> Response:
        return Response(b"".join(store.export_car(CID.parse(arg))))

    @app.post("/api/v0/dag/import")
    async def dag_import(file: UploadFile) -> PlainTextResponse:
        roots = store.import_car(io.BytesIO(await file.read()))
        return PlainTextResponse("".join(json.dumps({"Root": {"Cid": {"/": str(r)}}}) + "\n" for r in roots))

    return app


@contextmanager
def fake_kubo(root: Path) -> Iterator[tuple[str, LocalContentStore, list[tuple[str, dict[str, str]]]]]:
    """Serve a fake Kubo on loopback; yields (multiaddr, its store, the calls it received)."""
    store = LocalContentStore(root)
    calls: list[tuple[str, dict[str, str]]] = []
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_app(store, calls), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    try:
        yield f"/ip4/127.0.0.1/tcp/{port}", store, calls
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()

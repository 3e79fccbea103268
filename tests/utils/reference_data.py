"""Reproducible inputs behind Kubo's own CID test vectors (see ../shared/conformance/kubo-cid-vectors.md)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

# A few lines of our own Go: Go's math/rand stream is what Kubo's tests hash (io.CopyN).
_GORAND = """package main

import (
\t"io"
\t"math/rand"
\t"os"
\t"strconv"
)

func main() {
\tseed, _ := strconv.ParseInt(os.Args[1], 10, 64)
\tsize, _ := strconv.ParseInt(os.Args[2], 10, 64)
\tio.CopyN(os.Stdout, rand.New(rand.NewSource(seed)), size)
}
"""


def chacha(seed: str, size: int) -> bytes:
    """Kubo's test data: ChaCha20 keystream, key sha256(seed), zero nonce and counter."""
    encryptor = Cipher(algorithms.ChaCha20(hashlib.sha256(seed.encode()).digest(), b"\0" * 16), mode=None).encryptor()
    return encryptor.update(b"\0" * size)


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not installed (Debian package {package}; `make test` installs it)"
        if os.environ.get("EDULEDGER_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def gorand(seed: int, size: int, workdir: Path) -> Path:
    """The first ``size`` bytes of Go's math/rand.New(rand.NewSource(seed)), written to a file."""
    go = require_tool("go", "golang-go")
    source = workdir / "gorand.go"
    source.write_text(_GORAND)
    target = workdir / f"gorand-{seed}-{size}.bin"
    env = {**os.environ, "GOCACHE": str(workdir / "gocache"), "GO111MODULE": "off"}
    with open(target, "wb") as out:
        subprocess.run([go, "run", str(source), str(seed), str(size)], stdout=out, check=True, env=env, timeout=300)
    return target

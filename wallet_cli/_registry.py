"""Talking to a registry over HTTP as a wallet does: sign in (EIP-4361), submit resources with the
lead author's EIP-712 signature, and confirm a co-authorship with the co-author's own. The registry
is never imported: only its HTTP API is used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ledger_service import EduLedgerError
from ledger_service.chain import AuthorshipConfirmation, Eip712Domain, Registration, Signer, eip191_digest, metadata_hash
from ledger_service.content import ImportParams, bundle_root

__all__ = ["RegistryClient", "RegistryError"]


class RegistryError(EduLedgerError):
    """The registry refused a request; ``status`` and ``code`` are its HTTP status and error code."""

    def __init__(self, message: str, *, status: int, code: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body or {}


Files = Mapping[str, bytes | Path]


def _bytes_of(content: bytes | Path) -> bytes:
    return content if isinstance(content, bytes) else content.read_bytes()


class RegistryClient:
    """A signed-in session with a registry for one key. ``http`` is any httpx client (base URL set)."""

    def __init__(self, http: httpx.Client, signer: Signer) -> None:
        self.http = http
        self.signer = signer
        self.token: str | None = None
        self.roles: list[str] = []

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": "http_error", "message": response.text[:300]}
            raise RegistryError(
                f"{response.status_code} {body.get('error')}: {body.get('message')}",
                status=response.status_code,
                code=str(body.get("error")),
                body=body,
            )
        return response.json() if response.content else None

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request with the session token; raise :class:`RegistryError` on a 4xx/5xx answer."""
        return self._answer(self.http.request(method, path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs))

    def sign_in(self) -> dict[str, Any]:
        """Ask for a challenge, sign it with ``personal_sign``, keep the session token."""
        challenge = self.request("POST", "/auth/challenge", json={"address": self.signer.address})
        signature = self.signer.sign_digest(eip191_digest(challenge["message"].encode()))
        session: dict[str, Any] = self.request(
            "POST", "/auth/session", json={"message": challenge["message"], "signature": "0x" + signature.hex()}
        )
        self.token = session["token"]
        self.roles = list(session["roles"])
        return session

    def login_link(self) -> dict[str, Any]:
        """A one-time link that signs a browser in as this account (``{url, expires_at}``)."""
        link: dict[str, Any] = self.request("POST", "/auth/links")
        return link

    def sign_out(self) -> None:
        """End this session: its token stops working."""
        self.request("DELETE", "/auth/session")
        self.token = None

    def signed_metadata(
        self,
        files: Files,
        metadata: Mapping[str, Any],
        *,
        resource_id: int | None = None,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> dict[str, Any]:
        """``metadata`` with its ``registration``: the root CID of ``files`` and the lead author's EIP-712 signature."""
        info = self.request("GET", "/resources/registration-info", params={"resource_id": resource_id} if resource_id else None)
        params = ImportParams(cid_version=info["cid_version"], raw_leaves=info["raw_leaves"])
        root = bundle_root({name: _bytes_of(content) for name, content in files.items()}, params)
        signed = {key: value for key, value in metadata.items() if key != "registration"}
        registration = Registration(
            content_hash=root.cid.digest,
            cid=str(root.cid),
            metadata_hash=metadata_hash(signed),
            authors=[a["address"] for a in signed["authors"]],
            shares=[a["share"] for a in signed["authors"]],
            licence=signed["licence"],
            nonce=info["nonce"] if nonce is None else nonce,
            deadline=deadline if deadline is not None else int(time.time()) + 3600,
            predecessor=info["predecessor"],
        )
        domain = Eip712Domain(chain_id=info["chain_id"], verifying_contract=info["verifying_contract"])
        signature = self.signer.sign_digest(domain.digest(registration.struct_hash()))
        return {
            **signed,
            "registration": {
                "cid": registration.cid,
                "nonce": registration.nonce,
                "deadline": registration.deadline,
                "signature": "0x" + signature.hex(),
            },
        }

    def upload(self, files: Files, metadata: Mapping[str, Any], *, resource_id: int | None = None) -> dict[str, Any]:
        """POST the metadata (as signed) and the files; answers the new version."""
        parts: list[tuple[str, tuple[str | None, Any, str]]] = [
            ("metadata", (None, json.dumps(metadata, ensure_ascii=False).encode(), "application/json"))
        ]
        for name, content in files.items():
            parts.append(
                ("files", (name, _bytes_of(content) if isinstance(content, bytes) else content.open("rb"), "application/octet-stream"))
            )
        path = f"/resources/{resource_id}/versions" if resource_id else "/resources"
        try:
            version: dict[str, Any] = self.request("POST", path, files=parts)
        finally:
            for _, (_, body, _) in parts:
                if hasattr(body, "close"):
                    body.close()
        return version

    def submit(self, files: Files, metadata: Mapping[str, Any], *, resource_id: int | None = None) -> dict[str, Any]:
        """Sign and upload: a new resource, or with ``resource_id`` a new version of it."""
        return self.upload(files, self.signed_metadata(files, metadata, resource_id=resource_id), resource_id=resource_id)

    def confirm_authorship(self, resource_id: int, number: int, *, deadline: int | None = None) -> dict[str, Any]:
        """Confirm, as a co-author, the share the lead author listed for this key in a version: the
        EIP-712 ``AuthorshipConfirmation`` is signed here (the key never leaves the wallet) and sent."""
        path = f"/resources/{resource_id}/versions/{number}/authorship"
        info = self.request("GET", path)
        mine = next((a for a in info["authors"] if a["address"] == self.signer.address), None)
        if mine is None or mine["status"] == "lead":
            raise RegistryError(
                f"{self.signer.address} is not a co-author of resource {resource_id} version {number}", status=403, code="forbidden"
            )
        request = AuthorshipConfirmation(
            content_hash=bytes.fromhex(info["content_hash"][2:]),
            author=self.signer.address,
            share=int(mine["share"]),
            deadline=deadline if deadline is not None else int(time.time()) + 3600,
        )
        domain = Eip712Domain(chain_id=info["chain_id"], verifying_contract=info["verifying_contract"])
        signature = self.signer.sign_digest(domain.digest(request.struct_hash()))
        answer: dict[str, Any] = self.request("POST", path, json={"deadline": request.deadline, "signature": "0x" + signature.hex()})
        return answer

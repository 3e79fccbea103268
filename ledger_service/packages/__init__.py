"""Recommendation packages (推荐国家平台): build one for the national platform, and verify one
received, end to end against the chain, without the sender's registry."""

from __future__ import annotations

from ._package import MANIFEST_TYPE, SIGNATURE_TYPE, PackageLimits, build_package, check_car, sign_manifest, verify_package

__all__ = ["MANIFEST_TYPE", "PackageLimits", "SIGNATURE_TYPE", "build_package", "check_car", "sign_manifest", "verify_package"]

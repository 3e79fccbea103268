"""Personal data, encrypted at rest with a key per subject, erasable by destroying that key."""

from __future__ import annotations

from ._vault import MINIMUM_AGE_WITHOUT_CONSENT, MasterKey, NewSubject, Vault, age_on

__all__ = ["MINIMUM_AGE_WITHOUT_CONSENT", "MasterKey", "NewSubject", "Vault", "age_on"]

"""The contracts' vocabulary in Python, derived from the compiled artifacts — written nowhere else.

- Enums (institution kinds, certificate kinds and levels, resource statuses): their members come
  from the artifacts (the compiler's syntax tree), so a contract that adds, removes or reorders a
  member changes them here with the next ``compile``; a name the Python code relies on that the
  contract no longer has fails at import (see :func:`_members`), not at the first transaction.
- Roles: ``keccak256(name)``, for the names the contract publishes as ``bytes32 public constant
  X_ROLE`` getters (from its ABI); a test reads the getters on a chain and compares.
- Credential types: the ids issuers are accredited for, ``keccak256("EduLedger.<Type>")``. The
  certificate types follow ``CertificateRegistry.credentialTypeOf`` (checked by a test against
  the contract); the others are the registry's own, named once here.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from ._artifacts import load_artifacts

__all__ = [
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "CERTIFICATE_TYPES",
    "CREDENTIAL_TYPES",
    "CREDIT_GRANT_TYPE",
    "DEFAULT_ADMIN_ROLE",
    "INSTITUTION_KINDS",
    "ISSUER_ROLE",
    "REGISTRAR_ROLE",
    "RESOURCE_STATUSES",
    "REVIEWER_ROLE",
    "STATUS_LIST_TYPE",
    "contract_enum",
    "credential_type_id",
    "role_id",
]


def contract_enum(contract: str, enum: str) -> tuple[str, ...]:
    """The members of ``enum`` (e.g. ``ICertificateRegistry.Kind``) as ``contract``'s artifact records them."""
    enums = load_artifacts()[contract].enums
    if enum not in enums:
        raise LookupError(f"{contract} has no enum {enum} in its compiled artifact (known: {', '.join(sorted(enums)) or 'none'})")
    return enums[enum]


def _members(contract: str, enum: str, expected: set[str]) -> tuple[str, ...]:
    members = contract_enum(contract, enum)
    missing = expected - set(members)
    if missing:  # the Python side names these; the contract changed under it
        raise LookupError(f"{contract}'s {enum} no longer has {', '.join(sorted(missing))}: update the code that uses them")
    return members


def role_id(contract: str, name: str) -> bytes:
    """``keccak256(name)`` for a role ``contract`` publishes as a public constant getter."""
    getters = {item["name"] for item in load_artifacts()[contract].abi if item.get("type") == "function" and not item.get("inputs")}
    if name not in getters:
        raise LookupError(f"{contract} publishes no role {name}")
    return keccak(name.encode())


def credential_type_id(name: str) -> bytes:
    """The id of credential type ``name`` (``GrowthRecord`` → ``keccak256("EduLedger.GrowthRecord")``)."""
    return keccak(f"EduLedger.{name}".encode())


# Enums: lower-case names for the API and the database, each mapped to its code on chain.
_KINDS = _members("CertificateRegistry", "ICertificateRegistry.Kind", {"Inclusion", "Collection", "Selection", "Recommendation"})
CERTIFICATE_KINDS: dict[str, int] = {name.lower(): code for code, name in enumerate(_KINDS)}
CERTIFICATE_LEVELS: dict[str, int] = {
    name.lower(): code
    for code, name in enumerate(_members("CertificateRegistry", "ICertificateRegistry.Level", {"School", "District", "City", "National"}))
}
INSTITUTION_KINDS: dict[str, int] = {
    name.lower(): code
    for code, name in enumerate(
        _members("InstitutionRegistry", "IInstitutionRegistry.InstitutionKind", {"None", "Ministry", "City", "District", "School"})
    )
    if name != "None"  # the zero value marks "no such institution"
}
RESOURCE_STATUSES: dict[str, int] = {
    name.lower(): code
    for code, name in enumerate(
        _members("ResourceRegistry", "IResourceRegistry.Status", {"None", "Registered", "Included", "Withdrawn", "Superseded"})
    )
}

# Roles.
DEFAULT_ADMIN_ROLE = b"\0" * 32  # AccessControl's own: zero, not a hash
REVIEWER_ROLE = role_id("InstitutionRegistry", "REVIEWER_ROLE")
REGISTRAR_ROLE = role_id("InstitutionRegistry", "REGISTRAR_ROLE")
ISSUER_ROLE = role_id("InstitutionRegistry", "ISSUER_ROLE")

# Credential types.
CERTIFICATE_TYPES: dict[str, bytes] = {name.lower(): credential_type_id(f"{name}Certificate") for name in _KINDS}
CREDENTIAL_TYPES: dict[str, bytes] = {
    "growth_record": credential_type_id("GrowthRecord"),
    "professional_development": credential_type_id("ProfessionalDevelopment"),
}
STATUS_LIST_TYPE = credential_type_id("StatusList")  # CredentialAnchor accredits list updates under it
CREDIT_GRANT_TYPE = credential_type_id("CreditGrant")
CONTRIBUTION_STATEMENT_TYPE = credential_type_id("ContributionStatement")  # teachers' contribution statements

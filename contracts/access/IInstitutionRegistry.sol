// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (access/IInstitutionRegistry.sol)
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/**
 * @dev The permissioned membership of EduLedger: institutions in an accreditation tree, the
 * issuer keys each institution holds, and the roles of the platform's accounts.
 *
 * Times are Unix seconds. A window `[validFrom, validUntil)` is half-open; `revokedFrom == 0`
 * means "not revoked", otherwise the grant stops counting from `revokedFrom` on. Every check
 * takes the time to judge at, so a credential is judged by the state at its anchoring time and
 * later rotations or revocations never invalidate earlier credentials.
 */
interface IInstitutionRegistry is IAccessControl {
    /// @dev Levels of the institution tree (教育部 / 市教育局 / 区教育局 / 学校, plus the platform itself).
    enum InstitutionKind {
        None,
        Ministry,
        Province,
        City,
        District,
        School,
        Platform
    }

    /// @dev An institution. Names and contacts live off chain; only the tree and the admin key live here.
    struct Institution {
        bytes32 parentId;
        address admin;
        uint64 registeredAt;
        InstitutionKind kind;
    }

    /// @dev A parent's grant to a child to issue one credential type during a window.
    struct Accreditation {
        bytes32 accreditorId;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedFrom;
    }

    /// @dev An issuer key of an institution and the window in which it may sign.
    struct IssuerKey {
        bytes32 institutionId;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedFrom;
    }

    /**
     * @dev `account` may not act for `institutionId`.
     * @param account the caller.
     * @param institutionId the institution it tried to act for.
     */
    error InstitutionRegistryUnauthorizedAccount(address account, bytes32 institutionId);

    /**
     * @dev No institution is registered under `institutionId`.
     * @param institutionId the unknown identifier.
     */
    error InstitutionRegistryUnknownInstitution(bytes32 institutionId);

    /**
     * @dev An institution is already registered under `institutionId`.
     * @param institutionId the identifier in use.
     */
    error InstitutionRegistryInstitutionExists(bytes32 institutionId);

    /**
     * @dev The institution record is malformed (zero identifier, zero admin or no kind).
     * @param institutionId the identifier given.
     */
    error InstitutionRegistryInvalidInstitution(bytes32 institutionId);

    /**
     * @dev The window `[validFrom, validUntil)` is empty.
     * @param validFrom start of the window.
     * @param validUntil end of the window.
     */
    error InstitutionRegistryInvalidWindow(uint64 validFrom, uint64 validUntil);

    /**
     * @dev The accrediting parent is itself not accredited for `credentialType` now.
     * @param parentId the parent institution.
     * @param credentialType the type it tried to pass on.
     */
    error InstitutionRegistryParentNotAccredited(bytes32 parentId, bytes32 credentialType);

    /**
     * @dev `institutionId` holds no accreditation for `credentialType`.
     * @param institutionId the institution.
     * @param credentialType the type.
     */
    error InstitutionRegistryNotAccredited(bytes32 institutionId, bytes32 credentialType);

    /**
     * @dev `key` is already an issuer key (of `institutionId`); a key belongs to one institution for ever.
     * @param key the key.
     * @param institutionId the institution that holds it.
     */
    error InstitutionRegistryKeyExists(address key, bytes32 institutionId);

    /**
     * @dev `key` is not a registered issuer key.
     * @param key the key.
     */
    error InstitutionRegistryUnknownKey(address key);

    /**
     * @dev The Ed25519 signing key `publicKey` is already registered, to `institutionId`.
     * @param publicKey the raw 32-byte Ed25519 public key.
     * @param institutionId the institution that holds it.
     */
    error InstitutionRegistrySigningKeyExists(bytes32 publicKey, bytes32 institutionId);

    /**
     * @dev `publicKey` is not a registered Ed25519 signing key.
     * @param publicKey the raw 32-byte Ed25519 public key.
     */
    error InstitutionRegistryUnknownSigningKey(bytes32 publicKey);

    /**
     * @dev The grant is already revoked (from `revokedFrom`).
     * @param revokedFrom the time the earlier revocation took effect.
     */
    error InstitutionRegistryAlreadyRevoked(uint64 revokedFrom);

    /**
     * @dev A revocation must take effect at a time: `revokedFrom == 0` is how the registry records
     * "not revoked", so revoking "from 0" would report a revocation and leave the grant valid.
     * @param revokedFrom the time given (zero).
     */
    error InstitutionRegistryInvalidRevocationTime(uint64 revokedFrom);

    /**
     * @dev Emitted when an institution joins the tree.
     * @param institutionId the new institution.
     * @param parentId its parent (zero for a root).
     * @param kind its level.
     * @param admin its administrator account.
     */
    event InstitutionRegistered(
        bytes32 indexed institutionId,
        bytes32 indexed parentId,
        InstitutionKind kind,
        address admin
    );

    /**
     * @dev Emitted when an institution's administrator account changes.
     * @param institutionId the institution.
     * @param previousAdmin the account replaced.
     * @param newAdmin the account now in charge.
     */
    event InstitutionAdminChanged(bytes32 indexed institutionId, address previousAdmin, address newAdmin);

    /**
     * @dev Emitted when an institution is accredited for a credential type.
     * @param institutionId the accredited institution.
     * @param credentialType the type.
     * @param accreditorId the accrediting parent (zero: governance).
     * @param validFrom start of the window.
     * @param validUntil end of the window.
     */
    event Accredited(
        bytes32 indexed institutionId,
        bytes32 indexed credentialType,
        bytes32 accreditorId,
        uint64 validFrom,
        uint64 validUntil
    );

    /**
     * @dev Emitted when an accreditation is revoked from a time on.
     * @param institutionId the institution.
     * @param credentialType the type.
     * @param revokedFrom the time from which it no longer counts.
     */
    event AccreditationRevoked(bytes32 indexed institutionId, bytes32 indexed credentialType, uint64 revokedFrom);

    /**
     * @dev Emitted when an issuer key is added to an institution.
     * @param institutionId the institution.
     * @param key the key.
     * @param validFrom start of the key's window.
     * @param validUntil end of the key's window.
     */
    event IssuerKeyAdded(bytes32 indexed institutionId, address indexed key, uint64 validFrom, uint64 validUntil);

    /**
     * @dev Emitted when an issuer key is revoked from a time on.
     * @param institutionId the institution.
     * @param key the key.
     * @param revokedFrom the time from which it no longer counts.
     */
    event IssuerKeyRevoked(bytes32 indexed institutionId, address indexed key, uint64 revokedFrom);

    /**
     * @dev Emitted when an Ed25519 credential-signing key is registered to an institution.
     * @param institutionId the institution.
     * @param publicKey the raw 32-byte Ed25519 public key.
     * @param validFrom start of the key's window.
     * @param validUntil end of the key's window.
     */
    event SigningKeyAdded(bytes32 indexed institutionId, bytes32 indexed publicKey, uint64 validFrom, uint64 validUntil);

    /**
     * @dev Emitted when an Ed25519 signing key is revoked from a time on.
     * @param institutionId the institution.
     * @param publicKey the raw 32-byte Ed25519 public key.
     * @param revokedFrom the time from which it no longer counts.
     */
    event SigningKeyRevoked(bytes32 indexed institutionId, bytes32 indexed publicKey, uint64 revokedFrom);

    /// @dev Returns the institution registered under `institutionId` (all zero if none).
    function institution(bytes32 institutionId) external view returns (Institution memory);

    /// @dev Returns the accreditation of `institutionId` for `credentialType` (all zero if none).
    function accreditation(bytes32 institutionId, bytes32 credentialType) external view returns (Accreditation memory);

    /// @dev Returns the issuer-key record of `key` (all zero if none).
    function issuerKey(address key) external view returns (IssuerKey memory);

    /// @dev Returns the record of Ed25519 signing key `publicKey` (all zero if none).
    function signingKey(bytes32 publicKey) external view returns (IssuerKey memory);

    /**
     * @dev Returns whether Ed25519 key `publicKey` belonged to `institutionId` and lay inside its
     * window, not revoked, at `time`: the check a verifier makes for a credential's Data Integrity
     * signature at the credential's anchoring time.
     */
    function isValidSigningKey(bytes32 publicKey, bytes32 institutionId, uint64 time) external view returns (bool);

    /**
     * @dev Returns whether `institutionId` was accredited for `credentialType` at `time`, the
     * whole chain of accreditors up to governance included.
     */
    function isAccredited(bytes32 institutionId, bytes32 credentialType, uint64 time) external view returns (bool);

    /**
     * @dev Returns whether `key` of `institutionId` was authorised to issue `credentialType` at `time`:
     * the key belongs to the institution, lies inside its window and is not revoked at `time`, and
     * the institution is accredited for the type at `time`.
     */
    function isAuthorizedIssuer(
        address key,
        bytes32 institutionId,
        bytes32 credentialType,
        uint64 time
    ) external view returns (bool);
}

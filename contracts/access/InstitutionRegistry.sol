// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (access/InstitutionRegistry.sol)
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IInstitutionRegistry} from "./IInstitutionRegistry.sol";

/**
 * @dev The directory every other EduLedger contract asks "who may do this?".
 *
 * Roles (OpenZeppelin {AccessControl}):
 *
 * - `DEFAULT_ADMIN_ROLE`: governance. Registers root institutions, accredits roots, grants roles,
 *   and may act for any institution (recovery).
 * - `REGISTRAR_ROLE`: the platform's relayer. Relays teachers' signed registrations so teachers
 *   never need gas, and records review outcomes.
 * - `REVIEWER_ROLE`: reviewers (教研员, experts) admitted to review resources.
 * - `ISSUER_ROLE`: held by every registered issuer key while it is not revoked, so that "is this
 *   account an issuer?" is one lookup. Whether a key could issue a type at a time is answered by
 *   {isAuthorizedIssuer}, which judges windows, not this role.
 *
 * Institutions form a tree (ministry → city → district → school). A parent's administrator
 * registers children, accredits them for credential types it is itself accredited for, and can
 * revoke an accreditation from a time on. Accreditation is judged along the whole chain: revoking
 * a district from time `t` also stops its schools from `t`, never before.
 */
contract InstitutionRegistry is IInstitutionRegistry, AccessControl {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant REVIEWER_ROLE = keccak256("REVIEWER_ROLE");
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @dev Deepest accreditation chain followed by {isAccredited}; the tree has five levels.
    uint256 private constant _MAX_DEPTH = 8;

    mapping(bytes32 institutionId => Institution) private _institutions;
    mapping(bytes32 institutionId => mapping(bytes32 credentialType => Accreditation)) private _accreditations;
    mapping(address key => IssuerKey) private _issuerKeys;
    mapping(bytes32 publicKey => IssuerKey) private _signingKeys;

    /**
     * @dev Sets `governance` as the holder of `DEFAULT_ADMIN_ROLE`.
     */
    constructor(address governance) {
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
    }

    /**
     * @dev Registers institution `institutionId` under `parentId` (zero for a root) with `admin` as its
     * administrator account.
     *
     * Requirements:
     *
     * - the caller is governance, or the administrator of `parentId` (roots: governance only).
     * - `institutionId` and `admin` are non-zero, `kind` is not `None`, and the id is unused.
     *
     * Emits an {InstitutionRegistered} event.
     */
    function registerInstitution(bytes32 institutionId, bytes32 parentId, InstitutionKind kind, address admin) external {
        if (parentId == bytes32(0)) {
            _checkRole(DEFAULT_ADMIN_ROLE);
        } else {
            _checkInstitutionAdmin(parentId, msg.sender);
        }
        if (institutionId == bytes32(0) || admin == address(0) || kind == InstitutionKind.None) {
            revert InstitutionRegistryInvalidInstitution(institutionId);
        }
        if (_institutions[institutionId].kind != InstitutionKind.None) {
            revert InstitutionRegistryInstitutionExists(institutionId);
        }
        _institutions[institutionId] = Institution({
            parentId: parentId,
            admin: admin,
            registeredAt: uint64(block.timestamp),
            kind: kind
        });
        emit InstitutionRegistered(institutionId, parentId, kind, admin);
    }

    /**
     * @dev Replaces the administrator account of `institutionId` (key rotation).
     *
     * Requirements:
     *
     * - the caller is the current administrator, an administrator up the tree, or governance.
     * - `newAdmin` is non-zero.
     *
     * Emits an {InstitutionAdminChanged} event.
     */
    function setInstitutionAdmin(bytes32 institutionId, address newAdmin) external {
        _checkInstitutionAdmin(institutionId, msg.sender);
        if (newAdmin == address(0)) {
            revert InstitutionRegistryInvalidInstitution(institutionId);
        }
        address previousAdmin = _institutions[institutionId].admin;
        _institutions[institutionId].admin = newAdmin;
        emit InstitutionAdminChanged(institutionId, previousAdmin, newAdmin);
    }

    /**
     * @dev Accredits `institutionId` to issue `credentialType` during `[validFrom, validUntil)`,
     * replacing any earlier accreditation for that type.
     *
     * Requirements:
     *
     * - the caller administers the institution's parent (or an institution above it), or is governance;
     *   a root institution is accredited by governance only.
     * - the window is not empty.
     * - a non-root parent is itself accredited for `credentialType` now.
     *
     * Emits an {Accredited} event.
     */
    function accredit(bytes32 institutionId, bytes32 credentialType, uint64 validFrom, uint64 validUntil) external {
        bytes32 parentId = _requireInstitution(institutionId).parentId;
        if (parentId == bytes32(0)) {
            _checkRole(DEFAULT_ADMIN_ROLE);
        } else {
            _checkInstitutionAdmin(parentId, msg.sender);
            if (!isAccredited(parentId, credentialType, uint64(block.timestamp))) {
                revert InstitutionRegistryParentNotAccredited(parentId, credentialType);
            }
        }
        if (validFrom >= validUntil) {
            revert InstitutionRegistryInvalidWindow(validFrom, validUntil);
        }
        _accreditations[institutionId][credentialType] = Accreditation({
            accreditorId: parentId,
            validFrom: validFrom,
            validUntil: validUntil,
            revokedFrom: 0
        });
        emit Accredited(institutionId, credentialType, parentId, validFrom, validUntil);
    }

    /**
     * @dev Revokes the accreditation of `institutionId` for `credentialType` from `revokedFrom` on.
     * Credentials anchored before `revokedFrom` stay valid.
     *
     * Requirements:
     *
     * - the caller administers the institution's parent (or above), or is governance.
     * - the accreditation exists and is not already revoked.
     * - `revokedFrom` is not zero (zero means "not revoked").
     *
     * Emits an {AccreditationRevoked} event.
     */
    function revokeAccreditation(bytes32 institutionId, bytes32 credentialType, uint64 revokedFrom) external {
        bytes32 parentId = _requireInstitution(institutionId).parentId;
        if (parentId == bytes32(0)) {
            _checkRole(DEFAULT_ADMIN_ROLE);
        } else {
            _checkInstitutionAdmin(parentId, msg.sender);
        }
        Accreditation storage grant = _accreditations[institutionId][credentialType];
        if (grant.validUntil == 0) {
            revert InstitutionRegistryNotAccredited(institutionId, credentialType);
        }
        if (grant.revokedFrom != 0) {
            revert InstitutionRegistryAlreadyRevoked(grant.revokedFrom);
        }
        _checkRevocationTime(revokedFrom);
        grant.revokedFrom = revokedFrom;
        emit AccreditationRevoked(institutionId, credentialType, revokedFrom);
    }

    /**
     * @dev Adds `key` as an issuer key of `institutionId`, valid during `[validFrom, validUntil)`, and
     * grants it `ISSUER_ROLE`.
     *
     * Requirements:
     *
     * - the caller administers the institution (or one above it), or is governance.
     * - `key` is non-zero and was never an issuer key before.
     * - the window is not empty.
     *
     * Emits an {IssuerKeyAdded} event.
     */
    function addIssuerKey(bytes32 institutionId, address key, uint64 validFrom, uint64 validUntil) external {
        _checkInstitutionAdmin(institutionId, msg.sender);
        if (key == address(0)) {
            revert InstitutionRegistryUnknownKey(key);
        }
        bytes32 holder = _issuerKeys[key].institutionId;
        if (holder != bytes32(0)) {
            revert InstitutionRegistryKeyExists(key, holder);
        }
        if (validFrom >= validUntil) {
            revert InstitutionRegistryInvalidWindow(validFrom, validUntil);
        }
        _issuerKeys[key] = IssuerKey({
            institutionId: institutionId,
            validFrom: validFrom,
            validUntil: validUntil,
            revokedFrom: 0
        });
        _grantRole(ISSUER_ROLE, key);
        emit IssuerKeyAdded(institutionId, key, validFrom, validUntil);
    }

    /**
     * @dev Revokes issuer key `key` from `revokedFrom` on and takes away its `ISSUER_ROLE`.
     * Credentials it anchored before `revokedFrom` stay valid.
     *
     * Requirements:
     *
     * - `key` is a registered issuer key, not already revoked.
     * - `revokedFrom` is not zero (zero means "not revoked").
     * - the caller administers the key's institution (or one above it), or is governance.
     *
     * Emits an {IssuerKeyRevoked} event.
     */
    function revokeIssuerKey(address key, uint64 revokedFrom) external {
        IssuerKey storage record = _issuerKeys[key];
        if (record.institutionId == bytes32(0)) {
            revert InstitutionRegistryUnknownKey(key);
        }
        _checkInstitutionAdmin(record.institutionId, msg.sender);
        if (record.revokedFrom != 0) {
            revert InstitutionRegistryAlreadyRevoked(record.revokedFrom);
        }
        _checkRevocationTime(revokedFrom);
        record.revokedFrom = revokedFrom;
        _revokeRole(ISSUER_ROLE, key);
        emit IssuerKeyRevoked(record.institutionId, key, revokedFrom);
    }

    /**
     * @dev Registers the Ed25519 public key `publicKey` as a credential-signing key of `institutionId`,
     * valid during `[validFrom, validUntil)`. Verifiers accept a credential's Data Integrity signature
     * only if its key was valid for the anchoring institution at the anchoring time.
     *
     * Requirements:
     *
     * - the caller administers the institution (or one above it), or is governance.
     * - `publicKey` is non-zero and was never registered before.
     * - the window is not empty.
     *
     * Emits a {SigningKeyAdded} event.
     */
    function addSigningKey(bytes32 institutionId, bytes32 publicKey, uint64 validFrom, uint64 validUntil) external {
        _checkInstitutionAdmin(institutionId, msg.sender);
        if (publicKey == bytes32(0)) {
            revert InstitutionRegistryUnknownSigningKey(publicKey);
        }
        bytes32 holder = _signingKeys[publicKey].institutionId;
        if (holder != bytes32(0)) {
            revert InstitutionRegistrySigningKeyExists(publicKey, holder);
        }
        if (validFrom >= validUntil) {
            revert InstitutionRegistryInvalidWindow(validFrom, validUntil);
        }
        _signingKeys[publicKey] = IssuerKey({
            institutionId: institutionId,
            validFrom: validFrom,
            validUntil: validUntil,
            revokedFrom: 0
        });
        emit SigningKeyAdded(institutionId, publicKey, validFrom, validUntil);
    }

    /**
     * @dev Revokes Ed25519 signing key `publicKey` from `revokedFrom` on. Credentials anchored before
     * `revokedFrom` keep verifying.
     *
     * Requirements:
     *
     * - `publicKey` is a registered signing key, not already revoked.
     * - `revokedFrom` is not zero (zero means "not revoked").
     * - the caller administers the key's institution (or one above it), or is governance.
     *
     * Emits a {SigningKeyRevoked} event.
     */
    function revokeSigningKey(bytes32 publicKey, uint64 revokedFrom) external {
        IssuerKey storage record = _signingKeys[publicKey];
        if (record.institutionId == bytes32(0)) {
            revert InstitutionRegistryUnknownSigningKey(publicKey);
        }
        _checkInstitutionAdmin(record.institutionId, msg.sender);
        if (record.revokedFrom != 0) {
            revert InstitutionRegistryAlreadyRevoked(record.revokedFrom);
        }
        _checkRevocationTime(revokedFrom);
        record.revokedFrom = revokedFrom;
        emit SigningKeyRevoked(record.institutionId, publicKey, revokedFrom);
    }

    /// @inheritdoc IInstitutionRegistry
    function institution(bytes32 institutionId) external view returns (Institution memory) {
        return _institutions[institutionId];
    }

    /// @inheritdoc IInstitutionRegistry
    function accreditation(bytes32 institutionId, bytes32 credentialType) external view returns (Accreditation memory) {
        return _accreditations[institutionId][credentialType];
    }

    /// @inheritdoc IInstitutionRegistry
    function issuerKey(address key) external view returns (IssuerKey memory) {
        return _issuerKeys[key];
    }

    /// @inheritdoc IInstitutionRegistry
    function signingKey(bytes32 publicKey) external view returns (IssuerKey memory) {
        return _signingKeys[publicKey];
    }

    /// @inheritdoc IInstitutionRegistry
    function isValidSigningKey(bytes32 publicKey, bytes32 institutionId, uint64 time) external view returns (bool) {
        IssuerKey storage record = _signingKeys[publicKey];
        return
            institutionId != bytes32(0) &&
            record.institutionId == institutionId &&
            _inWindow(record.validFrom, record.validUntil, record.revokedFrom, time);
    }

    /// @inheritdoc IInstitutionRegistry
    function isAccredited(bytes32 institutionId, bytes32 credentialType, uint64 time) public view returns (bool) {
        bytes32 current = institutionId;
        for (uint256 depth = 0; depth < _MAX_DEPTH; ++depth) {
            Accreditation storage grant = _accreditations[current][credentialType];
            if (!_inWindow(grant.validFrom, grant.validUntil, grant.revokedFrom, time)) {
                return false;
            }
            if (grant.accreditorId == bytes32(0)) {
                return true;
            }
            current = grant.accreditorId;
        }
        return false;
    }

    /// @inheritdoc IInstitutionRegistry
    function isAuthorizedIssuer(
        address key,
        bytes32 institutionId,
        bytes32 credentialType,
        uint64 time
    ) external view returns (bool) {
        IssuerKey storage record = _issuerKeys[key];
        return
            institutionId != bytes32(0) &&
            record.institutionId == institutionId &&
            _inWindow(record.validFrom, record.validUntil, record.revokedFrom, time) &&
            isAccredited(institutionId, credentialType, time);
    }

    /**
     * @dev Reverts with {InstitutionRegistryUnauthorizedAccount} unless `account` is governance or the
     * administrator of `institutionId` or of an institution above it.
     */
    function _checkInstitutionAdmin(bytes32 institutionId, address account) internal view {
        _requireInstitution(institutionId);
        if (hasRole(DEFAULT_ADMIN_ROLE, account)) {
            return;
        }
        bytes32 current = institutionId;
        for (uint256 depth = 0; depth < _MAX_DEPTH && current != bytes32(0); ++depth) {
            Institution storage record = _institutions[current];
            if (record.admin == account) {
                return;
            }
            current = record.parentId;
        }
        revert InstitutionRegistryUnauthorizedAccount(account, institutionId);
    }

    function _requireInstitution(bytes32 institutionId) internal view returns (Institution storage record) {
        record = _institutions[institutionId];
        if (record.kind == InstitutionKind.None) {
            revert InstitutionRegistryUnknownInstitution(institutionId);
        }
    }

    /// @dev Reverts unless `revokedFrom` can mark a revocation (zero is the "not revoked" mark).
    function _checkRevocationTime(uint64 revokedFrom) private pure {
        if (revokedFrom == 0) {
            revert InstitutionRegistryInvalidRevocationTime(revokedFrom);
        }
    }

    function _inWindow(uint64 validFrom, uint64 validUntil, uint64 revokedFrom, uint64 time) private pure returns (bool) {
        return validFrom <= time && time < validUntil && (revokedFrom == 0 || time < revokedFrom);
    }
}

// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (certificates/CertificateRegistry.sol)
pragma solidity ^0.8.24;

import {IInstitutionRegistry} from "../access/IInstitutionRegistry.sol";
import {DirectoryClient} from "../access/DirectoryClient.sol";
import {IResourceRegistry} from "../resources/IResourceRegistry.sol";
import {ICertificateRegistry} from "./ICertificateRegistry.sol";

/**
 * @dev Issues and revokes resource certificates. The issuing institution is the one the calling
 * issuer key belongs to; the key must be authorised for the kind's credential type at issuance.
 */
contract CertificateRegistry is ICertificateRegistry, DirectoryClient {
    IResourceRegistry private immutable _resources;

    uint256 private _certificateCount;
    mapping(uint256 certificateId => Certificate) private _certificates;

    constructor(IInstitutionRegistry directory_, IResourceRegistry resources_) DirectoryClient(directory_) {
        _resources = resources_;
    }

    /**
     * @dev Issues a `kind` certificate at `level` for resource version `resourceId` within programme
     * `programmeId` (zero if none). Returns the new certificate id.
     *
     * Requirements:
     *
     * - the caller is an issuer key authorised now for {credentialTypeOf}(`kind`).
     * - the resource exists and is not withdrawn or superseded.
     *
     * Emits a {CertificateIssued} event.
     */
    function issue(
        Kind kind,
        uint256 resourceId,
        Level level,
        bytes32 programmeId
    ) external returns (uint256 certificateId) {
        bytes32 institutionId = _checkIssuer(msg.sender, credentialTypeOf(kind));
        IResourceRegistry.Resource memory record = _resources.resource(resourceId);
        if (record.status != IResourceRegistry.Status.Registered && record.status != IResourceRegistry.Status.Included) {
            revert CertificateRegistryResourceNotCertifiable(resourceId);
        }
        certificateId = ++_certificateCount;
        _certificates[certificateId] = Certificate({
            resourceId: resourceId,
            contentHash: record.contentHash,
            institutionId: institutionId,
            programmeId: programmeId,
            issuer: msg.sender,
            issuedAt: uint64(block.timestamp),
            revokedAt: 0,
            revocationReason: 0,
            kind: kind,
            level: level
        });
        emit CertificateIssued(certificateId, resourceId, institutionId, kind, level, programmeId);
    }

    /**
     * @dev Revokes certificate `certificateId` with `reasonCode`.
     *
     * Requirements:
     *
     * - the certificate exists and is not revoked.
     * - the caller is governance, the issuing institution's administrator, or an issuer key of the
     *   issuing institution authorised now for the certificate's type.
     *
     * Emits a {CertificateRevoked} event.
     */
    function revoke(uint256 certificateId, uint16 reasonCode) external {
        Certificate storage record = _certificates[certificateId];
        if (record.issuedAt == 0) {
            revert CertificateRegistryUnknownCertificate(certificateId);
        }
        if (record.revokedAt != 0) {
            revert CertificateRegistryAlreadyRevoked(certificateId, record.revokedAt);
        }
        if (!_mayRevoke(record, msg.sender)) {
            revert CertificateRegistryUnauthorizedRevoker(certificateId, msg.sender);
        }
        record.revokedAt = uint64(block.timestamp);
        record.revocationReason = reasonCode;
        emit CertificateRevoked(certificateId, reasonCode);
    }

    /// @inheritdoc ICertificateRegistry
    function certificate(uint256 certificateId) external view returns (Certificate memory) {
        return _certificates[certificateId];
    }

    /// @inheritdoc ICertificateRegistry
    function certificateCount() external view returns (uint256) {
        return _certificateCount;
    }

    /// @inheritdoc ICertificateRegistry
    function credentialTypeOf(Kind kind) public pure returns (bytes32) {
        if (kind == Kind.Inclusion) return keccak256("EduLedger.InclusionCertificate");
        if (kind == Kind.Collection) return keccak256("EduLedger.CollectionCertificate");
        if (kind == Kind.Selection) return keccak256("EduLedger.SelectionCertificate");
        return keccak256("EduLedger.RecommendationCertificate");
    }

    function _mayRevoke(Certificate storage record, address account) private view returns (bool) {
        if (_isGovernance(account)) {
            return true;
        }
        IInstitutionRegistry registry = directory();
        if (registry.institution(record.institutionId).admin == account) {
            return true;
        }
        return
            registry.isAuthorizedIssuer(
                account,
                record.institutionId,
                credentialTypeOf(record.kind),
                uint64(block.timestamp)
            );
    }
}

// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (certificates/ICertificateRegistry.sol)
pragma solidity ^0.8.24;

/**
 * @dev Certificates about registered resources: 收录 (inclusion), 收藏 (collection), 入选 (selection)
 * and 推荐 (recommendation), issued by an accredited issuer key of an institution.
 */
interface ICertificateRegistry {
    /// @dev What the certificate attests.
    enum Kind {
        Inclusion,
        Collection,
        Selection,
        Recommendation
    }

    /// @dev Level of the issuing decision: 校 / 区 / 市 / 省 / 国家.
    enum Level {
        School,
        District,
        City,
        Province,
        National
    }

    /// @dev A certificate. `contentHash` pins the exact resource version certified.
    struct Certificate {
        uint256 resourceId;
        bytes32 contentHash;
        bytes32 institutionId;
        bytes32 programmeId;
        address issuer;
        uint64 issuedAt;
        uint64 revokedAt;
        uint16 revocationReason;
        Kind kind;
        Level level;
    }

    /**
     * @dev No certificate has id `certificateId`.
     * @param certificateId the unknown id.
     */
    error CertificateRegistryUnknownCertificate(uint256 certificateId);

    /**
     * @dev Certificate `certificateId` is already revoked.
     * @param certificateId the certificate.
     * @param revokedAt when it was revoked.
     */
    error CertificateRegistryAlreadyRevoked(uint256 certificateId, uint64 revokedAt);

    /**
     * @dev Resource `resourceId` is missing or withdrawn and cannot be certified.
     * @param resourceId the resource.
     */
    error CertificateRegistryResourceNotCertifiable(uint256 resourceId);

    /**
     * @dev `account` may not revoke certificate `certificateId`.
     * @param certificateId the certificate.
     * @param account the caller.
     */
    error CertificateRegistryUnauthorizedRevoker(uint256 certificateId, address account);

    /**
     * @dev Emitted when a certificate is issued.
     * @param certificateId the new certificate.
     * @param resourceId the certified resource version.
     * @param institutionId the issuing institution.
     * @param kind what it attests.
     * @param level the level of the decision.
     * @param programmeId the programme (遴选/推荐 batch) it belongs to, or zero.
     */
    event CertificateIssued(
        uint256 indexed certificateId,
        uint256 indexed resourceId,
        bytes32 indexed institutionId,
        Kind kind,
        Level level,
        bytes32 programmeId
    );

    /**
     * @dev Emitted when a certificate is revoked.
     * @param certificateId the certificate.
     * @param reasonCode why.
     */
    event CertificateRevoked(uint256 indexed certificateId, uint16 reasonCode);

    /// @dev Returns certificate `certificateId` (all zero if none).
    function certificate(uint256 certificateId) external view returns (Certificate memory);

    /// @dev Returns how many certificates exist; ids run from 1 to this number.
    function certificateCount() external view returns (uint256);

    /// @dev Returns the credential type an issuer must be accredited for to issue `kind`.
    function credentialTypeOf(Kind kind) external pure returns (bytes32);
}

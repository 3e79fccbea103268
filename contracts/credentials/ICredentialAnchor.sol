// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (credentials/ICredentialAnchor.sol)
pragma solidity ^0.8.24;

/**
 * @dev Anchors of verifiable-credential batches: the Merkle root of a batch (OpenZeppelin
 * StandardMerkleTree format), how many credentials it holds, their type, and the hash of the
 * status list in force when it was anchored. No personal data is ever passed here.
 */
interface ICredentialAnchor {
    /// @dev An anchored batch.
    struct Anchor {
        bytes32 institutionId;
        bytes32 credentialType;
        bytes32 statusListHash;
        address issuer;
        uint64 anchoredAt;
        uint64 blockNumber;
        uint32 count;
    }

    /// @dev The latest anchored version of a status list.
    struct StatusList {
        bytes32 institutionId;
        bytes32 listHash;
        address issuer;
        uint64 updatedAt;
        uint64 version;
    }

    /**
     * @dev `merkleRoot` is already anchored; a batch is never anchored twice.
     * @param merkleRoot the root.
     */
    error CredentialAnchorRootAlreadyAnchored(bytes32 merkleRoot);

    /**
     * @dev The batch is empty or its root is zero.
     * @param merkleRoot the root given.
     * @param count the count given.
     */
    error CredentialAnchorInvalidBatch(bytes32 merkleRoot, uint32 count);

    /**
     * @dev Status list `listId` belongs to institution `owner`; only its issuer keys may update it.
     * @param listId the status list.
     * @param owner the institution that first anchored it.
     */
    error CredentialAnchorNotListOwner(bytes32 listId, bytes32 owner);

    /**
     * @dev Emitted when a status list's hash is anchored (created or updated).
     * @param listId the status list (hash of its URL).
     * @param institutionId the owning institution.
     * @param listHash sha256 of the status list credential now in force.
     * @param version how many times the list has been anchored, this one included.
     */
    event StatusListUpdated(bytes32 indexed listId, bytes32 indexed institutionId, bytes32 listHash, uint64 version);

    /**
     * @dev Emitted when a batch root is anchored.
     * @param merkleRoot the root.
     * @param institutionId the issuing institution.
     * @param issuer the issuer key that anchored it.
     * @param credentialType the type of every credential in the batch.
     * @param count how many credentials the batch holds.
     * @param statusListHash the hash of the status list in force.
     */
    event CredentialBatchAnchored(
        bytes32 indexed merkleRoot,
        bytes32 indexed institutionId,
        address indexed issuer,
        bytes32 credentialType,
        uint32 count,
        bytes32 statusListHash
    );

    /// @dev Returns the latest anchored version of status list `listId` (all zero if none).
    function statusListOf(bytes32 listId) external view returns (StatusList memory);

    /// @dev Returns the anchor of `merkleRoot` (all zero if it was never anchored).
    function anchorOf(bytes32 merkleRoot) external view returns (Anchor memory);

    /**
     * @dev Returns whether `leaf` belongs to the anchored batch `merkleRoot` by `proof`
     * (sorted-pair keccak256, as {MerkleProof-verify}).
     */
    function verifyLeaf(bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leaf) external view returns (bool);
}

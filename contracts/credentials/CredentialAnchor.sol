// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (credentials/CredentialAnchor.sol)
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IInstitutionRegistry} from "../access/IInstitutionRegistry.sol";
import {DirectoryClient} from "../access/DirectoryClient.sol";
import {ICredentialAnchor} from "./ICredentialAnchor.sol";

/**
 * @dev Anchors one Merkle root per credential batch: one transaction for a whole class or grade.
 * The anchoring key must be authorised for the batch's credential type at the anchoring time;
 * verifiers judge the issuer by that time, so later key rotation never invalidates a batch.
 */
contract CredentialAnchor is ICredentialAnchor, DirectoryClient {
    bytes32 private constant _STATUS_LIST_TYPE = keccak256("EduLedger.StatusList");

    mapping(bytes32 merkleRoot => Anchor) private _anchors;
    mapping(bytes32 listId => StatusList) private _statusLists;

    constructor(IInstitutionRegistry directory_) DirectoryClient(directory_) {}

    /**
     * @dev Anchors batch `merkleRoot` of `count` credentials of `credentialType`, with the hash of
     * the status list in force (`statusListHash`, zero if none).
     *
     * Requirements:
     *
     * - the caller is an issuer key authorised now for `credentialType`.
     * - `merkleRoot` is non-zero, `count` is non-zero, and the root was never anchored.
     *
     * Emits a {CredentialBatchAnchored} event.
     */
    function anchor(bytes32 merkleRoot, uint32 count, bytes32 credentialType, bytes32 statusListHash) external {
        bytes32 institutionId = _checkIssuer(msg.sender, credentialType);
        if (merkleRoot == bytes32(0) || count == 0) {
            revert CredentialAnchorInvalidBatch(merkleRoot, count);
        }
        if (_anchors[merkleRoot].anchoredAt != 0) {
            revert CredentialAnchorRootAlreadyAnchored(merkleRoot);
        }
        _anchors[merkleRoot] = Anchor({
            institutionId: institutionId,
            credentialType: credentialType,
            statusListHash: statusListHash,
            issuer: msg.sender,
            anchoredAt: uint64(block.timestamp),
            blockNumber: uint64(block.number),
            count: count
        });
        emit CredentialBatchAnchored(merkleRoot, institutionId, msg.sender, credentialType, count, statusListHash);
    }

    /**
     * @dev Anchors `listHash`, the sha256 of the status list credential `listId` now in force.
     * Verifiers compare the list they fetched against it, so a stale or forged list is detected.
     *
     * Requirements:
     *
     * - the caller is an issuer key authorised now for the `EduLedger.StatusList` type.
     * - an existing list belongs to the caller's institution.
     *
     * Emits a {StatusListUpdated} event.
     */
    function updateStatusList(bytes32 listId, bytes32 listHash) external {
        bytes32 institutionId = _checkIssuer(msg.sender, _STATUS_LIST_TYPE);
        StatusList storage list = _statusLists[listId];
        if (list.version != 0 && list.institutionId != institutionId) {
            revert CredentialAnchorNotListOwner(listId, list.institutionId);
        }
        list.institutionId = institutionId;
        list.listHash = listHash;
        list.issuer = msg.sender;
        list.updatedAt = uint64(block.timestamp);
        list.version += 1;
        emit StatusListUpdated(listId, institutionId, listHash, list.version);
    }

    /// @inheritdoc ICredentialAnchor
    function statusListOf(bytes32 listId) external view returns (StatusList memory) {
        return _statusLists[listId];
    }

    /// @inheritdoc ICredentialAnchor
    function anchorOf(bytes32 merkleRoot) external view returns (Anchor memory) {
        return _anchors[merkleRoot];
    }

    /// @inheritdoc ICredentialAnchor
    function verifyLeaf(bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        return _anchors[merkleRoot].anchoredAt != 0 && MerkleProof.verifyCalldata(proof, merkleRoot, leaf);
    }
}

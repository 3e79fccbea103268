// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (resources/ResourceRegistry.sol)
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IInstitutionRegistry} from "../access/IInstitutionRegistry.sol";
import {DirectoryClient} from "../access/DirectoryClient.sol";
import {IResourceRegistry} from "./IResourceRegistry.sol";

/**
 * @dev Records authored resources with their authors' EIP-712 signatures. The platform's relayer
 * (`REGISTRAR_ROLE`) submits and pays; the author only signs, so teachers never need gas.
 *
 * Each signer has one nonce sequence shared by registrations and transfers ({Nonces}), so a
 * signed request can be used once only.
 */
contract ResourceRegistry is IResourceRegistry, DirectoryClient, EIP712, Nonces {
    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256(
            "Registration(bytes32 contentHash,string cid,bytes32 metadataHash,address[] authors,uint16[] shares,string licence,uint256 predecessor,uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant TRANSFER_TYPEHASH =
        keccak256("Transfer(uint256 resourceId,address from,address to,uint16 share,uint256 nonce,uint256 deadline)");

    uint16 private constant _TOTAL_SHARES = 10_000;
    bytes32 private constant _REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    uint256 private _resourceCount;
    mapping(uint256 resourceId => Resource) private _resources;
    mapping(uint256 resourceId => address[]) private _holders;
    mapping(uint256 resourceId => mapping(address holder => uint16 share)) private _shares;
    mapping(bytes32 contentHash => uint256 resourceId) private _idByContent;

    constructor(IInstitutionRegistry directory_) DirectoryClient(directory_) EIP712("EduLedger ResourceRegistry", "1") {}

    /**
     * @dev Registers a resource version signed by its lead author `registration.authors[0]`.
     * Returns the new resource id.
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - `signature` is `authors[0]`'s EIP-712 signature of `registration`, before `deadline`, with
     *   the author's current nonce.
     * - content hash and CID are non-empty, and the content hash was never registered.
     * - authors are distinct, non-zero, and their shares are non-zero and sum to 10000.
     * - a non-zero `predecessor` exists and the signer holds a share of it.
     *
     * Emits a {ResourceRegistered} event.
     */
    function register(
        Registration calldata registration,
        bytes calldata signature
    ) external onlyDirectoryRole(_REGISTRAR_ROLE) returns (uint256 resourceId) {
        if (registration.contentHash == bytes32(0) || bytes(registration.cid).length == 0) {
            revert ResourceRegistryInvalidContent();
        }
        _checkShares(registration.authors, registration.shares);
        address author = registration.authors[0];
        _checkSignature(hashRegistration(registration), signature, author, registration.deadline);
        _useCheckedNonce(author, registration.nonce);

        uint256 existing = _idByContent[registration.contentHash];
        if (existing != 0) {
            revert ResourceRegistryDuplicateContent(registration.contentHash, existing, _resources[existing].registrant);
        }
        if (registration.predecessor != 0) {
            _requireResource(registration.predecessor);
            uint16 held = _shares[registration.predecessor][author];
            if (held == 0) {
                revert ResourceRegistryInsufficientShare(registration.predecessor, author, held);
            }
        }

        resourceId = ++_resourceCount;
        _idByContent[registration.contentHash] = resourceId;
        _resources[resourceId] = Resource({
            contentHash: registration.contentHash,
            metadataHash: registration.metadataHash,
            registrant: author,
            registeredAt: uint64(block.timestamp),
            status: Status.Registered,
            predecessor: registration.predecessor,
            cid: registration.cid,
            licence: registration.licence
        });
        for (uint256 i = 0; i < registration.authors.length; ++i) {
            _holders[resourceId].push(registration.authors[i]);
            _shares[resourceId][registration.authors[i]] = registration.shares[i];
        }
        emit ResourceRegistered(resourceId, registration.contentHash, author, registration.predecessor);
    }

    /**
     * @dev Assigns `share` basis points of `resourceId` from `from` to `to`, signed by `from`.
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - `signature` is `from`'s EIP-712 signature of the transfer, before `deadline`, with its current nonce.
     * - `from` holds at least `share`; `share` is non-zero; `to` is non-zero and not `from`.
     *
     * Emits a {RightsTransferred} event.
     */
    function transferRights(
        uint256 resourceId,
        address from,
        address to,
        uint16 share,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external onlyDirectoryRole(_REGISTRAR_ROLE) {
        _requireResource(resourceId);
        bytes32 structHash = keccak256(abi.encode(TRANSFER_TYPEHASH, resourceId, from, to, share, nonce, deadline));
        _checkSignature(_hashTypedDataV4(structHash), signature, from, deadline);
        _useCheckedNonce(from, nonce);
        uint16 held = _shares[resourceId][from];
        if (share == 0 || held < share || to == address(0) || to == from) {
            revert ResourceRegistryInsufficientShare(resourceId, from, held);
        }
        if (_shares[resourceId][to] == 0) {
            _holders[resourceId].push(to);
        }
        _shares[resourceId][from] = held - share;
        _shares[resourceId][to] += share;
        if (held == share) {
            _removeHolder(resourceId, from);
        }
        emit RightsTransferred(resourceId, from, to, share);
    }

    /**
     * @dev Moves `resourceId` to status `to`, e.g. Included on 入库 or Withdrawn on 出库.
     *
     * Allowed: Registered → Included | Withdrawn | Superseded; Included → Withdrawn | Superseded;
     * Withdrawn → Included (an explicit reinstatement).
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - the transition is allowed.
     *
     * Emits a {ResourceStatusChanged} event.
     */
    function setStatus(uint256 resourceId, Status to, uint16 reasonCode) external onlyDirectoryRole(_REGISTRAR_ROLE) {
        Status from = _requireResource(resourceId).status;
        if (!_isAllowedTransition(from, to)) {
            revert ResourceRegistryInvalidStatusTransition(resourceId, from, to);
        }
        _resources[resourceId].status = to;
        emit ResourceStatusChanged(resourceId, from, to, reasonCode);
    }

    /**
     * @dev Records the hashes of review-workflow events: `decisionHashes[i]` is about `resourceIds[i]`.
     * Only hashes go on chain; the events (actor, role, time, reason) stay in the registry's database,
     * where each event's hash chains to the previous one, so an altered history no longer matches.
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - both arrays have the same length, and no hash is zero.
     * - every resource exists.
     *
     * Emits a {DecisionRecorded} event per hash.
     */
    function recordDecisions(
        uint256[] calldata resourceIds,
        bytes32[] calldata decisionHashes
    ) external onlyDirectoryRole(_REGISTRAR_ROLE) {
        if (resourceIds.length != decisionHashes.length) {
            revert ResourceRegistryInvalidDecisions(resourceIds.length, decisionHashes.length);
        }
        for (uint256 i = 0; i < resourceIds.length; ++i) {
            _requireResource(resourceIds[i]);
            if (decisionHashes[i] == bytes32(0)) {
                revert ResourceRegistryInvalidDecisions(resourceIds.length, decisionHashes.length);
            }
            emit DecisionRecorded(resourceIds[i], decisionHashes[i]);
        }
    }

    /// @dev Returns the EIP-712 digest the lead author signs for `registration`.
    function hashRegistration(Registration calldata registration) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        REGISTRATION_TYPEHASH,
                        registration.contentHash,
                        keccak256(bytes(registration.cid)),
                        registration.metadataHash,
                        keccak256(abi.encodePacked(registration.authors)),
                        keccak256(abi.encodePacked(registration.shares)),
                        keccak256(bytes(registration.licence)),
                        registration.predecessor,
                        registration.nonce,
                        registration.deadline
                    )
                )
            );
    }

    /// @inheritdoc IResourceRegistry
    function resource(uint256 resourceId) external view returns (Resource memory) {
        return _resources[resourceId];
    }

    /// @inheritdoc IResourceRegistry
    function rightsHolders(uint256 resourceId) external view returns (address[] memory holders, uint16[] memory shares) {
        holders = _holders[resourceId];
        shares = new uint16[](holders.length);
        for (uint256 i = 0; i < holders.length; ++i) {
            shares[i] = _shares[resourceId][holders[i]];
        }
    }

    /// @inheritdoc IResourceRegistry
    function resourceIdByContent(bytes32 contentHash) external view returns (uint256) {
        return _idByContent[contentHash];
    }

    /// @inheritdoc IResourceRegistry
    function resourceCount() external view returns (uint256) {
        return _resourceCount;
    }

    function _requireResource(uint256 resourceId) internal view returns (Resource storage record) {
        record = _resources[resourceId];
        if (record.status == Status.None) {
            revert ResourceRegistryUnknownResource(resourceId);
        }
    }

    function _checkSignature(bytes32 digest, bytes calldata signature, address expected, uint256 deadline) internal view {
        if (block.timestamp > deadline) {
            revert ResourceRegistryExpiredSignature(deadline);
        }
        (address signer, ECDSA.RecoverError recoverError, ) = ECDSA.tryRecover(digest, signature);
        if (recoverError != ECDSA.RecoverError.NoError || signer != expected) {
            revert ResourceRegistryInvalidSigner(signer, expected);
        }
    }

    function _checkShares(address[] calldata authors, uint16[] calldata shares) internal pure {
        uint256 total = 0;
        for (uint256 i = 0; i < shares.length; ++i) {
            total += shares[i];
        }
        bool valid = authors.length != 0 && authors.length == shares.length && total == _TOTAL_SHARES;
        for (uint256 i = 0; valid && i < authors.length; ++i) {
            valid = authors[i] != address(0) && shares[i] != 0;
            for (uint256 j = 0; valid && j < i; ++j) {
                valid = authors[j] != authors[i];
            }
        }
        if (!valid) {
            revert ResourceRegistryInvalidShares(total);
        }
    }

    function _removeHolder(uint256 resourceId, address holder) private {
        address[] storage holders = _holders[resourceId];
        for (uint256 i = 0; i < holders.length; ++i) {
            if (holders[i] == holder) {
                holders[i] = holders[holders.length - 1];
                holders.pop();
                return;
            }
        }
    }

    function _isAllowedTransition(Status from, Status to) private pure returns (bool) {
        if (from == Status.Registered) {
            return to == Status.Included || to == Status.Withdrawn || to == Status.Superseded;
        }
        if (from == Status.Included) {
            return to == Status.Withdrawn || to == Status.Superseded;
        }
        if (from == Status.Withdrawn) {
            return to == Status.Included;
        }
        return false;
    }
}

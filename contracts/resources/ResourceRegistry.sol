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
 * (`REGISTRAR_ROLE`) submits and pays; the authors only sign, so teachers never need gas.
 *
 * Each signer has one nonce sequence shared by registrations and transfers ({Nonces}), so a
 * signed request can be used once only. A co-author's confirmation needs no nonce: it names the
 * content and the share, and can take effect once only (the offer is then consumed).
 */
contract ResourceRegistry is IResourceRegistry, DirectoryClient, EIP712, Nonces {
    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256(
            "Registration(bytes32 contentHash,string cid,bytes32 metadataHash,address[] authors,uint16[] shares,string licence,uint256 predecessor,uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant TRANSFER_TYPEHASH =
        keccak256("Transfer(uint256 resourceId,address from,address to,uint16 share,uint256 nonce,uint256 deadline)");
    bytes32 public constant AUTHORSHIP_TYPEHASH =
        keccak256("AuthorshipConfirmation(bytes32 contentHash,address author,uint16 share,uint256 deadline)");

    uint16 private constant _TOTAL_SHARES = 10_000;
    bytes32 private constant _REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    uint256 private _resourceCount;
    mapping(uint256 resourceId => Resource) private _resources;
    mapping(uint256 resourceId => address[]) private _holders;
    mapping(uint256 resourceId => mapping(address holder => uint16 share)) private _shares;
    mapping(bytes32 contentHash => uint256 resourceId) private _idByContent;
    mapping(uint256 resourceId => address[]) private _pendingAuthors;
    mapping(uint256 resourceId => mapping(address author => uint16 share)) private _offered;

    constructor(IInstitutionRegistry directory_) DirectoryClient(directory_) EIP712("EduLedger ResourceRegistry", "1") {}

    /**
     * @dev Registers a resource version signed by its lead author `registration.authors[0]`, who
     * holds `shares[0]` at once; every co-author is offered their share until they confirm it
     * ({confirmAuthorship}). Returns the new resource id.
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - `signature` is `authors[0]`'s EIP-712 signature of `registration`, before `deadline`, with
     *   the author's current nonce.
     * - content hash and CID are non-empty, and the content hash was never registered.
     * - authors are distinct, non-zero, and their shares are non-zero and sum to 10000.
     * - a non-zero `predecessor` exists and the signer is its lead author.
     *
     * Emits a {ResourceRegistered} event, and an {AuthorshipOffered} event per co-author.
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
            address leadAuthor = _requireResource(registration.predecessor).registrant;
            if (author != leadAuthor) {
                revert ResourceRegistryNotLeadAuthor(registration.predecessor, author, leadAuthor);
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
        _holders[resourceId].push(author);
        _shares[resourceId][author] = registration.shares[0];
        emit ResourceRegistered(resourceId, registration.contentHash, author, registration.predecessor);
        for (uint256 i = 1; i < registration.authors.length; ++i) {
            _pendingAuthors[resourceId].push(registration.authors[i]);
            _offered[resourceId][registration.authors[i]] = registration.shares[i];
            emit AuthorshipOffered(resourceId, registration.authors[i], registration.shares[i]);
        }
    }

    /**
     * @dev A co-author confirms their authorship of the resource registered with `contentHash` and
     * the `share` offered to them: from now on they hold it. Their signature may be made before the
     * registration is mined (it names the content, not the resource id).
     *
     * Requirements:
     *
     * - the caller holds `REGISTRAR_ROLE`.
     * - a resource is registered with `contentHash`, and `share` is offered to `author` in it.
     * - `signature` is `author`'s EIP-712 signature of the confirmation, before `deadline`.
     *
     * Emits an {AuthorshipConfirmed} event.
     */
    function confirmAuthorship(
        bytes32 contentHash,
        address author,
        uint16 share,
        uint256 deadline,
        bytes calldata signature
    ) external onlyDirectoryRole(_REGISTRAR_ROLE) {
        uint256 resourceId = _idByContent[contentHash];
        if (resourceId == 0) {
            revert ResourceRegistryUnknownContent(contentHash);
        }
        uint16 offered = _offered[resourceId][author];
        if (offered == 0 || offered != share) {
            revert ResourceRegistryNotPendingAuthor(resourceId, author, offered);
        }
        _checkSignature(hashAuthorshipConfirmation(contentHash, author, share, deadline), signature, author, deadline);
        delete _offered[resourceId][author];
        _removeFrom(_pendingAuthors[resourceId], author);
        if (_shares[resourceId][author] == 0) {
            _holders[resourceId].push(author);
        }
        _shares[resourceId][author] += share;
        emit AuthorshipConfirmed(resourceId, author, share);
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
            _removeFrom(_holders[resourceId], from);
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

    /// @dev Returns the EIP-712 digest a co-author signs to confirm `share` of the content `contentHash`.
    function hashAuthorshipConfirmation(
        bytes32 contentHash,
        address author,
        uint16 share,
        uint256 deadline
    ) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(AUTHORSHIP_TYPEHASH, contentHash, author, share, deadline)));
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
    function pendingAuthors(uint256 resourceId) external view returns (address[] memory authors, uint16[] memory shares) {
        authors = _pendingAuthors[resourceId];
        shares = new uint16[](authors.length);
        for (uint256 i = 0; i < authors.length; ++i) {
            shares[i] = _offered[resourceId][authors[i]];
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

    function _removeFrom(address[] storage accounts, address account) private {
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (accounts[i] == account) {
                accounts[i] = accounts[accounts.length - 1];
                accounts.pop();
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

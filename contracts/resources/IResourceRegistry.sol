// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (resources/IResourceRegistry.sol)
pragma solidity ^0.8.24;

/**
 * @dev Rights registration (确权) of educational resources: who authored which content, with what
 * shares and licence, and when. Each version of a resource is its own record linked to its
 * predecessor; identical content can be registered once only.
 *
 * The lead author (`authors[0]`, the registrant) signs the registration and holds their share at
 * once. Each co-author is only offered theirs: they hold it (and appear in {rightsHolders}) once
 * they confirm with their own EIP-712 signature ({AuthorshipConfirmation}). Owner actions on a
 * resource — registering its next version — are the lead author's.
 */
interface IResourceRegistry {
    /// @dev Lifecycle of a registered resource version.
    enum Status {
        None,
        Registered,
        Included,
        Withdrawn,
        Superseded
    }

    /**
     * @dev What the lead author signs (EIP-712). `authors[0]` is the signer; `shares` are basis
     * points in the same order and sum to 10000. `predecessor` is the resource id this version
     * replaces, or zero.
     */
    struct Registration {
        bytes32 contentHash;
        string cid;
        bytes32 metadataHash;
        address[] authors;
        uint16[] shares;
        string licence;
        uint256 predecessor;
        uint256 nonce;
        uint256 deadline;
    }

    /// @dev A registered resource version.
    struct Resource {
        bytes32 contentHash;
        bytes32 metadataHash;
        address registrant;
        uint64 registeredAt;
        Status status;
        uint256 predecessor;
        string cid;
        string licence;
    }

    /**
     * @dev `contentHash` is already registered as resource `resourceId` by `registrant`.
     * @param contentHash the content's sha256.
     * @param resourceId the existing record.
     * @param registrant the account that registered it first.
     */
    error ResourceRegistryDuplicateContent(bytes32 contentHash, uint256 resourceId, address registrant);

    /**
     * @dev The signature was made by `signer`, not by `expected`.
     * @param signer the recovered signer (zero if the signature is malformed).
     * @param expected the account that had to sign.
     */
    error ResourceRegistryInvalidSigner(address signer, address expected);

    /**
     * @dev The signed request expired at `deadline`.
     * @param deadline the deadline signed.
     */
    error ResourceRegistryExpiredSignature(uint256 deadline);

    /**
     * @dev Shares do not sum to 10000 basis points, or authors and shares differ in number, or an
     * author is zero, repeated or holds a zero share.
     * @param total the sum of the shares given.
     */
    error ResourceRegistryInvalidShares(uint256 total);

    /**
     * @dev The content hash or CID is empty.
     */
    error ResourceRegistryInvalidContent();

    /**
     * @dev `account` is not the lead author (registrant) of `resourceId`, whose owner actions are theirs.
     * @param resourceId the resource.
     * @param account the account that tried.
     * @param leadAuthor the resource's lead author.
     */
    error ResourceRegistryNotLeadAuthor(uint256 resourceId, address account, address leadAuthor);

    /**
     * @dev `account` has no share offered in `resourceId` that matches the confirmation: it is not a
     * co-author, already confirmed, or the confirmation names another share.
     * @param resourceId the resource.
     * @param account the account confirming.
     * @param offered the share offered to it (zero if none is pending).
     */
    error ResourceRegistryNotPendingAuthor(uint256 resourceId, address account, uint16 offered);

    /**
     * @dev No resource is registered with `contentHash`.
     * @param contentHash the unknown content hash.
     */
    error ResourceRegistryUnknownContent(bytes32 contentHash);

    /**
     * @dev No resource is registered under `resourceId`.
     * @param resourceId the unknown id.
     */
    error ResourceRegistryUnknownResource(uint256 resourceId);

    /**
     * @dev `account` holds no (or not enough) rights in `resourceId`.
     * @param resourceId the resource.
     * @param account the account.
     * @param held the share it holds, in basis points.
     */
    error ResourceRegistryInsufficientShare(uint256 resourceId, address account, uint16 held);

    /**
     * @dev The status change `from` → `to` is not allowed.
     * @param resourceId the resource.
     * @param from its current status.
     * @param to the status asked for.
     */
    error ResourceRegistryInvalidStatusTransition(uint256 resourceId, Status from, Status to);

    /**
     * @dev `resourceIds` and `decisionHashes` differ in length, or a decision hash is zero.
     * @param resourceCount how many resource ids were given.
     * @param hashCount how many decision hashes were given.
     */
    error ResourceRegistryInvalidDecisions(uint256 resourceCount, uint256 hashCount);

    /**
     * @dev Emitted when a resource version is registered.
     * @param resourceId the new record.
     * @param contentHash the content's sha256.
     * @param registrant the lead author who signed.
     * @param predecessor the version it replaces (zero if none).
     */
    event ResourceRegistered(
        uint256 indexed resourceId,
        bytes32 indexed contentHash,
        address indexed registrant,
        uint256 predecessor
    );

    /**
     * @dev Emitted, for each co-author, when a resource version is registered: `share` is offered to
     * `author`, who holds it once they confirm.
     * @param resourceId the resource.
     * @param author the co-author.
     * @param share basis points offered.
     */
    event AuthorshipOffered(uint256 indexed resourceId, address indexed author, uint16 share);

    /**
     * @dev Emitted when a co-author confirms, with their own signature, their authorship and share.
     * @param resourceId the resource.
     * @param author the co-author, now a rights holder.
     * @param share basis points they hold.
     */
    event AuthorshipConfirmed(uint256 indexed resourceId, address indexed author, uint16 share);

    /**
     * @dev Emitted when a holder assigns part or all of its share.
     * @param resourceId the resource.
     * @param from the assigning holder.
     * @param to the receiving account.
     * @param share basis points assigned.
     */
    event RightsTransferred(uint256 indexed resourceId, address indexed from, address indexed to, uint16 share);

    /**
     * @dev Emitted when a resource's status changes.
     * @param resourceId the resource.
     * @param from the previous status.
     * @param to the new status.
     * @param reasonCode why (e.g. a withdrawal reason code), zero if none.
     */
    event ResourceStatusChanged(uint256 indexed resourceId, Status from, Status to, uint16 reasonCode);

    /**
     * @dev Emitted when the hash of a review-workflow event about `resourceId` is recorded (入库 audit
     * trail: submission, screening, reviews, decisions, withdrawal). The event itself stays off chain.
     * @param resourceId the resource version the decision is about.
     * @param decisionHash sha256 of the canonical (JCS) event, which chains to the previous event's hash.
     */
    event DecisionRecorded(uint256 indexed resourceId, bytes32 indexed decisionHash);

    /// @dev Returns the record of `resourceId` (all zero if none).
    function resource(uint256 resourceId) external view returns (Resource memory);

    /// @dev Returns the rights holders of `resourceId` and their shares in basis points: the lead author and the
    /// co-authors who confirmed (offered shares not yet confirmed are held by no one).
    function rightsHolders(uint256 resourceId) external view returns (address[] memory holders, uint16[] memory shares);

    /// @dev Returns the co-authors of `resourceId` who have not confirmed yet, and the shares offered to them.
    function pendingAuthors(uint256 resourceId) external view returns (address[] memory authors, uint16[] memory shares);

    /// @dev Returns the resource registered for `contentHash`, or zero.
    function resourceIdByContent(bytes32 contentHash) external view returns (uint256);

    /// @dev Returns how many resource versions are registered; ids run from 1 to this number.
    function resourceCount() external view returns (uint256);
}

// SPDX-License-Identifier: Apache-2.0
// EduLedger Contracts (access/DirectoryClient.sol)
pragma solidity ^0.8.24;

import {IInstitutionRegistry} from "./IInstitutionRegistry.sol";

/**
 * @dev Base for contracts that take their permissions from the {InstitutionRegistry}: one source of
 * truth for roles, institutions and issuer keys.
 */
abstract contract DirectoryClient {
    bytes32 private constant _DEFAULT_ADMIN_ROLE = 0x00;

    IInstitutionRegistry private immutable _directory;

    /**
     * @dev `account` lacks `neededRole` in the directory.
     * @param account the caller.
     * @param neededRole the role the call requires.
     */
    error DirectoryUnauthorizedAccount(address account, bytes32 neededRole);

    /**
     * @dev `account` is not authorised now to issue `credentialType` for any institution.
     * @param account the caller.
     * @param credentialType the type it tried to issue.
     */
    error DirectoryUnauthorizedIssuer(address account, bytes32 credentialType);

    constructor(IInstitutionRegistry directory_) {
        _directory = directory_;
    }

    /// @dev Restricts a function to holders of `role` in the directory.
    modifier onlyDirectoryRole(bytes32 role) {
        _checkDirectoryRole(role, msg.sender);
        _;
    }

    /// @dev Returns the institution directory this contract takes its permissions from.
    function directory() public view returns (IInstitutionRegistry) {
        return _directory;
    }

    /// @dev Reverts with {DirectoryUnauthorizedAccount} unless `account` holds `role`.
    function _checkDirectoryRole(bytes32 role, address account) internal view {
        if (!_directory.hasRole(role, account)) {
            revert DirectoryUnauthorizedAccount(account, role);
        }
    }

    /// @dev Returns whether `account` is governance in the directory.
    function _isGovernance(address account) internal view returns (bool) {
        return _directory.hasRole(_DEFAULT_ADMIN_ROLE, account);
    }

    /**
     * @dev Returns the institution `account` issues for, reverting with {DirectoryUnauthorizedIssuer}
     * unless it is an issuer key authorised for `credentialType` now.
     */
    function _checkIssuer(address account, bytes32 credentialType) internal view returns (bytes32 institutionId) {
        institutionId = _directory.issuerKey(account).institutionId;
        if (!_directory.isAuthorizedIssuer(account, institutionId, credentialType, uint64(block.timestamp))) {
            revert DirectoryUnauthorizedIssuer(account, credentialType);
        }
    }
}

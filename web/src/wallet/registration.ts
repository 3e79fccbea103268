/**
 * The registration a lead author signs (EIP-712), built from what the registry says to sign
 * (``GET /resources/registration-info``: domain, primary type, nonce, predecessor), the same typed
 * data as ``ledger_service.chain._eip712`` and ``edu-wallet submit``.
 */
import type { Wallet } from 'ethers/wallet'

import type { RegistrationInfo } from '#/api/types'

import type { BundleRoot } from './content'

/** RFC 8785 (JCS) for the JSON the metadata holds: sorted keys (UTF-16 order), no whitespace, ES number form. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('JCS has no form for NaN or Infinity')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export async function metadataHash(metadata: Record<string, unknown>): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(metadata)))
  return `0x${Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/** "Registration(bytes32 contentHash,string cid,…)" → EIP-712 types. */
export function typesOf(primaryType: string): { name: string; fields: { name: string; type: string }[] } {
  const match = /^(\w+)\((.*)\)$/.exec(primaryType)
  if (!match) throw new Error(`not an EIP-712 type: ${primaryType}`)
  const fields = match[2].split(',').map((field) => {
    const [type, name] = field.trim().split(/\s+/)
    return { name, type }
  })
  return { name: match[1], fields }
}

export interface SignedRegistration {
  cid: string
  nonce: number
  deadline: number
  signature: string
}

export interface Signable {
  authors: { address: string; share: number }[]
  licence: string
}

/** Sign the registration of ``metadata`` (without its ``registration`` member) for ``root``. */
export async function signRegistration(
  wallet: Wallet,
  info: RegistrationInfo,
  metadata: Record<string, unknown> & Signable,
  root: BundleRoot,
  validSeconds = 3600,
): Promise<SignedRegistration> {
  const { name, fields } = typesOf(info.primary_type)
  const deadline = Math.floor(Date.now() / 1000) + validSeconds
  const value = {
    contentHash: root.contentHash,
    cid: root.cid,
    metadataHash: await metadataHash(metadata),
    authors: metadata.authors.map((author) => author.address),
    shares: metadata.authors.map((author) => author.share),
    licence: metadata.licence,
    predecessor: info.predecessor,
    nonce: info.nonce,
    deadline,
  }
  const domain = { name: info.domain_name, version: info.domain_version, chainId: info.chain_id, verifyingContract: info.verifying_contract }
  const signature = await wallet.signTypedData(domain, { [name]: fields }, value)
  return { cid: root.cid, nonce: info.nonce, deadline, signature }
}

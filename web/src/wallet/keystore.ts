/** Ethereum v3 keystore files (scrypt), decrypted in the browser: the passphrase never leaves it. */
import { Wallet } from 'ethers/wallet'

import type { Keystore } from '#/store/session'

export class KeystoreFileError extends Error {}
export class WrongPassphraseError extends Error {}

const MAX_KEYSTORE_BYTES = 64 * 1024

/** Read a chosen file as a keystore (no passphrase needed: the address is recorded in it). */
export async function readKeystore(file: File): Promise<Keystore> {
  if (file.size > MAX_KEYSTORE_BYTES) throw new KeystoreFileError('too large for a keystore')
  const json = await file.text()
  let document: unknown
  try {
    document = JSON.parse(json)
  } catch {
    throw new KeystoreFileError('not JSON')
  }
  if (!document || typeof document !== 'object') throw new KeystoreFileError('not an object')
  const record = document as Record<string, unknown>
  const crypto = record.crypto ?? record.Crypto
  if (!crypto || typeof crypto !== 'object' || typeof record.address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(record.address)) {
    throw new KeystoreFileError('no crypto section or address')
  }
  const address = '0x' + record.address.replace(/^0x/, '')
  return { name: file.name, json, address }
}

/** Decrypt the key; ``onProgress`` gets 0..1 while scrypt runs. */
export async function unlockKeystore(keystore: Keystore, passphrase: string, onProgress: (fraction: number) => void): Promise<Wallet> {
  try {
    const wallet = await Wallet.fromEncryptedJson(keystore.json, passphrase, onProgress)
    return wallet as Wallet
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (/password|passphrase/i.test(message)) throw new WrongPassphraseError(message)
    throw new KeystoreFileError(message)
  }
}

/** A student's (holder's) own key, made and kept in this browser: Ed25519, named by its did:key —
 * the DID the school binds the student's credentials to (``holder`` in a batch's records). It is
 * stored only here (localStorage), encrypted with the student's passphrase (PBKDF2-SHA-256 and
 * AES-GCM, WebCrypto), and can be saved as a file in the same encrypted form; the registry never
 * sees it. With it the student signs a VerifiablePresentation for a verifier's challenge and domain
 * (Data Integrity, eddsa-jcs-2022, proofPurpose authentication), as
 * ledger_service.credentials.sign_presentation does. */
import { ed25519 } from '@noble/curves/ed25519'
import { sha256 } from '@noble/hashes/sha256'
import canonicalize from 'canonicalize'
import { base58btc } from 'multiformats/bases/base58'

export const KEY_FILE_TYPE = 'EduLedgerHolderKey'
const STORAGE_KEY = 'eduledger.holderKey'
const ED25519_PUBLIC = new Uint8Array([0xed, 0x01]) // multicodec ed25519-pub
const ITERATIONS = 310_000
const MAX_ITERATIONS = 5_000_000 // a file asking for more would hang the page, not protect the key
const MAX_KEY_FILE = 16 * 1024
export const PRESENTATION_CONTEXTS = ['https://www.w3.org/ns/credentials/v2', 'https://w3id.org/eduledger/v1']

export class KeyFileError extends Error {}
export class WrongPassphraseError extends Error {}

/** The encrypted key as stored in this browser and saved as a file. */
export interface HolderKeyFile {
  type: typeof KEY_FILE_TYPE
  did: string
  kdf: { name: 'PBKDF2'; hash: 'SHA-256'; iterations: number; salt: string }
  cipher: { name: 'AES-GCM'; iv: string; ciphertext: string }
}

const b64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const unb64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/** ``text`` as base64 of exactly ``length`` bytes, else null (atob's own errors are not the student's to read). */
function bytesOf(text: unknown, length: number): Uint8Array | null {
  if (typeof text !== 'string') return null
  try {
    const bytes = unb64(text)
    return bytes.length === length ? bytes : null
  } catch {
    return null
  }
}

/** did:key of an Ed25519 public key: z + base58btc(0xed 0x01 ‖ key). */
export function didOf(publicKey: Uint8Array): string {
  const bytes = new Uint8Array(34)
  bytes.set(ED25519_PUBLIC)
  bytes.set(publicKey, 2)
  return `did:key:${base58btc.encode(bytes)}`
}

async function wrappingKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/** A new key, encrypted with ``passphrase`` (the DID is readable without it). */
export async function createHolderKey(passphrase: string): Promise<HolderKeyFile> {
  return sealHolderKey(ed25519.utils.randomPrivateKey(), passphrase)
}

async function sealHolderKey(seed: Uint8Array, passphrase: string): Promise<HolderKeyFile> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const key = await wrappingKey(passphrase, salt, ITERATIONS)
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv as BufferSource }, key, seed as BufferSource))
  return {
    type: KEY_FILE_TYPE,
    did: didOf(ed25519.getPublicKey(seed)),
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: ITERATIONS, salt: b64(salt) },
    cipher: { name: 'AES-GCM', iv: b64(iv), ciphertext: b64(ciphertext) },
  }
}

/** The 32-byte seed; WrongPassphraseError when the passphrase does not open it. */
export async function unlockHolderKey(file: HolderKeyFile, passphrase: string): Promise<Uint8Array> {
  const key = await wrappingKey(passphrase, unb64(file.kdf.salt), file.kdf.iterations)
  let seed: Uint8Array
  try {
    seed = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(file.cipher.iv) as BufferSource }, key, unb64(file.cipher.ciphertext) as BufferSource),
    )
  } catch {
    throw new WrongPassphraseError('the passphrase does not open this key')
  }
  if (seed.length !== 32 || didOf(ed25519.getPublicKey(seed)) !== file.did) throw new KeyFileError('the key does not match its DID')
  return seed
}

/** Read a key file saved by this page (checked: its shape; the passphrase is checked when used). */
export async function readHolderKeyFile(file: File): Promise<HolderKeyFile> {
  if (file.size > MAX_KEY_FILE) throw new KeyFileError('too large for a key file')
  let document: unknown
  try {
    document = JSON.parse(await file.text())
  } catch {
    throw new KeyFileError('not JSON')
  }
  if (!isHolderKeyFile(document)) throw new KeyFileError('not a holder key file')
  return document
}

/** The shape this page writes: PBKDF2-SHA-256 at no fewer iterations than it uses (a file with fewer would keep
 * the key here under a weaker lock than the page promises; far more would hang the page), AES-GCM over 32 bytes. */
function isHolderKeyFile(document: unknown): document is HolderKeyFile {
  const record = document as Partial<HolderKeyFile> | null
  const iterations = record?.kdf?.iterations
  return (
    !!record &&
    typeof record === 'object' &&
    record.type === KEY_FILE_TYPE &&
    typeof record.did === 'string' &&
    record.did.startsWith('did:key:z') &&
    record.kdf?.name === 'PBKDF2' &&
    record.kdf?.hash === 'SHA-256' &&
    typeof iterations === 'number' &&
    Number.isSafeInteger(iterations) &&
    iterations >= ITERATIONS &&
    iterations <= MAX_ITERATIONS &&
    bytesOf(record.kdf?.salt, 16) !== null &&
    record.cipher?.name === 'AES-GCM' &&
    bytesOf(record.cipher?.iv, 12) !== null &&
    bytesOf(record.cipher?.ciphertext, 48) !== null // the 32-byte seed and GCM's 16-byte tag
  )
}

export function storedHolderKey(): HolderKeyFile | null {
  try {
    const text = localStorage.getItem(STORAGE_KEY)
    const stored: unknown = text ? JSON.parse(text) : null
    return isHolderKeyFile(stored) ? stored : null
  } catch {
    return null
  }
}

export function storeHolderKey(file: HolderKeyFile): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(file))
}

export function forgetHolderKey(): void {
  localStorage.removeItem(STORAGE_KEY)
}

function jcsHash(value: unknown): Uint8Array {
  const text = canonicalize(value)
  if (text === undefined) throw new Error('not canonicalisable')
  return sha256(new TextEncoder().encode(text))
}

/** The holder's VerifiablePresentation of ``credentials`` for one verifier's challenge and domain. */
export function signPresentation(
  credentials: Record<string, unknown>[],
  seed: Uint8Array,
  options: { challenge: string; domain: string; created?: string },
): Record<string, unknown> {
  const did = didOf(ed25519.getPublicKey(seed))
  const presentation = {
    '@context': [...PRESENTATION_CONTEXTS],
    type: ['VerifiablePresentation'],
    holder: did,
    verifiableCredential: credentials,
  }
  const config = {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    created: options.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    verificationMethod: `${did}#${did.slice('did:key:'.length)}`,
    proofPurpose: 'authentication',
    challenge: options.challenge,
    domain: options.domain,
    '@context': [...PRESENTATION_CONTEXTS],
  }
  // hashData = sha256(JCS(proof configuration)) ‖ sha256(JCS(unsecured presentation))
  const hashData = new Uint8Array(64)
  hashData.set(jcsHash(config))
  hashData.set(jcsHash(presentation), 32)
  const proofValue = base58btc.encode(ed25519.sign(hashData, seed))
  return { ...presentation, proof: [{ ...config, proofValue }] }
}

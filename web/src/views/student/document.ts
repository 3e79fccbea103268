/** Reading a growth-record or professional-development credential for people, sharing it as a
 * link, and saving files. The link carries the credential itself, compressed, in the URL's fragment:
 * a fragment is never sent to any server, so the parent's link works without the school's registry
 * keeping a copy for anyone who guesses an address. */

export type Json = Record<string, unknown>

export const BUNDLE_TYPE = 'EduLedgerVerificationBundle'
const LINK_PREFIX = 'c='

export function typesOf(document: Json): string[] {
  const type = document.type
  return Array.isArray(type) ? type.map(String) : typeof type === 'string' ? [type] : []
}

function text(value: unknown): string {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object') {
    const record = value as Json
    if (typeof record.name === 'string') return record.name
    if (record.name && typeof record.name === 'object') return Object.values(record.name as Record<string, string>)[0] ?? ''
  }
  return ''
}

/** What a person reads on a credential: never the subject's identity (a salted hash in the document). */
export interface CredentialView {
  id: string
  title: string
  issuer: string
  achievement: string
  dimension: string
  tags: string[]
  description: string
  criteria: string
  credits: number | null
  hours: string
  validFrom: string
  validUntil: string
  anchor: string
}

export function viewOf(credential: Json): CredentialView {
  const subject = (credential.credentialSubject ?? {}) as Json
  const achievement = (subject.achievement ?? {}) as Json
  const criteria = (achievement.criteria ?? {}) as Json
  const results = Array.isArray(subject.result) ? (subject.result as Json[]) : []
  const hours = results.map((result) => String(result.value ?? '')).find((value) => value !== '') ?? ''
  const proofs = Array.isArray(credential.proof) ? credential.proof : [credential.proof]
  const anchor = proofs.find((proof) => proof && typeof proof === 'object' && 'transactionHash' in proof) as Json | undefined
  return {
    id: String(credential.id ?? ''),
    title: text(credential) || text(achievement),
    issuer: text(credential.issuer),
    achievement: text(achievement),
    dimension: typeof achievement.fieldOfStudy === 'string' ? achievement.fieldOfStudy : '',
    tags: Array.isArray(achievement.tag) ? achievement.tag.map(String) : [],
    description: typeof achievement.description === 'string' ? achievement.description : '',
    criteria: typeof criteria.narrative === 'string' ? criteria.narrative : '',
    credits: typeof subject.creditsEarned === 'number' ? subject.creditsEarned : null,
    hours,
    validFrom: typeof credential.validFrom === 'string' ? credential.validFrom : '',
    validUntil: typeof credential.validUntil === 'string' ? credential.validUntil : '',
    anchor: anchor ? String(anchor.transactionHash) : '',
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream))
  return new Uint8Array(await out.arrayBuffer())
}

/** The fragment (without '#') of a link that opens ``credential`` on the student page. */
export async function linkFragment(credential: Json): Promise<string> {
  const packed = await through(new TextEncoder().encode(JSON.stringify(credential)), new CompressionStream('deflate-raw'))
  return LINK_PREFIX + toBase64Url(packed)
}

/** The credential a link's fragment carries; throws when it is not one of ours. */
export async function fromFragment(fragment: string): Promise<Json> {
  const body = fragment.replace(/^#/, '')
  if (!body.startsWith(LINK_PREFIX)) throw new Error('not a credential link')
  const bytes = await through(fromBase64Url(body.slice(LINK_PREFIX.length)), new DecompressionStream('deflate-raw'))
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes))
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a credential')
  return parsed as Json
}

/** The largest credential file a person can open here. */
export const MAX_CREDENTIAL_FILE = 5 * 1024 * 1024

/** Why a chosen file gives no credential: the key of its message under `student.` (each takes the file's `name`). */
export type CredentialFileProblem = 'tooBig' | 'notJson' | 'notCredential'

/** The credentials in a file a person chose: one credential, a presentation of several, or the credential of an
 * offline verification bundle; or why there is none. */
export async function credentialsInFile(file: File): Promise<{ credentials: Json[] } | { problem: CredentialFileProblem }> {
  if (file.size > MAX_CREDENTIAL_FILE) return { problem: 'tooBig' }
  let document: unknown
  try {
    document = JSON.parse(await file.text())
  } catch {
    return { problem: 'notJson' }
  }
  const record = (document && typeof document === 'object' && !Array.isArray(document) ? document : {}) as Json
  const types = typesOf(record)
  let items: unknown[] = []
  if (types.includes('VerifiablePresentation')) items = Array.isArray(record.verifiableCredential) ? record.verifiableCredential : [record.verifiableCredential]
  else if (types.includes(BUNDLE_TYPE)) items = [record.credential]
  else if (types.includes('VerifiableCredential')) items = [record]
  const credentials = items.filter((item): item is Json => !!item && typeof item === 'object' && !Array.isArray(item))
  return credentials.length ? { credentials } : { problem: 'notCredential' }
}

/** Save ``data`` as a JSON file the browser downloads. */
export function saveJson(name: string, data: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }))
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = name
  document.body.append(anchor)
  anchor.click()
  anchor.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** A short file name part from a credential id (urn:uuid:…). */
export function shortId(id: string): string {
  return id.replace(/^urn:uuid:/, '').slice(0, 8)
}

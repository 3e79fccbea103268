/** A school's issuing: rosters read and checked (nothing issued), batches issued and listed,
 * a credential's status changed with a reason, a student's personal data read or erased. */
import { request, upload, type UploadProgress } from './request'
import type { AcceptedPublic, BatchesPublic, BatchPublic, BatchRequest, IssuedPublic, RosterPublic, SubjectLabelPublic } from './types'

export type IssuingKind = BatchRequest['kind']
export type StatusAction = 'revoke' | 'suspend' | 'unsuspend'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Read a roster file on the server (one parser, the issuing rules themselves): records and every row's problems. */
export function readRoster(file: File, kind: IssuingKind): Promise<RosterPublic> {
  // Browsers give CSV files different types (or none): say what it is; the server looks at the bytes anyway.
  const type = /\.xlsx$/i.test(file.name) ? XLSX : 'text/csv'
  return request('POST', '/credentials/rosters', { query: { kind }, body: new Blob([file], { type }), silent: true })
}

/** Issue a batch; its key makes a retry finish the same batch, never a second one. */
export function issueBatch(batch: BatchRequest, onProgress: (progress: UploadProgress) => void): Promise<BatchPublic | AcceptedPublic> {
  return upload('/credentials/batches', new Blob([JSON.stringify(batch)], { type: 'application/json' }), onProgress)
}

export function readBatches(limit: number, offset: number): Promise<BatchesPublic> {
  return request('GET', '/credentials/batches', { query: { limit, offset } })
}

export function readBatch(key: string): Promise<BatchPublic> {
  return request('GET', `/credentials/batches/${encodeURIComponent(key)}`)
}

/** Who each credential of a batch is about (name and number from the vault), for the school's issuers. */
export function readBatchSubjects(key: string): Promise<SubjectLabelPublic[]> {
  return request('GET', `/credentials/batches/${encodeURIComponent(key)}/subjects`)
}

export function changeStatus(credentialId: string, action: StatusAction, reason: string): Promise<IssuedPublic | AcceptedPublic> {
  return request('POST', `/credentials/${encodeURIComponent(credentialId)}/status`, { json: { action, reason }, silent: true })
}

/** The personal data behind a subject (decrypted from the vault for its school). */
export function readSubject(subjectId: string): Promise<Record<string, string>> {
  return request('GET', `/subjects/${encodeURIComponent(subjectId)}`, { silent: true })
}

export function eraseSubject(subjectId: string): Promise<void> {
  return request('DELETE', `/subjects/${encodeURIComponent(subjectId)}`, { silent: true })
}

/** Verification of credentials and offline bundles (POST /verify). */
import { request } from './request'
import type { VerificationPublic } from './types'

export function verifyCredential(credential: unknown): Promise<VerificationPublic> {
  return request('POST', '/verify', { json: { credential }, anonymous: true, silent: true })
}

/** Holder-bound presentations: a verifier's one-use challenge (anyone may ask: the holder signs over it
 * with their own key, in their browser), and the credit bank's import of a presentation (its staff). */
import { request } from './request'
import type { AcceptedPublic, GrantPublic, PresentationChallengePublic } from './types'

export function newPresentationChallenge(): Promise<PresentationChallengePublic> {
  return request('POST', '/presentations/challenges', { anonymous: true, silent: true })
}

/** The credit bank verifies the presentation (the holder's proof over its challenge and domain, each
 * credential bound to the holder) and grants credits by its rules; the challenge is spent either way.
 * A slow chain: 202 (granted, the grant's anchor on its way). */
export function importPresentation(presentation: Record<string, unknown>, challenge: string): Promise<GrantPublic | AcceptedPublic> {
  return request('POST', '/credit-bank/imports', { json: { presentation, challenge }, silent: true })
}

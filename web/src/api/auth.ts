/** Sign-in: EIP-4361 challenge and session, one-time login links, sign-out. */
import { request } from './request'
import type { ChallengePublic, PrincipalPublic, SessionPublic } from './types'

export function createChallenge(address: string): Promise<ChallengePublic> {
  return request('POST', '/auth/challenge', { json: { address }, anonymous: true, silent: true })
}

export function createSession(message: string, signature: string): Promise<SessionPublic> {
  return request('POST', '/auth/session', { json: { message, signature }, anonymous: true, silent: true })
}

export function createLinkSession(code: string): Promise<SessionPublic> {
  return request('POST', '/auth/links/session', { json: { code }, anonymous: true, silent: true })
}

export function readSession(): Promise<PrincipalPublic> {
  return request('GET', '/auth/session', { silent: true, noReauth: true })
}

export function deleteSession(): Promise<void> {
  return request('DELETE', '/auth/session', { silent: true, noReauth: true })
}

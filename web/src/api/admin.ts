/** The bureau administrator's desk: institutions, accounts and roles, issuers and their keys, the catalogue. */
import { request } from './request'
import type { components } from './schema'

type Schemas = components['schemas']
export type InstitutionPublic = Schemas['InstitutionPublic']
export type InstitutionCreate = Schemas['InstitutionCreate']
export type UserPage = Schemas['UserPage']
export type UserItem = Schemas['UserItem']
export type UserPublic = Schemas['UserPublic']
export type UserUpdate = Schemas['UserUpdate']
export type IssuerPublic = Schemas['registry__api__routes__credentials__IssuerPublic'] // (two models share the name)
export type LoadResult = Schemas['LoadResult']
export type ProfileUpdate = Schemas['ProfileUpdate']

export function readInstitutions(): Promise<InstitutionPublic[]> {
  return request('GET', '/institutions')
}

export function createInstitution(institution: InstitutionCreate): Promise<InstitutionPublic> {
  return request('POST', '/institutions', { json: institution })
}

export function readUsers(page = 1, perPage = 50, role?: string): Promise<UserPage> {
  return request('GET', '/users', { query: { page, per_page: perPage, role } })
}

export function updateUser(address: string, update: UserUpdate): Promise<UserPublic> {
  return request('PUT', `/users/${address}`, { json: update })
}

export function updateProfile(address: string, update: ProfileUpdate): Promise<unknown> {
  return request('PUT', `/users/${address}/profile`, { json: update })
}

/** The institution's issuer, or null if it is not set up for issuing. */
export async function readIssuer(institutionId: string): Promise<IssuerPublic | null> {
  try {
    return await request<IssuerPublic>('GET', `/institutions/${institutionId}/issuer`, { silent: true })
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null
    throw error
  }
}

export function createIssuer(institutionId: string): Promise<IssuerPublic> {
  return request('POST', `/institutions/${institutionId}/issuer`)
}

export function loadCatalogue(data: unknown): Promise<LoadResult> {
  return request('PUT', '/catalogue', { json: data })
}

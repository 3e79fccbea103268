/** People: your profile, and names beside addresses (as far as you may see them). */
import { request } from './request'
import type { PersonPublic, ProfilePublic, ProfileUpdate } from './types'

export function readMyProfile(): Promise<ProfilePublic> {
  return request('GET', '/users/me')
}

export function updateMyProfile(update: ProfileUpdate): Promise<ProfilePublic> {
  return request('PUT', '/users/me/profile', { json: update })
}

export function readPeople(addresses: string[]): Promise<PersonPublic[]> {
  return request('GET', '/people', { query: { address: addresses } })
}

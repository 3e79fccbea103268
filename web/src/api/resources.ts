/** Resources: yours, one with its versions and history, what to sign, submission. */
import { request, upload, type UploadProgress } from './request'
import type { HistoryPublic, RegistrationInfo, ResourcePage, ResourcePublic, ReviewPublic, SchoolResourcePage, VersionPublic } from './types'

export function readMyResources(page = 1, perPage = 20): Promise<ResourcePage> {
  return request('GET', '/resources', { query: { page, per_page: perPage } })
}

/** A school's accepted (入库) resources: for its issuers (学校推荐) and administrators. */
export function readSchoolResources(institutionId: string, page = 1, perPage = 100): Promise<SchoolResourcePage> {
  return request('GET', `/institutions/${institutionId}/resources`, { query: { page, per_page: perPage } })
}

export function readResource(id: number): Promise<ResourcePublic> {
  return request('GET', `/resources/${id}`)
}

export function readVersion(id: number, number: number): Promise<VersionPublic> {
  return request('GET', `/resources/${id}/versions/${number}`)
}

export function readHistory(id: number, number: number): Promise<HistoryPublic> {
  return request('GET', `/resources/${id}/versions/${number}/history`)
}

export function readReviews(id: number, number: number): Promise<ReviewPublic[]> {
  return request('GET', `/resources/${id}/versions/${number}/reviews`, { silent: true })
}

export function readRegistrationInfo(resourceId?: number): Promise<RegistrationInfo> {
  return request('GET', '/resources/registration-info', { query: { resource_id: resourceId } })
}

/** POST the signed metadata, then the files (named as the parts), with upload progress. */
export function submitResource(
  metadata: Record<string, unknown>,
  files: File[],
  onProgress: (progress: UploadProgress) => void,
  resourceId?: number,
): Promise<VersionPublic> {
  const body = new FormData()
  body.append('metadata', JSON.stringify(metadata))
  for (const file of files) body.append('files', file, file.name)
  return upload(resourceId ? `/resources/${resourceId}/versions` : '/resources', body, onProgress)
}

/** Review (入库): the reviewer's queue, claims, part previews, rubric reviews; administrators' lists, decisions and 出库. */
import { useSessionStore } from '#/store/session'

import { ApiError, NetworkError, request } from './request'
import type { components } from './schema'
import type { ReviewPublic, VersionPublic } from './types'

type Schemas = components['schemas']
export type QueuePublic = Schemas['QueuePublic']
export type QueueItem = Schemas['QueueItem']
export type AssignmentPublic = Schemas['AssignmentPublic']
export type ReviewRequest = Schemas['ReviewRequest']
export type DecisionRequest = Schemas['DecisionRequest']
export type WithdrawalRequest = Schemas['WithdrawalRequest']
export type PreviewPublic = Schemas['PreviewPublic']
export type VersionList = Schemas['VersionList']
export type VersionItem = Schemas['VersionItem']
export type ListedState = 'IN_REVIEW' | 'ACCEPTED' | 'REVISIONS_REQUESTED' | 'DECLINED' | 'WITHDRAWN'

const version = (id: number, number: number) => `/resources/${id}/versions/${number}`

export function readQueue(): Promise<QueuePublic> {
  return request('GET', '/reviews/queue')
}

export function claimReview(id: number, number: number): Promise<AssignmentPublic> {
  return request('POST', `${version(id, number)}/claim`)
}

export function readAssignments(id: number, number: number): Promise<AssignmentPublic[]> {
  return request('GET', `${version(id, number)}/assignments`, { silent: true })
}

export function createReview(id: number, number: number, review: ReviewRequest): Promise<ReviewPublic> {
  return request('POST', `${version(id, number)}/reviews`, { json: review })
}

export function readPreview(id: number, number: number, part: string): Promise<PreviewPublic> {
  return request('GET', `${version(id, number)}/parts/${encodeURIComponent(part)}/preview`, { silent: true })
}

export function readVersions(state: ListedState, page = 1, perPage = 20): Promise<VersionList> {
  return request('GET', '/reviews/versions', { query: { state, page, per_page: perPage } })
}

export function createDecision(id: number, number: number, decision: DecisionRequest): Promise<VersionPublic> {
  return request('POST', `${version(id, number)}/decision`, { json: decision })
}

export function createWithdrawal(id: number, number: number, withdrawal: WithdrawalRequest): Promise<VersionPublic> {
  return request('POST', `${version(id, number)}/withdrawal`, { json: withdrawal })
}

/** A preview's bytes (a PDF for the page's viewer), with the session's token: drafts are not public. */
export async function readPreviewBytes(url: string): Promise<ArrayBuffer> {
  const session = useSessionStore()
  let response: Response
  try {
    response = await fetch(url, { headers: session.token ? { Authorization: `Bearer ${session.token}` } : {} })
  } catch (cause) {
    throw new NetworkError(String(cause))
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: `http_${response.status}`, message: response.statusText }))
    throw new ApiError(response.status, body)
  }
  return response.arrayBuffer()
}

export type RubricPublic = Schemas['RubricPublic']

export function readRubric(): Promise<RubricPublic> {
  return request('GET', '/reviews/rubric')
}

export type AssignmentRequest = Schemas['AssignmentRequest']

export function createAssignment(id: number, number: number, assignment: AssignmentRequest): Promise<AssignmentPublic> {
  return request('POST', `${version(id, number)}/assignments`, { json: assignment })
}

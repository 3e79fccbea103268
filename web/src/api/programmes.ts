/** Selection programmes (遴选/推荐): set-up, nominations, panel scores, the 公示 list and objections, selection,
 * recommendation; the national package (export, verify, import); teachers' contribution records. */
import { useSessionStore } from '#/store/session'

import { ApiError, NetworkError, request } from './request'
import type { components } from './schema'

type Schemas = components['schemas']
export type ProgrammeCreate = Schemas['ProgrammeCreate']
export type ProgrammePublic = Schemas['ProgrammePublic']
export type NomineePublic = Schemas['NomineePublic']
export type RankedPublic = Schemas['RankedPublic']
export type NoticePublic = Schemas['NoticePublic']
export type NoticeEntry = Schemas['NoticeEntry']
export type ObjectionPublic = Schemas['ObjectionPublic']
export type SelectionPublic = Schemas['SelectionPublic']
export type RecommendationPublic = Schemas['RecommendationPublic']
export type ScorePublic = Schemas['ScorePublic']
export type ContributionPublic = Schemas['ContributionPublic']
export type PackageVerification = Schemas['PackageVerification']
export type PackageImport = Schemas['PackageImport']
export type CollectionPublic = Schemas['CollectionPublic']
export type CollectionLevel = Schemas['CollectionRequest']['level']

const programme = (id: number) => `/programmes/${id}`

export function readProgrammes(): Promise<ProgrammePublic[]> {
  return request('GET', '/programmes')
}

/** Signed in: the panel is named to administrators (a panel member sees itself). */
export function readProgramme(id: number): Promise<ProgrammePublic> {
  return request('GET', programme(id))
}

export function createProgramme(body: ProgrammeCreate): Promise<ProgrammePublic> {
  return request('POST', '/programmes', { json: body, silent: true })
}

export function nominate(id: number, resourceId: number, route: 'self' | 'school' = 'self'): Promise<NomineePublic> {
  return request('POST', `${programme(id)}/nominations`, { json: { resource_id: resourceId, route }, silent: true })
}

/** Take a lower level's recommendations (推荐) in as nominees: all of them or none. */
export function takeIn(id: number, fromProgrammeId: number): Promise<NomineePublic[]> {
  return request('POST', `${programme(id)}/intake`, { json: { from_programme_id: fromProgrammeId }, silent: true })
}

export function readNominees(id: number): Promise<NomineePublic[]> {
  return request('GET', `${programme(id)}/nominees`)
}

export function createScore(id: number, nomineeId: number, scores: Record<string, number>): Promise<ScorePublic> {
  return request('POST', `${programme(id)}/nominees/${nomineeId}/scores`, { json: { scores }, silent: true })
}

/** The ranking; none while some nominee still lacks the panel's minimum of scores (the API's 409 scores_missing). */
export async function readRanking(id: number): Promise<RankedPublic[]> {
  try {
    return await request<RankedPublic[]>('GET', `${programme(id)}/ranking`, { silent: true })
  } catch (error) {
    if (error instanceof ApiError && error.code === 'scores_missing') return []
    throw error
  }
}

export function publishList(id: number): Promise<RankedPublic[]> {
  return request('POST', `${programme(id)}/publish`, { silent: true })
}

export function readNotice(id: number): Promise<NoticePublic> {
  return request('GET', `${programme(id)}/notice`, { anonymous: true })
}

export function createObjection(id: number, nomineeId: number, reason: string): Promise<ObjectionPublic> {
  return request('POST', `${programme(id)}/nominees/${nomineeId}/objections`, { json: { reason }, silent: true })
}

export function readObjections(id: number): Promise<ObjectionPublic[]> {
  return request('GET', `${programme(id)}/objections`)
}

export function decideObjection(id: number, objectionId: number, decision: 'uphold' | 'reject', reason: string): Promise<ObjectionPublic> {
  return request('POST', `${programme(id)}/objections/${objectionId}/decision`, { json: { decision, reason }, silent: true })
}

export function selectFinal(id: number): Promise<SelectionPublic> {
  return request('POST', `${programme(id)}/selection`, { silent: true })
}

export function readSelection(id: number): Promise<SelectionPublic> {
  return request('GET', `${programme(id)}/selection`)
}

export function readRecommendations(id: number): Promise<RecommendationPublic[]> {
  return request('GET', `${programme(id)}/recommendations`)
}

/** 收藏: collect an included version at a level; a 收藏 certificate is issued. */
export function collect(resourceId: number, version: number, level: CollectionLevel): Promise<CollectionPublic> {
  return request('POST', `/resources/${resourceId}/versions/${version}/collection`, { json: { level }, silent: true })
}

export function readContribution(address: string): Promise<ContributionPublic> {
  return request('GET', `/contributions/teachers/${address}`)
}

/** The signed contribution statement (a verifiable credential, anchored on chain). When the chain is
 * slow the registry answers 202 (committed, being anchored): its status URL is followed until the
 * signed statement is there. */
export async function createStatement(): Promise<Record<string, unknown>> {
  let answer = await request<Record<string, unknown>>('POST', '/contributions/me/statement', { silent: true })
  const deadline = Date.now() + 180_000
  while (answer.status === 'pending' && typeof answer.status_url === 'string' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    answer = await request<Record<string, unknown>>('GET', answer.status_url, { silent: true })
  }
  if (answer.status === 'pending') throw new Error(String(answer.message ?? 'the statement is still being anchored on chain'))
  return answer
}

/** The recommendation package's bytes (a zip; administrators only, so with the session's token). */
export async function readPackage(id: number): Promise<Blob> {
  const session = useSessionStore()
  let response: Response
  try {
    response = await fetch(`${programme(id)}/package`, { headers: session.token ? { Authorization: `Bearer ${session.token}` } : {} })
  } catch (cause) {
    throw new NetworkError(String(cause))
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: `http_${response.status}`, message: response.statusText }))
    throw new ApiError(response.status, body)
  }
  return response.blob()
}

export function verifyPackage(zip: Blob): Promise<PackageVerification> {
  return request('POST', '/packages/verify', { body: new Blob([zip], { type: 'application/zip' }), silent: true })
}

export function importPackage(zip: Blob): Promise<PackageImport> {
  return request('POST', '/packages/import', { body: new Blob([zip], { type: 'application/zip' }), silent: true })
}

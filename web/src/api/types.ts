/** Request and response types, generated from the registry's /openapi.json (schema.d.ts: `make web-types`). */
import type { components } from './schema'

type Schemas = components['schemas']

export type ChallengePublic = Schemas['ChallengePublic']
export type SessionPublic = Schemas['SessionPublic']
export type PrincipalPublic = Schemas['PrincipalPublic']
export type ProfilePublic = Schemas['ProfilePublic']
export type ProfileUpdate = Schemas['ProfileUpdate']
export type PersonPublic = Schemas['PersonPublic']
export type CertificatePublic = Schemas['CertificatePublic']
export type CertificateVerification = Schemas['CertificateVerification']
export type CertificateItem = Schemas['CertificateItem']
export type VerificationPublic = Schemas['VerificationPublic']
export type CheckPublic = Schemas['CheckPublic']
export type ResourcePage = Schemas['ResourcePage']
export type ResourceItem = Schemas['ResourceItem']
export type SchoolResourcePage = Schemas['SchoolResourcePage']
export type SchoolResourceItem = Schemas['SchoolResourceItem']
export type ResourcePublic = Schemas['ResourcePublic']
export type VersionPublic = Schemas['VersionPublic']
export type HistoryPublic = Schemas['HistoryPublic']
export type EventPublic = Schemas['EventPublic']
export type ReviewPublic = Schemas['ReviewPublic']
export type RegistrationInfo = Schemas['RegistrationInfo']
export type NodePublic = Schemas['NodePublic']
export type BatchPublic = Schemas['BatchPublic']
export type BatchRequest = Schemas['BatchRequest']
export type IssuedPublic = Schemas['IssuedPublic']
export type BatchesPublic = Schemas['BatchesPublic']
export type BatchSummaryPublic = Schemas['BatchSummaryPublic']
export type RosterPublic = Schemas['RosterPublic']
export type RowProblemPublic = Schemas['RowProblemPublic']
export type SubjectLabelPublic = Schemas['SubjectLabelPublic']
export type PresentationChallengePublic = Schemas['PresentationChallengePublic']
export type GrantPublic = Schemas['GrantPublic']
/** A 202: decided and committed, its chain write on the way (it completes by itself; follow status_url). */
export type AcceptedPublic = Schemas['AcceptedPublic']

export function isAccepted(answer: unknown): answer is AcceptedPublic {
  return !!answer && typeof answer === 'object' && typeof (answer as { status_url?: unknown }).status_url === 'string'
}

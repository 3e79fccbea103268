/** A roster row's problems in the user's language: the registry names the field and a stable code. */
import { ApiError, errorText } from '#/api/request'
import { hasMessage, translate } from '#/locales'

/** The columns a roster of each kind shows, as record paths (their headings are issuer.fields.*). */
export const COLUMNS = {
  growth_record: ['subject.name', 'subject.student_number', 'subject.birth_date', 'subject.guardian', 'subject.guardian_consent',
    'record.dimension', 'record.record_kind', 'record.term', 'record.narrative'],
  professional_development: ['subject.name', 'subject.staff_number', 'subject.birth_date', 'record.training', 'record.category',
    'record.hours', 'record.credits', 'record.period', 'record.provider'],
} as const

export interface Problem {
  index: number
  field: string
  code: string
  message: string
}

function numberOf(record: unknown, field: string): string {
  const [part, name] = field.split('.')
  const value = ((record as Record<string, Record<string, unknown>> | undefined)?.[part] ?? {})[name]
  return typeof value === 'string' ? value.trim().toUpperCase() : ''
}

/** "学籍号：与第 5 行重复" — the field's heading and what is wrong, in words a school uses. */
export function problemText(problem: Problem, records: unknown[], lines: number[]): string {
  const key = problem.field.replace('.', '_')
  const field = problem.field ? translate(`issuer.fields.${key}`) : translate('issuer.problems.record')
  const values: Record<string, unknown> = { field }
  if (problem.code === 'duplicate_number') {
    const mine = numberOf(records[problem.index], problem.field)
    const first = records.findIndex((record, index) => index < problem.index && numberOf(record, problem.field) === mine)
    values.line = first >= 0 ? (lines[first] ?? first + 2) : '?'
  }
  if (problem.code === 'not_allowed') values.allowed = /one of (.+)$/.exec(problem.message)?.[1]?.replaceAll(', ', '、') ?? ''
  const code = ['missing', 'too_long', 'too_short', 'not_allowed', 'bad_date', 'future_date', 'duplicate_number',
    'guardian_consent_required', 'unexpected', 'not_a_number', 'out_of_range'].includes(problem.code) ? problem.code : 'invalid'
  return translate(`issuer.problems.${code}`, values)
}

/** An error as one sentence: the issuing pages' own codes first (rosters, statuses, erasure), then the common ones. */
export function issuingError(error: unknown): string {
  if (error instanceof ApiError && hasMessage(`issuer.errors.${error.code}`)) return translate(`issuer.errors.${error.code}`, { ...error.body })
  return errorText(error)
}

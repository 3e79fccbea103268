/** What the verification page shows of a report: outcome, checks named for people. */
import { hasMessage, translate } from '#/locales'

export type Outcome = 'valid' | 'invalid' | 'cannot_tell'

export interface Check {
  name: string
  result: string
  detail: string
}

export interface NamedCheck extends Check {
  label: string
  explanation: string
  known: boolean
}

/** The check's name and plain explanation in the user's language; names the page does not know yet
 * (the verifier may add checks) are shown as they come, with the verifier's own detail. */
export function nameCheck(check: Check): NamedCheck {
  const key = `verify.checks.${check.name}`
  if (hasMessage(`${key}.name`)) return { ...check, label: translate(`${key}.name`), explanation: translate(`${key}.text`), known: true }
  const label = check.name.replace(/[_-]+/g, ' ').replace(/^\w/, (c) => c.toUpperCase())
  return { ...check, label, explanation: translate('verify.unknownCheck'), known: false }
}

export function outcomeOf(value: string): Outcome {
  return value === 'valid' || value === 'invalid' ? value : 'cannot_tell'
}

export function firstFailed(checks: Check[]): NamedCheck | null {
  const failed = checks.find((check) => check.result === 'fail')
  return failed ? nameCheck(failed) : null
}

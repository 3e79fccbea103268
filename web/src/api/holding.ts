/** What a student or parent does with a credential they hold: an offline verification bundle. */
import { request } from './request'

/** An offline bundle made from the registry's chain (anyone holding the credential may ask). */
export function makeBundle(credential: Record<string, unknown>): Promise<Record<string, unknown>> {
  return request('POST', '/verify/bundles', { json: { credential }, anonymous: true, silent: true })
}

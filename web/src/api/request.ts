/**
 * The one request client: JSON in and out, the session token added, a JSON error
 * `{error, message}` turned into one message in the user's language, and a 401 on a signed-in
 * call answered by asking the user to sign in again (the page and its form stay) and retrying.
 */
import { ElMessage } from 'element-plus'
import 'element-plus/es/components/message/style/css'

import { hasMessage, translate } from '#/locales'
import { useSessionStore } from '#/store/session'

export interface ErrorBody {
  error: string
  message: string
  [extra: string]: unknown
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message)
  }

  get code(): string {
    return this.body.error
  }
}

/** A network failure: the request may or may not have reached the server. */
export class NetworkError extends Error {}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined | null>
  json?: unknown
  /** A raw body (a file) instead of JSON, sent with its own type. */
  body?: Blob
  /** Skip the session token (public endpoints). */
  anonymous?: boolean
  /** Do not show the error message (the caller shows it). */
  silent?: boolean
  /** Do not ask the user to sign in again on a 401 (the sign-in calls themselves). */
  noReauth?: boolean
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** The error as one sentence in the user's language. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `common.errors.${error.code}`
    return hasMessage(key) ? translate(key, { ...error.body }) : translate('common.errors.default', { message: error.body.message })
  }
  if (error instanceof NetworkError) return translate('common.errors.network')
  return translate('common.errors.default', { message: error instanceof Error ? error.message : String(error) })
}

export function showError(error: unknown): void {
  ElMessage({ type: 'error', message: errorText(error), showClose: true, duration: 6000 })
}

async function parseError(response: Response): Promise<ErrorBody> {
  try {
    const body = await response.json()
    if (body && typeof body.error === 'string') return body as ErrorBody
  } catch {
    /* not JSON */
  }
  return { error: `http_${response.status}`, message: response.statusText || `HTTP ${response.status}` }
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const session = useSessionStore()
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (options.json !== undefined) headers['Content-Type'] = 'application/json'
    else if (options.body?.type) headers['Content-Type'] = options.body.type
    if (!options.anonymous && session.token) headers.Authorization = `Bearer ${session.token}`
    try {
      return await fetch(buildUrl(path, options.query), {
        method,
        headers,
        body: options.json === undefined ? options.body : JSON.stringify(options.json),
      })
    } catch (cause) {
      throw new NetworkError(String(cause))
    }
  }
  try {
    let response = await send()
    if (response.status === 401 && !options.anonymous && !options.noReauth && session.token) {
      await session.reauthenticate() // resolves once signed in again; rejects if the user gives up
      response = await send()
    }
    if (!response.ok) throw new ApiError(response.status, await parseError(response))
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  } catch (error) {
    if (!options.silent) showError(error)
    throw error
  }
}

export interface UploadProgress {
  loaded: number
  total: number
}

/**
 * A multipart POST (or a Blob, sent with its type) with upload progress (fetch cannot report it). Resolves with the JSON answer;
 * rejects with ApiError (an answer) or NetworkError (no answer: the caller may retry).
 */
export function upload<T>(path: string, body: FormData | Blob, onProgress: (progress: UploadProgress) => void): Promise<T> {
  const session = useSessionStore()
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.setRequestHeader('Accept', 'application/json')
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`)
    if (body instanceof Blob && body.type) xhr.setRequestHeader('Content-Type', body.type)
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.total })
    xhr.onerror = () => reject(new NetworkError('the upload was interrupted'))
    xhr.onabort = () => reject(new NetworkError('the upload was aborted'))
    xhr.onload = () => {
      let body: unknown
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        body = { error: `http_${xhr.status}`, message: xhr.statusText }
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T)
      else reject(new ApiError(xhr.status, body as ErrorBody))
    }
    xhr.send(body)
  })
}

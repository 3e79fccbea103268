/** vue-i18n: zh-CN first, en-US with the same keys; one JSON file per domain under langs/<locale>/.
 *
 * Only what the public verification page and the site's frame need is in the entry (zh-CN's common,
 * verify, auth and student messages): it is the page a QR code opens on a phone. Every other file —
 * the rest of zh-CN, and all of en-US — is a chunk of its own, loaded before the first page that
 * needs it (``loadMessages``: the router's guard, a change of language, the start in English). */
import { createI18n } from 'vue-i18n'

export const LOCALES = ['zh-CN', 'en-US'] as const
export type Locale = (typeof LOCALES)[number]
const STORAGE_KEY = 'eduledger.locale'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- nested message objects of any shape
type Messages = Record<string, any>
const eager = import.meta.glob<Messages>(['./langs/zh-CN/common.json', './langs/zh-CN/verify.json', './langs/zh-CN/auth.json', './langs/zh-CN/student.json'], {
  eager: true,
  import: 'default',
})
const lazy = import.meta.glob<Messages>(
  ['./langs/*/*.json', '!./langs/zh-CN/common.json', '!./langs/zh-CN/verify.json', '!./langs/zh-CN/auth.json', '!./langs/zh-CN/student.json'],
  { import: 'default' },
)
const FILE = /\.\/langs\/([^/]+)\/([^/]+)\.json$/

function eagerMessagesOf(locale: Locale): Messages {
  const messages: Messages = {}
  for (const [path, content] of Object.entries(eager)) {
    const match = FILE.exec(path)
    if (match && match[1] === locale) messages[match[2]] = content
  }
  return messages
}

const loading = new Map<Locale, Promise<void>>()

/** Every message file of ``locale`` in i18n (each locale's chunks fetched once). */
export function loadMessages(locale: Locale): Promise<void> {
  let done = loading.get(locale)
  if (!done) {
    const files = Object.entries(lazy).filter(([path]) => FILE.exec(path)?.[1] === locale)
    done = Promise.all(
      files.map(async ([path, load]) => {
        const domain = FILE.exec(path)![2]
        i18n.global.mergeLocaleMessage(locale, { [domain]: await load() })
      }),
    ).then(() => undefined)
    done.catch(() => loading.delete(locale)) // a failed fetch (offline) is tried again by the next page
    loading.set(locale, done)
  }
  return done
}

function savedLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null
  return (LOCALES as readonly string[]).includes(saved ?? '') ? (saved as Locale) : 'zh-CN'
}

const dateTime = {
  short: { year: 'numeric', month: '2-digit', day: '2-digit' },
  long: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' },
} as const

export const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': eagerMessagesOf('zh-CN'), 'en-US': eagerMessagesOf('en-US') },
  datetimeFormats: { 'zh-CN': dateTime, 'en-US': dateTime },
  numberFormats: {
    'zh-CN': { percent: { style: 'percent', maximumFractionDigits: 2 } },
    'en-US': { percent: { style: 'percent', maximumFractionDigits: 2 } },
  },
  missingWarn: false,
  fallbackWarn: false,
})

/** Switch to ``locale`` once its messages are in. */
export async function setLocale(locale: Locale): Promise<void> {
  await loadMessages(locale)
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}

/** A size in bytes for people: 1.5 MB, 2 GB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`
}

/** ``t`` and ``te`` outside components, with plain types (keys are data here, e.g. error codes). */
type Translate = (key: string, values?: Record<string, unknown>) => string
const plain = i18n.global as unknown as { t: Translate; te: (key: string) => boolean }

export function translate(key: string, values?: Record<string, unknown>): string {
  return values ? plain.t(key, values) : plain.t(key)
}

export function hasMessage(key: string): boolean {
  return plain.te(key)
}

/** A licence's name for people (message keys cannot hold dots: CC-BY-4.0 → CC-BY-4_0); unknown ones as they are. */
export function licenceLabel(licence: string): string {
  const key = `teacher.submit.licences.${licence.replaceAll('.', '_')}`
  return hasMessage(key) ? translate(key) : licence
}

/** vue-i18n: zh-CN first, en-US with the same keys; one JSON file per domain under langs/<locale>/. */
import { createI18n } from 'vue-i18n'

export const LOCALES = ['zh-CN', 'en-US'] as const
export type Locale = (typeof LOCALES)[number]
const STORAGE_KEY = 'eduledger.locale'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- nested message objects of any shape
type Messages = Record<string, any>
const files = import.meta.glob<Messages>('./langs/*/*.json', { eager: true, import: 'default' })

function messagesOf(locale: Locale): Messages {
  const messages: Messages = {}
  for (const [path, content] of Object.entries(files)) {
    const match = /\.\/langs\/([^/]+)\/([^/]+)\.json$/.exec(path)
    if (match && match[1] === locale) messages[match[2]] = content
  }
  return messages
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
  messages: { 'zh-CN': messagesOf('zh-CN'), 'en-US': messagesOf('en-US') },
  datetimeFormats: { 'zh-CN': dateTime, 'en-US': dateTime },
  numberFormats: {
    'zh-CN': { percent: { style: 'percent', maximumFractionDigits: 2 } },
    'en-US': { percent: { style: 'percent', maximumFractionDigits: 2 } },
  },
  missingWarn: false,
  fallbackWarn: false,
})

export function setLocale(locale: Locale): void {
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

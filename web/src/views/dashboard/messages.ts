/** The dashboard's messages, merged into vue-i18n when the page loads (not in the entry bundle). */
import { i18n } from '#/locales'

import enUS from './locales/en-US.json'
import zhCN from './locales/zh-CN.json'

i18n.global.mergeLocaleMessage('zh-CN', { dashboard: zhCN })
i18n.global.mergeLocaleMessage('en-US', { dashboard: enUS })

/** A duration for people: 45 分钟, 3.2 小时, 2.5 天. */
export function durationKey(seconds: number): { key: string; value: number } {
  if (seconds < 3600) return { key: 'dashboard.units.minutes', value: Math.round(seconds / 6) / 10 }
  if (seconds < 86400 * 2) return { key: 'dashboard.units.hours', value: Math.round(seconds / 360) / 10 }
  return { key: 'dashboard.units.days', value: Math.round(seconds / 8640) / 10 }
}

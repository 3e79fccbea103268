/** The dashboard's messages, merged into vue-i18n when the page loads (not in the entry bundle). */
import { i18n } from '#/locales'

import enUS from './locales/en-US.json'
import zhCN from './locales/zh-CN.json'

i18n.global.mergeLocaleMessage('zh-CN', { dashboard: zhCN })
i18n.global.mergeLocaleMessage('en-US', { dashboard: enUS })

/** A duration for people: 12 秒, 45 分钟, 3.2 小时, 2.5 天. */
export function durationKey(seconds: number): { key: string; value: number } {
  if (seconds < 60) return { key: 'dashboard.units.seconds', value: Math.round(seconds * 10) / 10 }
  if (seconds < 3600) return { key: 'dashboard.units.minutes', value: Math.round(seconds / 6) / 10 }
  if (seconds < 86400 * 2) return { key: 'dashboard.units.hours', value: Math.round(seconds / 360) / 10 }
  return { key: 'dashboard.units.days', value: Math.round(seconds / 8640) / 10 }
}

/** The unit a chart of durations up to ``largest`` seconds reads best in. */
export function chartUnit(largest: number): { divisor: number; key: string } {
  if (largest < 120) return { divisor: 1, key: 'dashboard.units.secondsAxis' }
  if (largest < 7200) return { divisor: 60, key: 'dashboard.units.minutesAxis' }
  if (largest < 86400 * 3) return { divisor: 3600, key: 'dashboard.units.hoursAxis' }
  return { divisor: 86400, key: 'dashboard.units.daysAxis' }
}

/** The 数据驾驶舱: the administrators' dashboard and the public summary. */
import { request } from './request'
import type { components } from './schema'

export type Dashboard = components['schemas']['Dashboard']
export type DashboardSummary = components['schemas']['DashboardSummary']
export type GroupRow = components['schemas']['GroupRow']
export type CredentialRow = components['schemas']['CredentialRow']

export interface Months {
  fromMonth?: string
  toMonth?: string
}

const query = (months: Months) => ({ from_month: months.fromMonth, to_month: months.toMonth })

export function readDashboard(months: Months = {}): Promise<Dashboard> {
  return request('GET', '/dashboard', { query: query(months) })
}

export function readDashboardSummary(months: Months = {}): Promise<DashboardSummary> {
  return request('GET', '/dashboard/summary', { query: query(months), anonymous: true })
}

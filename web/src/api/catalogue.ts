/** The catalogue: 学段 / 学科 / 年级 / 版本 / 册次 / 章节. */
import { request } from './request'
import type { NodePublic } from './types'

export function readCatalogue(): Promise<NodePublic[]> {
  return request('GET', '/catalogue', { anonymous: true })
}

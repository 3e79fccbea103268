/** Certificates: the chain's record, its verification, yours. */
import { request } from './request'
import type { CertificateItem, CertificatePublic, CertificateVerification } from './types'

export function readCertificate(id: number): Promise<CertificatePublic> {
  return request('GET', `/certificates/${id}`, { anonymous: true, silent: true })
}

export function verifyCertificate(id: number): Promise<CertificateVerification> {
  return request('GET', `/certificates/${id}/verify`, { anonymous: true, silent: true, query: { format: 'json' } })
}

export function readMyCertificates(): Promise<CertificateItem[]> {
  return request('GET', '/certificates')
}

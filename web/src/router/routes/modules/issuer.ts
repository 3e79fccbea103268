import type { RouteRecordRaw } from 'vue-router'

/** The school's issuing desk: import a roster and issue, what was issued, a batch's credentials. */
const meta = (titleKey: string) => ({ titleKey, roles: ['issuer'] })

const routes: RouteRecordRaw[] = [
  { path: '/issuer/import', name: 'issuer-import', component: () => import('#/views/issuer/import/index.vue'), meta: meta('issuer.import.title') },
  { path: '/issuer/batches', name: 'issuer-batches', component: () => import('#/views/issuer/batches/index.vue'), meta: meta('issuer.batches.title') },
  { path: '/issuer/batches/:key', name: 'issuer-batch', component: () => import('#/views/issuer/batch/index.vue'), meta: meta('issuer.batch.title') },
  { path: '/issuer/credit-bank', name: 'issuer-credit-bank', component: () => import('#/views/issuer/credit-bank/index.vue'), meta: meta('creditBank.title') },
]

export default routes

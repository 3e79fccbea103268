import type { RouteRecordRaw } from 'vue-router'

/** The bureau administrator's desk: decisions, 出库, institutions, accounts and roles, issuers, the catalogue. */
const meta = (titleKey: string) => ({ titleKey, roles: ['admin'] })

const routes: RouteRecordRaw[] = [
  { path: '/admin', redirect: '/admin/decisions' },
  { path: '/admin/decisions', name: 'admin-decisions', component: () => import('#/views/admin/decisions/index.vue'), meta: meta('admin.nav.decisions') },
  { path: '/admin/withdrawals', name: 'admin-withdrawals', component: () => import('#/views/admin/withdrawals/index.vue'), meta: meta('admin.nav.withdrawals') },
  { path: '/admin/institutions', name: 'admin-institutions', component: () => import('#/views/admin/institutions/index.vue'), meta: meta('admin.nav.institutions') },
  { path: '/admin/users', name: 'admin-users', component: () => import('#/views/admin/users/index.vue'), meta: meta('admin.nav.users') },
  { path: '/admin/issuers', name: 'admin-issuers', component: () => import('#/views/admin/issuers/index.vue'), meta: meta('admin.nav.issuers') },
  { path: '/admin/catalogue', name: 'admin-catalogue', component: () => import('#/views/admin/catalogue/index.vue'), meta: meta('admin.nav.catalogue') },
]

export default routes

import type { RouteRecordRaw } from 'vue-router'

/** The 数据驾驶舱: public (a summary without schools); administrators see everything. Lazy: ECharts
 * and the page's messages load with it, never with the verification page. */
const routes: RouteRecordRaw[] = [
  { path: '/dashboard', name: 'dashboard', component: () => import('#/views/dashboard/index.vue'), meta: { titleKey: 'common.nav.dashboard', public: true } },
]

export default routes

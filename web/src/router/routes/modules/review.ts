import type { RouteRecordRaw } from 'vue-router'

/** The reviewer's desk (评审): the queue, and one version to preview, claim, score — or, for an administrator, decide. */
const routes: RouteRecordRaw[] = [
  { path: '/review/queue', name: 'review-queue', component: () => import('#/views/review/queue/index.vue'), meta: { titleKey: 'review.queue.title', roles: ['reviewer'] } },
  {
    path: '/review/resources/:id(\\d+)/versions/:number(\\d+)',
    name: 'review-version',
    component: () => import('#/views/review/version/index.vue'),
    meta: { titleKey: 'review.version.title', roles: ['reviewer', 'admin'] },
  },
]

export default routes

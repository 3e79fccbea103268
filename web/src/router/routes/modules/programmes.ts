import type { RouteRecordRaw } from 'vue-router'

/** Selection programmes (遴选/推荐): the list and nomination, set-up and the administrator's programme page,
 * panel scoring, the public 公示 page, the national package; a teacher's contribution record. */
const routes: RouteRecordRaw[] = [
  { path: '/programmes', name: 'programmes', component: () => import('#/views/programmes/list/index.vue'), meta: { titleKey: 'programmes.list.title' } },
  { path: '/programmes/new', name: 'programme-new', component: () => import('#/views/programmes/setup/index.vue'), meta: { titleKey: 'programmes.setup.title', roles: ['admin'] } },
  {
    path: '/programmes/:id(\\d+)',
    name: 'programme',
    component: () => import('#/views/programmes/manage/index.vue'),
    meta: { titleKey: 'programmes.manage.title', roles: ['admin'] },
  },
  {
    path: '/programmes/:id(\\d+)/scores',
    name: 'programme-scores',
    component: () => import('#/views/programmes/score/index.vue'),
    meta: { titleKey: 'programmes.score.title', roles: ['reviewer'] },
  },
  // The 公示 page is public: no sign-in to read it; filing an objection asks for one.
  {
    path: '/programmes/:id(\\d+)/notice',
    name: 'programme-notice',
    component: () => import('#/views/programmes/notice/index.vue'),
    meta: { titleKey: 'programmes.notice.title', public: true },
  },
  { path: '/packages', name: 'packages', component: () => import('#/views/programmes/packages/index.vue'), meta: { titleKey: 'programmes.packages.title', roles: ['admin'] } },
  { path: '/contributions', name: 'contributions', component: () => import('#/views/contributions/index.vue'), meta: { titleKey: 'programmes.contribution.title', roles: ['teacher'] } },
]

export default routes

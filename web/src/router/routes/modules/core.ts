import type { RouteRecordRaw } from 'vue-router'

/** Home, sign-in, profile, and the pages every role shares. */
const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: () => import('#/views/core/home/index.vue'), meta: { titleKey: 'common.nav.home', public: true } },
  { path: '/login', name: 'login', component: () => import('#/views/core/login/index.vue'), meta: { titleKey: 'auth.title', public: true } },
  { path: '/profile', name: 'profile', component: () => import('#/views/core/profile/index.vue'), meta: { titleKey: 'common.nav.profile' } },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('#/views/core/not-found/index.vue'),
    meta: { titleKey: 'common.notFound.title', public: true },
  },
]

export default routes

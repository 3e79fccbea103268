import type { RouteRecordRaw } from 'vue-router'

/** Students and parents: no sign-in; the school's link carries the record in its fragment. */
const routes: RouteRecordRaw[] = [
  { path: '/student/credential', name: 'student-credential', component: () => import('#/views/student/credential/index.vue'), meta: { titleKey: 'student.title', public: true } },
  { path: '/student/present', name: 'student-present', component: () => import('#/views/student/present/index.vue'), meta: { titleKey: 'present.title', public: true } },
]

export default routes

import type { RouteRecordRaw } from 'vue-router'

/** The teacher's desk: resources, submission, new versions, certificates. */
const meta = (titleKey: string) => ({ titleKey, roles: ['teacher'] })

const routes: RouteRecordRaw[] = [
  { path: '/teacher/resources', name: 'teacher-resources', component: () => import('#/views/teacher/resources/index.vue'), meta: meta('common.nav.myResources') },
  { path: '/teacher/resources/:id(\\d+)', name: 'teacher-resource', component: () => import('#/views/teacher/resource/index.vue'), meta: meta('teacher.resource.title') },
  { path: '/teacher/submit', name: 'teacher-submit', component: () => import('#/views/teacher/submit/index.vue'), meta: meta('common.nav.submit') },
  {
    path: '/teacher/resources/:id(\\d+)/new-version',
    name: 'teacher-new-version',
    component: () => import('#/views/teacher/submit/index.vue'),
    meta: meta('teacher.submit.newVersionTitle'),
  },
  { path: '/teacher/certificates', name: 'teacher-certificates', component: () => import('#/views/teacher/certificates/index.vue'), meta: meta('common.nav.myCertificates') },
]

export default routes

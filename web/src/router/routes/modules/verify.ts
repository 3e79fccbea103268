import type { RouteRecordRaw } from 'vue-router'

// Not lazy: this is the page a QR code opens on a phone; loading it with the entry saves a round trip.
import VerifyPage from '#/views/verify/index.vue'

/** Public verification: no sign-in. The certificate's printed QR code points at
 * /certificates/{id}/verify, outside /app/: the registry serves this app there and this route
 * turns it into the app's own address. */
const routes: RouteRecordRaw[] = [
  { path: '/verify', name: 'verify', component: VerifyPage, meta: { titleKey: 'verify.title', public: true, entryMessages: true } },
  {
    path: '/verify/certificate/:id(\\d+)',
    name: 'verify-certificate',
    component: VerifyPage,
    meta: { titleKey: 'verify.title', public: true, entryMessages: true },
  },
  { path: '/certificates/:id(\\d+)/verify', redirect: (to) => ({ name: 'verify-certificate', params: { id: to.params.id } }) },
]

export default routes

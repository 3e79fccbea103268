/** Access in one place: a page is public, needs a session, or needs one of its meta.roles. */
import type { Router } from 'vue-router'

import { translate } from '#/locales'
import { useSessionStore } from '#/store/session'

declare module 'vue-router' {
  interface RouteMeta {
    titleKey?: string
    public?: boolean
    roles?: string[]
  }
}

export function installGuard(router: Router): void {
  router.beforeEach((to) => {
    const session = useSessionStore()
    if (to.meta.public) return true
    if (!session.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
    return true
  })
  router.afterEach((to) => {
    document.title = to.meta.titleKey ? `${translate(to.meta.titleKey)} · ${translate('common.appShort')}` : translate('common.appName')
  })
}

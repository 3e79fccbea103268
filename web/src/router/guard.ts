/** Access in one place: a page is public, needs a session, or needs one of its meta.roles. */
import type { Router } from 'vue-router'

import { i18n, loadMessages, type Locale, translate } from '#/locales'
import { useSessionStore } from '#/store/session'

declare module 'vue-router' {
  interface RouteMeta {
    titleKey?: string
    public?: boolean
    roles?: string[]
    /** The entry's messages (zh-CN's common, verify, auth, student) are all the page needs. */
    entryMessages?: boolean
  }
}

export function installGuard(router: Router): void {
  router.beforeEach(async (to) => {
    const session = useSessionStore()
    if (!to.meta.entryMessages || session.signedIn) {
      // (a signed-in visitor's menu names the other pages; offline, the page shows what it has)
      await loadMessages(i18n.global.locale.value as Locale).catch(() => undefined)
    }
    if (to.meta.public) return true
    if (!session.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
    return true
  })
  router.afterEach((to) => {
    document.title = to.meta.titleKey ? `${translate(to.meta.titleKey)} · ${translate('common.appShort')}` : translate('common.appName')
  })
}

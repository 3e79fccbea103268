import { createPinia } from 'pinia'
import { createApp } from 'vue'

import { readSession } from './api/auth'
import App from './App.vue'
import { i18n, loadMessages, type Locale } from './locales'
import { router } from './router'
import { useSessionStore } from './store/session'
import './styles/index.css'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(router)
document.documentElement.lang = i18n.global.locale.value

// A session kept from before a reload: still valid? (An expired one is dropped quietly here; later
// 401s ask the user to sign in again without leaving the page.)
const session = useSessionStore()
if (session.signedIn) {
  readSession()
    .then(() => session.refreshProfile())
    .catch(() => session.clear())
}
// The first render waits for the messages it shows: the language's own when it is not Chinese, and
// (the router's guard loads them) those of the first page and of a signed-in user's menu — the menu
// is drawn once, and messages merged after it would not redraw it.
const locale = i18n.global.locale.value as Locale
const ready = locale === 'zh-CN' ? Promise.resolve() : loadMessages(locale).catch(() => undefined)
Promise.all([ready, router.isReady().catch(() => undefined)]).then(() => app.mount('#app'))

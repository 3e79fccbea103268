import { createPinia } from 'pinia'
import { createApp } from 'vue'

import { readSession } from './api/auth'
import App from './App.vue'
import { i18n } from './locales'
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
app.mount('#app')

/** Preferences: the interface language (also remembered in localStorage by locales/index.ts). */
import { defineStore } from 'pinia'
import { ref } from 'vue'

import { i18n, setLocale, type Locale } from '#/locales'

export const usePreferencesStore = defineStore('preferences', () => {
  const locale = ref<Locale>(i18n.global.locale.value as Locale)

  function changeLocale(next: Locale): void {
    locale.value = next
    setLocale(next)
  }

  return { locale, changeLocale }
})

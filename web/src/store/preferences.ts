/** Preferences: the interface language (also remembered in localStorage by locales/index.ts). */
import { defineStore } from 'pinia'
import { ref } from 'vue'

import { i18n, setLocale, type Locale } from '#/locales'

export const usePreferencesStore = defineStore('preferences', () => {
  const locale = ref<Locale>(i18n.global.locale.value as Locale)

  async function changeLocale(next: Locale): Promise<void> {
    await setLocale(next) // (its messages fetched first: the page never shows keys)
    locale.value = next
  }

  return { locale, changeLocale }
})

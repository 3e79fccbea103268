/**
 * The signed-in session (token, address, roles), kept in sessionStorage so a reload keeps it.
 * The keystore file chosen at sign-in stays in memory only (still encrypted): signing a
 * registration or signing in again asks for the passphrase; the decrypted key is never kept.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'

import { readMyProfile } from '#/api/people'
import type { ProfilePublic, SessionPublic } from '#/api/types'

const STORAGE_KEY = 'eduledger.session'

interface Stored {
  token: string
  address: string
  roles: string[]
  expiresAt: string
}

function load(): Stored | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Stored | null
    return stored && typeof stored.token === 'string' ? stored : null
  } catch {
    return null
  }
}

export interface Keystore {
  name: string
  json: string
  address: string
}

export const useSessionStore = defineStore('session', () => {
  const stored = load()
  const token = ref<string | null>(stored?.token ?? null)
  const address = ref<string | null>(stored?.address ?? null)
  const roles = ref<string[]>(stored?.roles ?? [])
  const expiresAt = ref<string | null>(stored?.expiresAt ?? null)
  const profile = ref<ProfilePublic | null>(null)
  const keystore = shallowRef<Keystore | null>(null)
  const reauthOpen = ref(false)
  let waiting: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null

  const signedIn = computed(() => token.value !== null)

  function start(session: SessionPublic): void {
    token.value = session.token
    address.value = session.address
    roles.value = session.roles
    expiresAt.value = session.expires_at
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ token: session.token, address: session.address, roles: session.roles,
      expiresAt: session.expires_at } satisfies Stored))
    if (waiting) {
      waiting.resolve()
      waiting = null
    }
    reauthOpen.value = false
  }

  function clear(): void {
    token.value = null
    address.value = null
    roles.value = []
    expiresAt.value = null
    profile.value = null
    sessionStorage.removeItem(STORAGE_KEY)
  }

  function hasRole(...wanted: string[]): boolean {
    return wanted.some((role) => roles.value.includes(role))
  }

  /** Ask the user to sign in again (the dialog in App.vue); resolves when they have. */
  function reauthenticate(): Promise<void> {
    if (!waiting) {
      let resolve!: () => void
      let reject!: (error: Error) => void
      const promise = new Promise<void>((yes, no) => {
        resolve = yes
        reject = no
      })
      waiting = { promise, resolve, reject }
      reauthOpen.value = true
    }
    return waiting.promise
  }

  /** The user closed the sign-in dialog without signing in. */
  function giveUp(): void {
    if (!waiting) return
    reauthOpen.value = false
    waiting.reject(new Error('sign-in cancelled'))
    waiting = null
    clear()
  }

  /** Load the signed-in account's profile (its name for the header). */
  async function refreshProfile(): Promise<void> {
    if (!token.value) return
    try {
      profile.value = await readMyProfile()
    } catch {
      /* shown by the request client; the header falls back to the address */
    }
  }

  return {
    token, address, roles, expiresAt, profile, keystore, reauthOpen, signedIn,
    start, clear, hasRole, reauthenticate, giveUp, refreshProfile,
  }
})

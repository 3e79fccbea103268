/** Sign-In with Ethereum (EIP-4361): the server's message, signed with personal_sign in the browser. */
import type { Wallet } from 'ethers/wallet'

import { createChallenge, createSession } from '#/api/auth'
import type { SessionPublic } from '#/api/types'

export async function signInWith(wallet: Wallet): Promise<SessionPublic> {
  const challenge = await createChallenge(wallet.address)
  const signature = await wallet.signMessage(challenge.message)
  return createSession(challenge.message, signature)
}

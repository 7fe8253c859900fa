import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { domainHash } from './canonical.js'
import { parseWorkspaceId } from '../ids.js'
import type { WorkspaceId } from '../api/contract.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export type { WorkspaceId } from '../api/contract.js'

export function workspaceIdOf(rootKey: PublicKey): WorkspaceId {
  return parseWorkspaceId(`w${domainHash('enclave/workspace-id/v1', rootKey.raw).slice(0, 32)}`)
}

/** What people compare by eye or read aloud: the full hash of the root key, in groups of four. */
export function rootFingerprint(rootKey: PublicKey): string {
  return domainHash('enclave/root-fingerprint/v1', rootKey.raw).slice(0, 40).match(/.{4}/g)?.join(' ') ?? ''
}

export async function createRootKey(): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}

export function rootPublicKeyFromRaw(raw: Uint8Array): PublicKey {
  return publicKeyFromRaw(raw)
}

import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { domainHash } from './canonical.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

declare const brand: unique symbol
/** `w` + 32 hex digits of the hash of the workspace root public key. */
export type WorkspaceId = string & { readonly [brand]: 'WorkspaceId' }

export function workspaceIdOf(rootKey: PublicKey): WorkspaceId {
  return `w${domainHash('enclave/workspace-id/v1', rootKey.raw).slice(0, 32)}` as WorkspaceId
}

/** What people compare by eye or read aloud: the full hash of the root key, in groups of four. */
export function rootFingerprint(rootKey: PublicKey): string {
  return domainHash('enclave/root-fingerprint/v1', rootKey.raw).slice(0, 40).match(/.{4}/g)?.join(' ') ?? ''
}

export function isWorkspaceId(value: string): value is WorkspaceId {
  return /^w[0-9a-f]{32}$/.test(value)
}

export async function createRootKey(): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}

export function rootPublicKeyFromRaw(raw: Uint8Array): PublicKey {
  return publicKeyFromRaw(raw)
}

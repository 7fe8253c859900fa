import { ed25519 } from '@noble/curves/ed25519.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/**
 * Every signature Enclave makes names what it is for, so a signature made for one purpose can
 * never be replayed as another (an op as a certificate, an invite as a join request…).
 */
export const SIGNATURE_DOMAINS = {
  membershipOp: 'enclave/membership-op/v1',
  memberCertificate: 'enclave/member-certificate/v1',
  joinRequest: 'enclave/join-request/v1',
  mlsCredential: 'enclave/mls-credential/v1',
  envelope: 'enclave/envelope/v3',
  /** A device consenting to be added to a member's account (`addDevice`). */
  deviceLink: 'enclave/device-link/v1'
} as const
export type SignatureDomain = (typeof SIGNATURE_DOMAINS)[keyof typeof SIGNATURE_DOMAINS]

function framed(domain: SignatureDomain, payload: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(domain)
  const out = new Uint8Array(prefix.byteLength + 1 + payload.byteLength)
  out.set(prefix, 0)
  out.set(payload, prefix.byteLength + 1)
  return out
}

export async function signFor(key: PrivateKey, domain: SignatureDomain, payload: Uint8Array): Promise<Uint8Array> {
  return key.sign(framed(domain, payload))
}

export async function verifyFor(key: PublicKey, domain: SignatureDomain, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    return await key.verify(framed(domain, payload), signature)
  } catch {
    return false
  }
}

/** Results of `hasWeakKey`, per PeerId; a workspace's devices fit many times over. */
const weak = new Map<string, boolean>()
const MAX_WEAK_CACHE = 20_000

/**
 * Does this PeerId carry an Ed25519 key of small order (the all-zero key, and seven more)? Such a
 * key "verifies" a forged signature on any message, so whoever claims the id needs no private key:
 * in a Noise handshake, on a membership op, on an envelope. Refused everywhere as no key at all.
 */
export function hasWeakKey(peerId: string): boolean {
  const known = weak.get(peerId)
  if (known !== undefined) return known
  let answer = false
  try {
    const key = peerIdFromString(peerId).publicKey
    answer = key?.type === 'Ed25519' && ed25519.Point.fromBytes(key.raw).isSmallOrder()
  } catch {
    // Not a PeerId, or a key that is no curve point: nothing verifies for it anyway.
  }
  if (weak.size >= MAX_WEAK_CACHE) weak.clear()
  weak.set(peerId, answer)
  return answer
}

/** The Ed25519 key inside an Ed25519 PeerId, or null for ids that carry no key (or a weak one). */
export function publicKeyOfPeer(peerId: string): PublicKey | null {
  try {
    return hasWeakKey(peerId) ? null : peerIdFromString(peerId).publicKey ?? null
  } catch {
    return null
  }
}

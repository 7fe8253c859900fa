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
  envelope: 'enclave/envelope/v3'
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

/** The Ed25519 key inside an Ed25519 PeerId, or null for ids that carry no key. */
export function publicKeyOfPeer(peerId: string): PublicKey | null {
  try {
    return peerIdFromString(peerId).publicKey ?? null
  } catch {
    return null
  }
}

import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { encode as cborEncode } from 'cborg'
import { publicKeyOfPeer, SIGNATURE_DOMAINS } from '../identity/signing.js'
import type { Envelope, UnsignedEnvelope } from './envelope.js'
import type { PrivateKey } from '@libp2p/interface'

/** DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 / SPKI (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** Authors whose parsed public keys are kept: a workspace's active devices fit many times over. */
const MAX_KEYS = 20_000

/**
 * What an author signs: the domain, every routing field, and the SHA-256 of the MLS bytes (so a
 * 1 MiB envelope is hashed once, not twice by Ed25519). Canonical CBOR of a fixed field order.
 */
function signedBytes(env: UnsignedEnvelope): Uint8Array {
  const digest = createHash('sha256').update(env.mls).digest()
  return cborEncode([SIGNATURE_DOMAINS.envelope, env.v, env.conv, env.author, env.seq, env.kind, env.epoch, env.to ?? null, digest])
}

/**
 * Signs this device's envelopes with its device key (the key its PeerId is made of), through
 * Node's crypto with the key parsed once: about 20 µs an envelope here.
 */
export function createEnvelopeSigner(deviceKey: PrivateKey): (env: UnsignedEnvelope) => Envelope {
  if (deviceKey.type !== 'Ed25519') throw new Error('envelope signing needs an Ed25519 device key')
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, deviceKey.raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
  return (env) => ({ ...env, sig: new Uint8Array(nodeSign(null, signedBytes(env), key)) })
}

const publicKeys = new Map<string, KeyObject | null>()

/**
 * Did the envelope's author sign it, as it is (about 60 µs)? Anyone can check, with no group key:
 * a recipient before it stores or acknowledges, a mailbox before it keeps or forwards, a member
 * before it serves catch-up.
 */
export function envelopeSigned(env: Envelope): boolean {
  let key = publicKeys.get(env.author)
  if (key === undefined) {
    const raw = publicKeyOfPeer(env.author)
    key = raw === null || raw.type !== 'Ed25519' ? null : createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw.raw]), format: 'der', type: 'spki' })
    if (publicKeys.size >= MAX_KEYS) publicKeys.clear()
    publicKeys.set(env.author, key)
  }
  if (key === null) return false
  try {
    return nodeVerify(null, signedBytes(env), key, env.sig)
  } catch {
    return false
  }
}

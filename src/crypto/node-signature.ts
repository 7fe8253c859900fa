import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import type { Signature } from 'ts-mls'

/** DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 / SPKI (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const CACHE_LIMIT = 4096

function cached(cache: Map<string, KeyObject>, bytes: Uint8Array, make: () => KeyObject): KeyObject {
  const id = Buffer.from(bytes).toString('base64')
  let key = cache.get(id)
  if (key === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    key = make()
    cache.set(id, key)
  }
  return key
}

/**
 * Ed25519 through Node's own crypto (OpenSSL, or BoringSSL in Electron) with parsed keys
 * kept: the library's WebCrypto path imports the key again for every signature, which made
 * signing and verifying most of the cost of a message. Same algorithm, same bytes; keys are
 * accepted raw (32 bytes) or PKCS#8 as the library's own key generation makes them.
 */
export function nodeEd25519(fallback: Signature): Signature {
  const privateKeys = new Map<string, KeyObject>()
  const publicKeys = new Map<string, KeyObject>()
  const privateKey = (signKey: Uint8Array): KeyObject => cached(privateKeys, signKey, () => createPrivateKey({
    key: signKey.byteLength === 32 ? Buffer.concat([PKCS8_PREFIX, signKey]) : Buffer.from(signKey), format: 'der', type: 'pkcs8'
  }))
  const publicKey = (raw: Uint8Array): KeyObject => cached(publicKeys, raw, () => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }))
  return {
    sign: (signKey, message) => Promise.resolve(new Uint8Array(nodeSign(null, message, privateKey(signKey)))),
    verify: (key, message, signature) => {
      if (key.byteLength !== 32 || signature.byteLength !== 64) return Promise.resolve(false)
      try {
        return Promise.resolve(nodeVerify(null, message, publicKey(key), signature))
      } catch {
        return Promise.resolve(false)
      }
    },
    keygen: () => fallback.keygen()
  }
}

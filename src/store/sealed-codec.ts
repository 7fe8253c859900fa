import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { EnclaveError } from '../errors.js'
import { jsonValueCodec, type ValueCodec } from './value-codec.js'

/** Format byte of a sealed value; a later format gets a new byte and both are read. */
const FORMAT = 1
/** A Uint8Array value sealed as its raw bytes: no JSON or base64 for large binary (doc snapshots). */
const FORMAT_BYTES = 2
const NONCE_BYTES = 12
const TAG_BYTES = 16

/**
 * Values sealed with AES-256-GCM under the store's data key, each with a fresh random nonce and
 * bound to its collection and key as associated data: a value copied or moved to another key
 * fails authentication instead of being read as that key's value. AES-GCM because both Node's
 * OpenSSL and Electron's BoringSSL have it natively (BoringSSL lacks ChaCha20-Poly1305 in Node's
 * crypto). Random 96-bit nonces keep collisions negligible far beyond any store's write count.
 */
/**
 * Fresh random nonces, drawn from a 4 KiB block of OS randomness at a time: one system call
 * per ~340 values instead of one each (it showed in profiles of busy chats). Every byte is
 * handed out once.
 */
function noncePool(): () => Buffer {
  let pool = randomBytes(4096)
  let offset = 0
  return () => {
    if (offset + NONCE_BYTES > pool.byteLength) { pool = randomBytes(4096); offset = 0 }
    const nonce = Buffer.from(pool.subarray(offset, offset + NONCE_BYTES))
    offset += NONCE_BYTES
    return nonce
  }
}

export function createSealedCodec(dataKey: Uint8Array): ValueCodec {
  if (dataKey.byteLength !== 32) throw new EnclaveError('internal', 'the store data key must be 32 bytes')
  const key = Buffer.from(dataKey)
  const aad = (collection: string, itemKey: string): Buffer => Buffer.from(`enclave/store-value/v1\0${collection}\0${itemKey}`)
  const nextNonce = noncePool()
  return {
    encode: (collection, itemKey, value) => {
      const binary = value instanceof Uint8Array
      const plain = binary ? value : jsonValueCodec.encode(collection, itemKey, value)
      const nonce = nextNonce()
      const cipher = createCipheriv('aes-256-gcm', key, nonce)
      cipher.setAAD(aad(collection, itemKey))
      const body = Buffer.concat([cipher.update(plain), cipher.final()])
      return Buffer.concat([Uint8Array.of(binary ? FORMAT_BYTES : FORMAT), nonce, body, cipher.getAuthTag()])
    },
    decode: (collection, itemKey, bytes) => {
      const format = bytes[0]
      if (bytes.byteLength < 1 + NONCE_BYTES + TAG_BYTES || (format !== FORMAT && format !== FORMAT_BYTES)) throw new EnclaveError('store-error', `stored value ${collection}/${itemKey.slice(0, 80)} is not sealed`)
      const nonce = bytes.subarray(1, 1 + NONCE_BYTES)
      const tag = bytes.subarray(bytes.byteLength - TAG_BYTES)
      const decipher = createDecipheriv('aes-256-gcm', key, nonce)
      decipher.setAAD(aad(collection, itemKey))
      decipher.setAuthTag(tag)
      let plain: Buffer
      try {
        plain = Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.byteLength - TAG_BYTES)), decipher.final()])
      } catch (err) {
        throw new EnclaveError('store-error', `stored value ${collection}/${itemKey.slice(0, 80)} failed authentication`, { cause: err })
      }
      return format === FORMAT_BYTES ? new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength) : jsonValueCodec.decode(collection, itemKey, plain)
    }
  }
}

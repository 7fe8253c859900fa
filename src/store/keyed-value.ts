import { EnclaveError } from '../errors.js'
import { jsonValueCodec } from './value-codec.js'

const JSON_BODY = 0
const BYTES_BODY = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * A value together with its logical key, for collections whose keys on disk are HMACs: the key
 * cannot be read back from disk, so it travels inside the sealed value. Layout: key length
 * (u32, big-endian), key (UTF-8), body kind (0 JSON, 1 raw bytes), body.
 */
export function frameKeyed(collection: string, key: string, value: unknown): Uint8Array {
  const keyBytes = encoder.encode(key)
  const binary = value instanceof Uint8Array
  const body = binary ? value : jsonValueCodec.encode(collection, key, value)
  const out = new Uint8Array(5 + keyBytes.byteLength + body.byteLength)
  new DataView(out.buffer).setUint32(0, keyBytes.byteLength)
  out.set(keyBytes, 4)
  out[4 + keyBytes.byteLength] = binary ? BYTES_BODY : JSON_BODY
  out.set(body, 5 + keyBytes.byteLength)
  return out
}

export function unframeKeyed(collection: string, plain: unknown): { key: string; value: unknown } {
  if (!(plain instanceof Uint8Array) || plain.byteLength < 5) throw new EnclaveError('store-error', `${collection}: a stored value lacks its key`)
  const length = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0)
  if (5 + length > plain.byteLength) throw new EnclaveError('store-error', `${collection}: a stored value lacks its key`)
  const key = decoder.decode(plain.subarray(4, 4 + length))
  const body = plain.subarray(5 + length)
  return { key, value: plain[4 + length] === BYTES_BODY ? body : jsonValueCodec.decode(collection, key, body) }
}

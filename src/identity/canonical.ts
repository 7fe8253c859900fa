import { createHash } from 'node:crypto'
import { decode, encode } from 'cborg'
import { EnclaveError } from '../errors.js'

/**
 * Deterministic CBOR: cborg sorts map keys (length first, RFC 7049 canonical order), so one
 * value always has one encoding, which is what gets signed and hashed. Decoding is strict and
 * refuses duplicate keys, so two peers can never read one signed blob differently.
 */
export function canonicalEncode(value: unknown): Uint8Array {
  return encode(value)
}

export function canonicalDecode(bytes: Uint8Array): unknown {
  let value: unknown
  try {
    value = decode(bytes, { strict: true, rejectDuplicateMapKeys: true })
  } catch (err) {
    throw new EnclaveError('bad-frame', 'not canonical CBOR', { cause: err })
  }
  // Re-encoding must give the same bytes: anything else could hash or verify differently elsewhere.
  // It can also fail: cborg 6 decodes a stray break (0xff) where a map value belongs as a
  // Symbol, which it then cannot encode.
  let again: Uint8Array
  try {
    again = encode(value)
  } catch (err) {
    throw new EnclaveError('bad-frame', 'not canonical CBOR', { cause: err })
  }
  if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) throw new EnclaveError('bad-frame', 'CBOR is not in canonical form')
  return value
}

/** SHA-256 with a domain prefix, hex. Every hash in Enclave names what it hashes. */
export function domainHash(domain: string, bytes: Uint8Array): string {
  return createHash('sha256').update(domain).update(Uint8Array.of(0)).update(bytes).digest('hex')
}

import { randomBytes } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { canonicalEncode } from '../identity/canonical.js'
import { EnclaveError } from '../errors.js'

/** MLS-Exporter label for doc keys: one key per doc and epoch, context = the doc id. */
export const DOC_EXPORTER_LABEL = 'enclave/docs/v1'

/** What a sealed doc frame is bound to; a frame replayed into another doc, conversation, epoch or kind fails to open. */
export interface SealContext {
  t: string
  doc: string
  conv: string
  epoch: number
}

export interface Sealed {
  n: Uint8Array
  c: Uint8Array
}

const aad = (ctx: SealContext): Uint8Array => canonicalEncode({ d: 'enclave/doc-frame/v1', t: ctx.t, doc: ctx.doc, conv: ctx.conv, epoch: ctx.epoch })

/** XChaCha20-Poly1305 with a random 24-byte nonce (safe to pick at random, unlike 12 bytes). */
export function seal(key: Uint8Array, ctx: SealContext, plaintext: Uint8Array): Sealed {
  const n = new Uint8Array(randomBytes(24))
  return { n, c: xchacha20poly1305(key, n, aad(ctx)).encrypt(plaintext) }
}

export function open(key: Uint8Array, ctx: SealContext, sealed: Sealed): Uint8Array {
  try {
    return xchacha20poly1305(key, sealed.n, aad(ctx)).decrypt(sealed.c)
  } catch (err) {
    throw new EnclaveError('undecryptable', 'doc frame does not open with this epoch\'s key', { cause: err })
  }
}

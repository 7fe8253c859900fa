import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
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

const TAG_BYTES = 16

/**
 * AES-256-GCM, native in Node's OpenSSL and Electron's BoringSSL (a whole board seals in tens of
 * milliseconds; JS ChaCha took ~180 ms per 23 MB). A random 96-bit nonce is safe here: every key
 * belongs to one doc in one epoch, far below the 2^32 messages a key may seal that way.
 */
export function seal(key: Uint8Array, ctx: SealContext, plaintext: Uint8Array): Sealed {
  const n = new Uint8Array(randomBytes(12))
  const cipher = createCipheriv('aes-256-gcm', key, n)
  cipher.setAAD(aad(ctx))
  const c = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return { n, c: new Uint8Array(c.buffer, c.byteOffset, c.byteLength) }
}

export function open(key: Uint8Array, ctx: SealContext, sealed: Sealed): Uint8Array {
  try {
    if (sealed.n.byteLength !== 12 || sealed.c.byteLength < TAG_BYTES) throw new Error('malformed sealed frame')
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.n)
    decipher.setAAD(aad(ctx))
    decipher.setAuthTag(sealed.c.subarray(sealed.c.byteLength - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(sealed.c.subarray(0, sealed.c.byteLength - TAG_BYTES)), decipher.final()])
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
  } catch (err) {
    throw new EnclaveError('undecryptable', 'doc frame does not open with this epoch\'s key', { cause: err })
  }
}

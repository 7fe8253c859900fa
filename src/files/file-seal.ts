import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { EnclaveError } from '../errors.js'
import { MAX_FILE_BYTES } from '../limits.js'

export { MAX_FILE_BYTES }

/** Plaintext bytes per chunk: big enough that per-chunk costs vanish, small enough to verify and resume in steps. */
export const CHUNK_BYTES = 1024 * 1024
export const FILE_KEY_BYTES = 32
export const HASH_BYTES = 32
const TAG_BYTES = 16
const MANIFEST_DOMAIN = new TextEncoder().encode('enclave/file-manifest/v1\n')
const CHUNK_DOMAIN = new TextEncoder().encode('enclave/file-chunk/v1')
/** Domain, size (u64), chunk size (u32). */
const MANIFEST_HEADER = MANIFEST_DOMAIN.byteLength + 12

/**
 * The list of a file's chunk addresses under one root: `root = SHA-256(manifest bytes)`, and the
 * manifest is stored and fetched like any chunk (a blob addressed by its hash). The MLS message
 * that shares the file carries the root, so every chunk fetched from anyone checks against it.
 */
export interface Manifest {
  size: number
  chunkBytes: number
  chunks: Uint8Array[]
}

export function sha256(bytes: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(bytes).digest()
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength)
}

export const newFileKey = (): Uint8Array => new Uint8Array(randomBytes(FILE_KEY_BYTES))

export function chunkCount(size: number, chunkBytes = CHUNK_BYTES): number {
  return size === 0 ? 0 : Math.ceil(size / chunkBytes)
}

/**
 * The nonce is the chunk's index: each file has its own random key, used for this file's chunks
 * only, so an index never repeats under a key. The index is also authenticated data, so a chunk
 * cannot stand in for another even where the manifest's order were not checked.
 */
function nonceOf(index: number): Buffer {
  const n = Buffer.alloc(12)
  n.writeUInt32BE(index, 8)
  return n
}

function aadOf(index: number): Buffer {
  const a = Buffer.alloc(CHUNK_DOMAIN.byteLength + 4)
  a.set(CHUNK_DOMAIN)
  a.writeUInt32BE(index, CHUNK_DOMAIN.byteLength)
  return a
}

/** Seals chunk `index` of a file: AES-256-GCM (native in Node and Electron), ciphertext then tag. */
export function sealChunk(key: Uint8Array, index: number, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(index))
  cipher.setAAD(aadOf(index))
  const c = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return new Uint8Array(c.buffer, c.byteOffset, c.byteLength)
}

export function openChunk(key: Uint8Array, index: number, sealed: Uint8Array): Uint8Array {
  try {
    if (sealed.byteLength < TAG_BYTES) throw new Error('shorter than its tag')
    const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index))
    decipher.setAAD(aadOf(index))
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES)), decipher.final()])
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
  } catch (err) {
    throw new EnclaveError('undecryptable', `chunk ${index} does not open with the file's key`, { cause: err })
  }
}

export function encodeManifest(m: Manifest): Uint8Array {
  const out = new Uint8Array(MANIFEST_HEADER + m.chunks.length * HASH_BYTES)
  const view = new DataView(out.buffer)
  out.set(MANIFEST_DOMAIN)
  view.setBigUint64(MANIFEST_DOMAIN.byteLength, BigInt(m.size))
  view.setUint32(MANIFEST_DOMAIN.byteLength + 8, m.chunkBytes)
  m.chunks.forEach((h, i) => { out.set(h, MANIFEST_HEADER + i * HASH_BYTES) })
  return out
}

/**
 * Reads a manifest fetched from anyone: it must hash to `root` (the address the file's message
 * gave) and describe `size` in whole chunks, or it is refused as `bad-frame`.
 */
export function decodeManifest(bytes: Uint8Array, root: Uint8Array, size: number): Manifest {
  if (!equalBytes(sha256(bytes), root)) throw badManifest('it does not hash to the file\'s root')
  const m = readManifest(bytes)
  if (m.size !== size) throw badManifest('its size is not the file\'s')
  return m
}

/** Reads a manifest's fields and checks they agree; the caller checks its root (a stored one was, when stored). */
export function readManifest(bytes: Uint8Array): Manifest {
  if (bytes.byteLength < MANIFEST_HEADER || !equalBytes(bytes.subarray(0, MANIFEST_DOMAIN.byteLength), MANIFEST_DOMAIN)) throw badManifest('not a manifest')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = Number(view.getBigUint64(MANIFEST_DOMAIN.byteLength))
  const chunkBytes = view.getUint32(MANIFEST_DOMAIN.byteLength + 8)
  if (size > MAX_FILE_BYTES) throw badManifest('larger than any file shared')
  if (chunkBytes < 1024 || chunkBytes > 16 * 1024 * 1024) throw badManifest('chunk size out of range')
  const body = bytes.byteLength - MANIFEST_HEADER
  if (body % HASH_BYTES !== 0 || body / HASH_BYTES !== chunkCount(size, chunkBytes)) throw badManifest('chunk count does not match the size')
  const chunks = Array.from({ length: body / HASH_BYTES }, (_, i) => bytes.slice(MANIFEST_HEADER + i * HASH_BYTES, MANIFEST_HEADER + (i + 1) * HASH_BYTES))
  return { size, chunkBytes, chunks }
}

const badManifest = (why: string): EnclaveError => new EnclaveError('bad-frame', `file manifest refused: ${why}`)

/** Plaintext length of chunk `index`: whole chunks, then the rest. */
export function plainLengthOf(m: Pick<Manifest, 'size' | 'chunkBytes'>, index: number): number {
  return Math.min(m.chunkBytes, m.size - index * m.chunkBytes)
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

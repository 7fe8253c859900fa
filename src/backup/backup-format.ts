import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'

/**
 * An Enclave backup is a tar file (docs/backup.md):
 *
 * 1. `enclave-backup.json`: what it is, when it was made, by which release. Plain.
 * 2. `keys.age`: the store's data key, encrypted with the backup passphrase by age (scrypt).
 * 3. `store/NNNNNN`: the store's entries exactly as they lie on disk (keys hidden, values sealed
 *    under the data key), at most 16 MiB a part.
 * 4. `blobs/<sha256>`: file chunks as they lie on disk (sealed with each file's key), named by
 *    the SHA-256 of their bytes.
 * 5. `manifest`: every part and chunk with its size and hash, authenticated with a key derived
 *    from the data key. Last, so a truncated backup has none.
 *
 * Everything secret is already sealed under the data key, so the passphrase protects the whole
 * backup by protecting that key alone, and making a backup is copying, not encrypting.
 */
export const BACKUP_FORMAT = 'enclave-backup'
export const HEADER_ENTRY = 'enclave-backup.json'
export const KEYS_ENTRY = 'keys.age'
export const MANIFEST_ENTRY = 'manifest'
export const STORE_PART = /^store\/(\d{6})$/
export const BLOB_ENTRY = /^blobs\/([0-9a-f]{64})$/
/** A store part is cut at this size; a part is held in memory while written and read. */
export const PART_BYTES = 16 * 1024 * 1024
/**
 * Largest part a backup may hold: one entry bigger than PART_BYTES (a large board's snapshot) goes
 * in a part of its own. A store entry larger than this cannot be backed up (`too-large`).
 */
export const MAX_PART_BYTES = 256 * 1024 * 1024
/** Largest file chunk a backup holds (the largest chunk size a file may use). */
export const MAX_BLOB_BYTES = 16 * 1024 * 1024
/** A passphrase protects everything in the file against offline guessing: not a short one. */
export const MIN_PASSPHRASE_LENGTH = 8
const MAC_BYTES = 32

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

export const backupHeader = z.object({ format: z.literal(BACKUP_FORMAT), v: z.literal(1), created: count, app: z.string().max(40) }).strict()
export type BackupHeader = z.infer<typeof backupHeader>

export const backupKeys = z.object({ v: z.literal(1), dataKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/) }).strict()

export const backupManifest = z.object({
  v: z.literal(1),
  created: count,
  /** The store's schema: a newer build migrates it on first start. */
  schema: count,
  /** SHA-256 of the header entry, which the manifest vouches for. */
  header: hex64,
  parts: z.array(z.object({ name: z.string().regex(STORE_PART), bytes: count, entries: count, sha256: hex64 }).strict()),
  /** File chunks: name (its SHA-256) and size. */
  blobs: z.array(z.tuple([hex64, count]))
}).strict()
export type BackupManifest = z.infer<typeof backupManifest>

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function macKey(dataKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'enclave/backup-manifest/v1', 32))
}

/** The manifest entry: its MAC under the data key, then its JSON. */
export function sealManifest(manifest: BackupManifest, dataKey: Uint8Array): Uint8Array {
  const body = Buffer.from(JSON.stringify(manifest))
  return Buffer.concat([createHmac('sha256', macKey(dataKey)).update(body).digest(), body])
}

export function openManifest(bytes: Uint8Array, dataKey: Uint8Array): BackupManifest {
  const mac = bytes.subarray(0, MAC_BYTES)
  const body = bytes.subarray(MAC_BYTES)
  const expected = createHmac('sha256', macKey(dataKey)).update(body).digest()
  if (mac.byteLength !== MAC_BYTES || !timingSafeEqual(mac, expected)) throw damaged('its list of contents was changed')
  let parsed
  try {
    parsed = backupManifest.safeParse(JSON.parse(Buffer.from(body).toString('utf8')))
  } catch {
    throw damaged('its list of contents is not readable')
  }
  if (!parsed.success) throw damaged('its list of contents is not readable')
  return parsed.data
}

export function damaged(why: string): EnclaveError {
  return new EnclaveError('backup-damaged', `this backup cannot be used: ${why}`)
}

/**
 * A store part: entries one after another, each a 4-byte big-endian key length, the key, a 4-byte
 * value length and the value.
 */
export function encodePart(entries: Array<[Uint8Array, Uint8Array]>): Uint8Array {
  let size = 0
  for (const [k, v] of entries) size += 8 + k.byteLength + v.byteLength
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const [k, v] of entries) {
    out.writeUInt32BE(k.byteLength, at); at += 4
    out.set(k, at); at += k.byteLength
    out.writeUInt32BE(v.byteLength, at); at += 4
    out.set(v, at); at += v.byteLength
  }
  return out
}

export function decodePart(bytes: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<[Uint8Array, Uint8Array]> = []
  const take = (at: number): [Uint8Array, number] => {
    if (at + 4 > buf.byteLength) throw damaged('a part of the store is cut short')
    const n = buf.readUInt32BE(at)
    if (at + 4 + n > buf.byteLength) throw damaged('a part of the store is cut short')
    return [buf.subarray(at + 4, at + 4 + n), at + 4 + n]
  }
  for (let at = 0; at < buf.byteLength;) {
    const [key, afterKey] = take(at)
    const [value, next] = take(afterKey)
    if (key.byteLength === 0) throw damaged('a part of the store holds an empty key')
    out.push([key, value])
    at = next
  }
  return out
}

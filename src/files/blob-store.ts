import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { EnclaveError } from '../errors.js'
import { equalBytes, hex, sha256, HASH_BYTES } from './file-seal.js'

/**
 * File chunks at rest: sealed ciphertext (each file's key lives only in its MLS message), one
 * file per chunk in a folder beside the database, named by the SHA-256 of its bytes. LevelDB
 * would copy megabyte values through its log and compactions; a folder writes each once and
 * serves it as it is. A chunk is written to a temporary name, synced, then renamed into place,
 * so a chunk that is there is whole and verified (what resuming relies on).
 */
export interface BlobStore {
  /**
   * Keeps `bytes` under `hash` after checking they hash to it (`verified`: the caller just did);
   * refuses past the quota (`over-quota`).
   */
  put(hash: Uint8Array, bytes: Uint8Array, options?: { verified?: boolean }): Promise<void>
  get(hash: Uint8Array): Promise<Uint8Array | undefined>
  has(hash: Uint8Array): Promise<boolean>
  delete(hash: Uint8Array): Promise<void>
  /** Bytes and chunks held, and the quota. */
  usage(): { bytes: number; blobs: number; quotaBytes: number }
  /** Would `bytes` more fit under the quota? */
  fits(bytes: number): boolean
  /** Free bytes on the disk that holds the store (Infinity where the system does not say). */
  diskFree(): Promise<number>
}

export interface BlobStoreInit {
  /** @default 20 GiB */
  quotaBytes?: number
  /** Sync each chunk to disk before it counts as kept. @default true */
  durable?: boolean
}

export async function openBlobStore(dir: string, init: BlobStoreInit = {}): Promise<BlobStore> {
  const quotaBytes = init.quotaBytes ?? 20 * 1024 ** 3
  const durable = init.durable ?? true
  const tmp = join(dir, 'tmp')
  // Temporary files of a run that stopped mid-write are never whole: they go.
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true, mode: 0o700 })
  /**
   * The blobs on disk, by name, with their sizes: read once at open (every shard is listed to
   * count the quota anyway), then kept in step, so asking whether a chunk is here costs no stat.
   */
  const present = new Map<string, number>()
  let bytes = 0
  /** Bytes of writes under way, counted against the quota before they land. */
  let reserved = 0
  const writing = new Map<string, Promise<void>>()
  /** Shard folders made or being made (256 at most): chunks arriving at once make each once. */
  const shards = new Map<string, Promise<unknown>>()
  for (const shard of await readdir(dir)) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue
    shards.set(join(dir, shard), Promise.resolve())
    for (const name of await readdir(join(dir, shard))) {
      const size = (await stat(join(dir, shard, name))).size
      present.set(name, size)
      bytes += size
    }
  }
  const nameOf = (hash: Uint8Array): string => {
    if (hash.byteLength !== HASH_BYTES) throw new EnclaveError('bad-request', 'a chunk address is 32 bytes')
    return hex(hash)
  }
  const pathOf = (name: string): string => join(dir, name.slice(0, 2), name)

  return {
    put: async (hash, data, options = {}) => {
      if (options.verified !== true && !equalBytes(sha256(data), hash)) throw new EnclaveError('bad-frame', 'chunk does not hash to its address')
      const name = nameOf(hash)
      if (present.has(name)) return
      // The same chunk from two sources at once is written (and counted) once.
      const under = writing.get(name)
      if (under !== undefined) return under
      if (bytes + reserved + data.byteLength > quotaBytes) throw new EnclaveError('over-quota', 'the file store is full: free up space in Settings')
      reserved += data.byteLength
      const write = (async () => {
        try {
          const path = pathOf(name)
          const shard = join(dir, name.slice(0, 2))
          let made = shards.get(shard)
          if (made === undefined) {
            made = mkdir(shard, { recursive: true, mode: 0o700 })
            shards.set(shard, made)
            // A failed mkdir is tried again by the next chunk.
            made.catch(() => shards.delete(shard))
          }
          await made
          const temp = join(tmp, randomBytes(8).toString('hex'))
          const fh = await open(temp, 'w', 0o600)
          try {
            await fh.writeFile(data)
            if (durable) await fh.sync()
          } finally {
            await fh.close()
          }
          await rename(temp, path)
          present.set(name, data.byteLength)
          bytes += data.byteLength
        } finally {
          reserved -= data.byteLength
        }
      })().finally(() => { writing.delete(name) })
      writing.set(name, write)
      return write
    },
    get: async (hash) => {
      const name = nameOf(hash)
      if (!present.has(name)) return undefined
      const data = await readFile(pathOf(name)).catch((err: unknown) => { if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; throw err })
      return data === undefined ? undefined : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    },
    has: (hash) => Promise.resolve(present.has(nameOf(hash))),
    delete: async (hash) => {
      const name = nameOf(hash)
      const size = present.get(name)
      if (size === undefined) return
      await rm(pathOf(name), { force: true })
      present.delete(name)
      bytes -= size
    },
    usage: () => ({ bytes, blobs: present.size, quotaBytes }),
    fits: (more) => bytes + reserved + more <= quotaBytes,
    diskFree: async () => {
      const fs = await statfs(dir).catch(() => undefined)
      return fs === undefined ? Infinity : fs.bavail * fs.bsize
    }
  }
}

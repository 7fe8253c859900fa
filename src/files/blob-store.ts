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
  /** Keeps `bytes` under `hash` after checking they hash to it; refuses past the quota (`over-quota`). */
  put(hash: Uint8Array, bytes: Uint8Array): Promise<void>
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
  let bytes = 0
  let blobs = 0
  /** Bytes of writes under way, counted against the quota before they land. */
  let reserved = 0
  const writing = new Map<string, Promise<void>>()
  for (const shard of await readdir(dir)) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue
    for (const name of await readdir(join(dir, shard))) {
      bytes += (await stat(join(dir, shard, name))).size
      blobs++
    }
  }
  const pathOf = (hash: Uint8Array): string => {
    if (hash.byteLength !== HASH_BYTES) throw new EnclaveError('bad-request', 'a chunk address is 32 bytes')
    const h = hex(hash)
    return join(dir, h.slice(0, 2), h)
  }
  const sizeOf = async (path: string): Promise<number | undefined> => (await stat(path).catch(() => undefined))?.size

  return {
    put: async (hash, data) => {
      if (!equalBytes(sha256(data), hash)) throw new EnclaveError('bad-frame', 'chunk does not hash to its address')
      const path = pathOf(hash)
      // The same chunk from two sources at once is written (and counted) once.
      const under = writing.get(path)
      if (under !== undefined) return under
      const write = (async () => {
        if (await sizeOf(path) !== undefined) return
        if (bytes + reserved + data.byteLength > quotaBytes) throw new EnclaveError('over-quota', 'the file store is full: free up space in Settings')
        reserved += data.byteLength
        try {
          await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
          const temp = join(tmp, randomBytes(8).toString('hex'))
          const fh = await open(temp, 'w', 0o600)
          try {
            await fh.writeFile(data)
            if (durable) await fh.sync()
          } finally {
            await fh.close()
          }
          await rename(temp, path)
          bytes += data.byteLength
          blobs++
        } finally {
          reserved -= data.byteLength
        }
      })().finally(() => { writing.delete(path) })
      writing.set(path, write)
      return write
    },
    get: async (hash) => {
      const data = await readFile(pathOf(hash)).catch((err: unknown) => { if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; throw err })
      return data === undefined ? undefined : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    },
    has: async (hash) => await sizeOf(pathOf(hash)) !== undefined,
    delete: async (hash) => {
      const path = pathOf(hash)
      const size = await sizeOf(path)
      if (size === undefined) return
      await rm(path, { force: true })
      bytes -= size
      blobs--
    },
    usage: () => ({ bytes, blobs, quotaBytes }),
    fits: (more) => bytes + reserved + more <= quotaBytes,
    diskFree: async () => {
      const fs = await statfs(dir).catch(() => undefined)
      return fs === undefined ? Infinity : fs.bavail * fs.bsize
    }
  }
}

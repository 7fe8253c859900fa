import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { finished } from 'node:stream/promises'
import tar from 'tar-stream'
import { EnclaveError } from '../errors.js'
import { ageEncrypt } from './age-box.js'
import { VERSION } from '../version.js'
import { BACKUP_FORMAT, HEADER_ENTRY, KEYS_ENTRY, MANIFEST_ENTRY, MAX_PART_BYTES, MIN_PASSPHRASE_LENGTH, PART_BYTES, encodePart, sealManifest, sha256Hex, type BackupManifest } from './backup-format.js'
import type { BackupSummaryView } from '../api/contract.js'
import type { Store } from '../store/store.js'

/** What a backup copies: the open store, its data key, and the folder of file chunks. */
export interface BackupSource {
  store: Pick<Store, 'rawPages' | 'schemaVersion'>
  dataKey: Uint8Array
  blobsDir: string
  /** The store's folder, whose size on disk estimates how much there is to copy. */
  storeDir: string
}

export interface BackupProgress {
  /** Bytes copied so far, and about how many there are in all (the store's size on disk is an estimate). */
  bytes: number
  totalBytes: number
}

/** What a backup holds, as the API shows it. */
export type BackupSummary = BackupSummaryView

export interface WriteBackupOptions {
  onProgress?: (progress: BackupProgress) => void
  signal?: AbortSignal
  /** age's scrypt cost (log2 N). Tests lower it; people get age's default. @default 18 */
  scryptLogN?: number
}

/** Entries read from the store a page at a time. */
const PAGE = 2000

export function checkPassphrase(passphrase: string): void {
  if (Array.from(new Intl.Segmenter().segment(passphrase)).length < MIN_PASSPHRASE_LENGTH) throw new EnclaveError('bad-request', `a backup passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`)
}

async function sizeOfTree(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? await sizeOfTree(path) : (await stat(path).catch(() => ({ size: 0 }))).size
  }
  return total
}

/** File chunks in the blob folder: name and size. */
async function listBlobs(dir: string): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = []
  for (const shard of (await readdir(dir).catch(() => [])).sort()) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue
    for (const name of (await readdir(join(dir, shard))).sort()) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue
      const size = await stat(join(dir, shard, name)).then((s) => s.size, () => undefined)
      if (size !== undefined) out.push([name, size])
    }
  }
  return out
}

/**
 * Writes a backup of `source` to `file` (which must not exist): to a temporary name beside it,
 * synced, then renamed, so a file of that name is always a whole backup.
 */
export async function writeBackup(source: BackupSource, file: string, passphrase: string, options: WriteBackupOptions = {}): Promise<BackupSummary> {
  checkPassphrase(passphrase)
  if (await stat(file).then(() => true, () => false)) throw new EnclaveError('bad-request', `${basename(file)} exists already`)
  const created = Date.now()
  const blobs = await listBlobs(source.blobsDir)
  const blobBytes = blobs.reduce((n, [, size]) => n + size, 0)
  const progress: BackupProgress = { bytes: 0, totalBytes: blobBytes + await sizeOfTree(source.storeDir) }
  const advance = (bytes: number): void => {
    progress.bytes += bytes
    progress.totalBytes = Math.max(progress.totalBytes, progress.bytes)
    options.onProgress?.({ ...progress })
  }

  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`)
  const out = createWriteStream(temp, { mode: 0o600, flags: 'wx' })
  const pack = tar.pack()
  pack.pipe(out)
  const wrote = finished(out)
  // Each entry is awaited: the pack holds one at a time, whatever the disk's speed.
  const add = (name: string, bytes: Uint8Array): Promise<void> => new Promise((resolve, reject) => {
    options.signal?.throwIfAborted()
    const entry = pack.entry({ name, size: bytes.byteLength, mode: 0o600, mtime: new Date(created) }, (err) => { if (err === undefined || err === null) resolve(); else reject(err) })
    entry.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  })

  // The key section's scrypt runs on a worker meanwhile; the first parts wait in memory for it.
  const keys = ageEncrypt(Buffer.from(JSON.stringify({ v: 1, dataKey: Buffer.from(source.dataKey).toString('base64') })), passphrase, options.scryptLogN)
  keys.catch(() => undefined)
  try {
    const header = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, v: 1, created, app: VERSION }))
    await add(HEADER_ENTRY, header)
    const waiting: Array<{ name: string; bytes: Uint8Array }> = []
    let keysWritten = false
    const writeKeys = async (): Promise<void> => {
      if (keysWritten) return
      await add(KEYS_ENTRY, await keys)
      keysWritten = true
      for (const part of waiting.splice(0)) { await add(part.name, part.bytes); advance(part.bytes.byteLength) }
    }
    const keysReady = keys.then(() => true, () => true)

    const parts: BackupManifest['parts'] = []
    let pending: Array<[Uint8Array, Uint8Array]> = []
    let pendingBytes = 0
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return
      const bytes = encodePart(pending)
      const name = `store/${String(parts.length).padStart(6, '0')}`
      parts.push({ name, bytes: bytes.byteLength, entries: pending.length, sha256: sha256Hex(bytes) })
      if (keysWritten) {
        await add(name, bytes)
        advance(bytes.byteLength)
      } else {
        // Read ahead while scrypt runs, at most four parts (64 MiB).
        waiting.push({ name, bytes })
        if (waiting.length >= 4 || await Promise.race([keysReady, Promise.resolve(false)])) await writeKeys()
      }
      pending = []
      pendingBytes = 0
    }
    for await (const page of source.store.rawPages(PAGE)) {
      for (const [key, value] of page) {
        const size = 8 + key.byteLength + value.byteLength
        if (size > MAX_PART_BYTES) throw new EnclaveError('too-large', `a stored value of ${size} bytes is larger than a backup can hold`)
        if (pendingBytes + size > PART_BYTES) await flush()
        pending.push([key, value])
        pendingBytes += size
      }
    }
    await flush()
    await writeKeys()

    const kept: Array<[string, number]> = []
    for (const [name, size] of blobs) {
      // A chunk deleted since the listing (its file was removed) is simply not in the backup.
      const bytes = await readFile(join(source.blobsDir, name.slice(0, 2), name)).catch(() => undefined)
      if (bytes === undefined) continue
      await add(`blobs/${name}`, bytes)
      kept.push([name, bytes.byteLength])
      advance(size)
    }

    const manifest: BackupManifest = { v: 1, created, schema: source.store.schemaVersion, header: sha256Hex(header), parts, blobs: kept }
    await add(MANIFEST_ENTRY, sealManifest(manifest, source.dataKey))
    pack.finalize()
    await wrote
    const handle = await open(temp, 'r+')
    try { await handle.datasync() } finally { await handle.close() }
    await rename(temp, file)
    return {
      file,
      created,
      bytes: (await stat(file)).size,
      entries: parts.reduce((n, p) => n + p.entries, 0),
      blobs: kept.length,
      blobBytes: kept.reduce((n, [, size]) => n + size, 0)
    }
  } catch (err) {
    pack.destroy()
    out.destroy()
    await rm(temp, { force: true })
    throw err
  }
}

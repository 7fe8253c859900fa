import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { EnclaveError } from '../errors.js'
import { createRawStore } from '../store/raw-store.js'
import { storeDataKey, type KeyProtection } from '../store/store-key.js'
import { readBackup, summaryOf, type ReadBackupOptions } from './backup-reader.js'
import type { BackupSummary } from './backup-writer.js'

/** Written into a restored folder: the node that starts there first knows it came from a backup. */
export const RESTORED_FILE = 'restored.json'

/** When the backup this data folder was restored from was made (ms), or null if it never was. */
export async function readRestoredFrom(dataDir: string): Promise<number | null> {
  const text = await readFile(join(dataDir, RESTORED_FILE), 'utf8').catch(() => undefined)
  if (text === undefined) return null
  try {
    const created = (JSON.parse(text) as { created?: unknown }).created
    return typeof created === 'number' && Number.isFinite(created) ? created : null
  } catch {
    return null
  }
}

/** fsyncs every file in `shards` (a few at a time), then the folders that hold them. */
async function syncFiles(parents: string[], shards: Set<string>): Promise<void> {
  const fsync = async (path: string): Promise<void> => {
    const handle = await open(path, 'r')
    try { await handle.sync() } finally { await handle.close() }
  }
  const files = (await Promise.all([...shards].map(async (shard) => (await readdir(shard)).map((name) => join(shard, name))))).flat()
  for (let i = 0; i < files.length; i += 16) await Promise.all(files.slice(i, i + 16).map(fsync))
  for (const dir of [...shards, ...parents]) await fsync(dir)
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
}

/**
 * Restores a backup into `dataDir`, which must be empty or missing: everything is written to a
 * folder beside it and moved into place only once the whole backup has been read and proved, so
 * a wrong passphrase or a damaged file leaves `dataDir` as it was. The store's data key is kept
 * under `protection` (this machine's passphrase or key file), as on a first start.
 */
export async function restoreBackup(file: string, passphrase: string, dataDir: string, protection: KeyProtection | ((dir: string) => KeyProtection), options: ReadBackupOptions = {}): Promise<BackupSummary> {
  const target = resolve(dataDir)
  if (!await isEmptyOrMissing(target)) throw new EnclaveError('bad-request', `${target} is not empty: restore into a new folder`)
  const staging = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.restoring`)
  await mkdir(staging, { recursive: false, mode: 0o700 })
  try {
    const store = await createRawStore(join(staging, 'store'))
    const shards = new Set<string>()
    let contents
    try {
      contents = await readBackup(file, passphrase, {
        store: (entries) => store.put(entries),
        blob: async (name, bytes) => {
          const shard = join(staging, 'blobs', name.slice(0, 2))
          if (!shards.has(shard)) { await mkdir(shard, { recursive: true, mode: 0o700 }); shards.add(shard) }
          await writeFile(join(shard, name), bytes, { mode: 0o600 })
        }
      }, options)
      await store.sync()
    } finally {
      await store.close()
    }
    // On the disk before the folder counts as restored: the backup may be the only other copy.
    await syncFiles([...shards].map((shard) => join(shard, '..')).filter((v, i, all) => all.indexOf(v) === i), shards)
    const keyProtection = typeof protection === 'function' ? protection(staging) : protection
    await storeDataKey(staging, keyProtection, contents.dataKey)
    await writeFile(join(staging, RESTORED_FILE), JSON.stringify({ created: contents.header.created, restored: Date.now() }) + '\n', { mode: 0o600 })
    await rmdir(target).catch(() => undefined)
    await rename(staging, target)
    return summaryOf(file, contents)
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw err
  }
}

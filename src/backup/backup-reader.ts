import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import tar from 'tar-stream'
import { EnclaveError, errorMessage } from '../errors.js'
import { ageDecrypt } from './age-box.js'
import { BLOB_ENTRY, HEADER_ENTRY, KEYS_ENTRY, MANIFEST_ENTRY, MAX_BLOB_BYTES, MAX_PART_BYTES, STORE_PART, backupHeader, backupKeys, damaged, decodePart, openManifest, sha256Hex, type BackupHeader, type BackupManifest } from './backup-format.js'
import type { BackupSummaryView } from '../api/contract.js'
import type { BackupProgress } from './backup-writer.js'

/** Where a restore puts what it reads; a verification reads and keeps nothing. */
export interface BackupSink {
  store(entries: Array<[Uint8Array, Uint8Array]>): Promise<void>
  blob(name: string, bytes: Uint8Array): Promise<void>
}

export interface ReadBackupOptions {
  onProgress?: (progress: BackupProgress) => void
  signal?: AbortSignal
}

export interface BackupContents {
  header: BackupHeader
  manifest: BackupManifest
  dataKey: Uint8Array
  entries: number
  blobBytes: number
  /** Size of the backup file. */
  fileBytes: number
}

/** What a read backup holds, as the API shows it. */
export function summaryOf(file: string, c: BackupContents): BackupSummaryView {
  return { file, created: c.header.created, bytes: c.fileBytes, entries: c.entries, blobs: c.manifest.blobs.length, blobBytes: c.blobBytes }
}

/** Budgets before bytes: no entry is read into memory past what its kind may hold. */
function limitOf(name: string): number {
  if (name === HEADER_ENTRY || name === KEYS_ENTRY) return 4096
  if (STORE_PART.test(name)) return MAX_PART_BYTES
  if (BLOB_ENTRY.test(name)) return MAX_BLOB_BYTES
  // The manifest lists every chunk: ~80 bytes each, for up to 20 GiB of 64 KiB chunks.
  if (name === MANIFEST_ENTRY) return 64 * 1024 * 1024
  throw damaged(`it holds an unexpected entry ${JSON.stringify(name.slice(0, 60))}`)
}

async function unlockKeys(bytes: Uint8Array, passphrase: string): Promise<Uint8Array> {
  let plain: string
  try {
    plain = Buffer.from(await ageDecrypt(bytes, passphrase)).toString('utf8')
  } catch (err) {
    if (/no identity matched/.test(errorMessage(err))) throw new EnclaveError('backup-locked', 'wrong passphrase for this backup (or its key section was changed)')
    throw damaged('its key section is damaged')
  }
  let parsed
  try { parsed = backupKeys.safeParse(JSON.parse(plain)) } catch { throw damaged('its key section is not readable') }
  if (!parsed.success) throw damaged('its key section is not readable')
  return new Uint8Array(Buffer.from(parsed.data.dataKey, 'base64'))
}

/**
 * Reads a backup from start to end, checking everything against its manifest: the passphrase
 * (age), then every part and chunk by hash, the manifest by its MAC under the data key, and that
 * nothing is missing, extra or after the manifest. `sink` gets entries as they are read, before
 * the end proves them: a restore writes them to a folder it throws away if reading fails.
 */
export async function readBackup(file: string, passphrase: string, sink: BackupSink | null, options: ReadBackupOptions = {}): Promise<BackupContents> {
  const totalBytes = await stat(file).then((s) => s.size, () => { throw new EnclaveError('not-found', `no file ${file}`) })
  const extract = tar.extract()
  const input = createReadStream(file)
  input.on('error', (err) => extract.destroy(err))
  input.pipe(extract)

  let header: BackupHeader | undefined
  let headerHash = ''
  let dataKey: Uint8Array | undefined
  let manifest: BackupManifest | undefined
  const parts = new Map<string, { bytes: number; sha256: string; entries: number }>()
  const blobs = new Map<string, number>()
  let read = 0
  let entries = 0
  let blobBytes = 0
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted()
      const name = entry.header.name
      const size = entry.header.size ?? 0
      if (entry.header.type !== 'file' || size > limitOf(name)) throw damaged(`its entry ${JSON.stringify(name.slice(0, 60))} is not what a backup holds`)
      if (manifest !== undefined) throw damaged('something follows its list of contents')
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk)
      const bytes = Buffer.concat(chunks)
      if (bytes.byteLength !== size) throw damaged('it is cut short')
      read += size + 512
      options.onProgress?.({ bytes: Math.min(read, totalBytes), totalBytes })

      if (header === undefined) {
        if (name !== HEADER_ENTRY) throw damaged('it is not an Enclave backup')
        let parsed
        try { parsed = backupHeader.safeParse(JSON.parse(bytes.toString('utf8'))) } catch { throw damaged('it is not an Enclave backup') }
        if (!parsed.success) throw damaged('it is not an Enclave backup, or one from a newer release')
        header = parsed.data
        headerHash = sha256Hex(bytes)
        continue
      }
      if (dataKey === undefined) {
        if (name !== KEYS_ENTRY) throw damaged('its key section is missing')
        dataKey = await unlockKeys(bytes, passphrase)
        continue
      }
      const part = STORE_PART.exec(name)
      const blob = BLOB_ENTRY.exec(name)
      if (part !== null) {
        if (parts.has(name)) throw damaged('it holds a part twice')
        const decoded = decodePart(bytes)
        parts.set(name, { bytes: size, sha256: sha256Hex(bytes), entries: decoded.length })
        entries += decoded.length
        await sink?.store(decoded)
      } else if (blob !== null) {
        const hash = blob[1] ?? ''
        if (blobs.has(hash)) throw damaged('it holds a file chunk twice')
        if (sha256Hex(bytes) !== hash) throw damaged('a file chunk was changed')
        blobs.set(hash, size)
        blobBytes += size
        await sink?.blob(hash, bytes)
      } else if (name === MANIFEST_ENTRY) {
        manifest = openManifest(bytes, dataKey)
      } else {
        throw damaged(`its entry ${JSON.stringify(name.slice(0, 60))} is out of place`)
      }
    }
  } catch (err) {
    input.destroy()
    if (err instanceof EnclaveError) throw err
    // tar-stream's words for an archive that stops mid-entry, or bytes that are no tar at all.
    throw damaged(/unexpected end/i.test(errorMessage(err)) ? 'it is cut short' : 'it is not an Enclave backup')
  }
  if (header === undefined) throw damaged('it is empty or not an Enclave backup')
  if (dataKey === undefined || manifest === undefined) throw damaged('it is cut short')
  if (manifest.header !== headerHash) throw damaged('its header was changed')
  if (manifest.parts.length !== parts.size || manifest.blobs.length !== blobs.size) throw damaged('parts of it are missing or were added')
  for (const p of manifest.parts) {
    const got = parts.get(p.name)
    if (got === undefined || got.sha256 !== p.sha256 || got.bytes !== p.bytes || got.entries !== p.entries) throw damaged(`${p.name} was changed`)
  }
  for (const [hash, size] of manifest.blobs) if (blobs.get(hash) !== size) throw damaged('a file chunk is missing')
  return { header, manifest, dataKey, entries, blobBytes, fileBytes: totalBytes }
}

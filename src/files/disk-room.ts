import { statfs } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { EnclaveError } from '../errors.js'
import type { BlobStore } from './blob-store.js'

/** Refuses before any byte moves when the store's quota or its disk lacks room for `bytes`. */
export async function roomFor(blobs: BlobStore, bytes: number): Promise<void> {
  if (!blobs.fits(bytes)) throw new EnclaveError('over-quota', 'not enough room in the file store for this file: free up space in Settings')
  if (await blobs.diskFree() < bytes) throw new EnclaveError('too-large', 'not enough free disk space for this file')
}

/** Refuses to save a file where the disk lacks room for it. */
export async function freeSpaceAt(path: string, bytes: number): Promise<void> {
  const fs = await statfs(dirname(path)).catch(() => undefined)
  if (fs !== undefined && fs.bavail * fs.bsize < bytes) throw new EnclaveError('too-large', `not enough free disk space to save ${basename(path)}`)
}

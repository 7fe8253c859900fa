import { EnclaveError } from '../errors.js'
import { CHUNK_BYTES, chunkCount, encodeManifest, newFileKey, sealChunk, sha256 } from './file-seal.js'
import type { BlobStore } from './blob-store.js'

/**
 * A file being sealed as its plaintext arrives, chunk by chunk in order (read from a path, or
 * uploaded by a shell): each chunk is sealed and stored at once, so no plaintext is ever written
 * here, not even for a pasted screenshot that exists nowhere else.
 */
export interface FileSealer {
  readonly size: number
  /** Chunks sealed so far; the next `add` is chunk number `next`. */
  readonly next: number
  /** Seals the next chunk: CHUNK_BYTES of plaintext, or the rest of the file for the last one. */
  add(plaintext: Uint8Array): Promise<void>
  /** Seals the manifest; what the file's message carries. */
  finish(): Promise<{ root: Uint8Array; key: Uint8Array; chunkBytes: number }>
  /** Forgets a file never shared: its chunks are deleted (they are this file's alone: its own key). */
  discard(): Promise<void>
}

export function createFileSealer(blobs: Pick<BlobStore, 'put' | 'delete'>, size: number): FileSealer {
  const key = newFileKey()
  const total = chunkCount(size)
  const chunks: Uint8Array[] = []
  return {
    size,
    get next () { return chunks.length },
    add: async (plaintext) => {
      const index = chunks.length
      if (index >= total) throw new EnclaveError('bad-request', 'the file has no more chunks')
      const expected = Math.min(CHUNK_BYTES, size - index * CHUNK_BYTES)
      if (plaintext.byteLength !== expected) throw new EnclaveError('bad-request', `chunk ${index} must be ${expected} bytes, not ${plaintext.byteLength}`)
      const sealed = sealChunk(key, index, plaintext)
      const hash = sha256(sealed)
      await blobs.put(hash, sealed, { verified: true })
      chunks.push(hash)
    },
    finish: async () => {
      if (chunks.length !== total) throw new EnclaveError('bad-request', `the file is not whole: ${chunks.length} of ${total} chunks`)
      const manifest = encodeManifest({ size, chunkBytes: CHUNK_BYTES, chunks })
      const root = sha256(manifest)
      await blobs.put(root, manifest, { verified: true })
      return { root, key, chunkBytes: CHUNK_BYTES }
    },
    discard: async () => {
      for (const hash of chunks.splice(0)) await blobs.delete(hash)
    }
  }
}

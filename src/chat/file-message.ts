import type { FileRef } from './envelope.js'
import type { StoredFile } from './message-log.js'

/** A file as its message is kept at rest (JSON): bytes as hex and base64. */
export function storedFileOf(ref: FileRef): StoredFile {
  return { name: ref.name, size: ref.size, mime: ref.mime, root: Buffer.from(ref.root).toString('hex'), key: Buffer.from(ref.key).toString('base64'), chunkBytes: ref.chunkBytes }
}

/** The file a stored message names, as it travels. */
export function fileRefOf(stored: StoredFile): FileRef {
  return { name: stored.name, size: stored.size, mime: stored.mime, root: new Uint8Array(Buffer.from(stored.root, 'hex')), key: new Uint8Array(Buffer.from(stored.key, 'base64')), chunkBytes: stored.chunkBytes }
}

import { imageDataUrl, readImageDataUrl, sniffImageType } from '../image-data.js'
import { MAX_THUMB_BYTES } from '../limits.js'
import type { FilePreview, FileRef } from './envelope.js'
import type { StoredFile, StoredPreview } from './message-log.js'

/** A preview as kept and shown: the thumbnail as a data: URL (its type sniffed when it arrived). */
export function storedPreviewOf(preview: FilePreview): StoredPreview {
  const type = sniffImageType(preview.thumb)
  if (type === null) throw new Error('a preview checked on arrival has a thumbnail of a known type')
  return { width: preview.width, height: preview.height, thumb: imageDataUrl(preview.thumb, type), ...(preview.durationMs === undefined ? {} : { durationMs: preview.durationMs }) }
}

/** The preview a stored message names, as it travels. */
export function previewOf(stored: StoredPreview): FilePreview {
  return { width: stored.width, height: stored.height, thumb: readImageDataUrl(stored.thumb, MAX_THUMB_BYTES, 'a thumbnail').bytes, ...(stored.durationMs === undefined ? {} : { durationMs: stored.durationMs }) }
}

/** A file as its message is kept at rest (JSON): bytes as hex and base64. */
export function storedFileOf(ref: FileRef): StoredFile {
  return {
    name: ref.name,
    size: ref.size,
    mime: ref.mime,
    root: Buffer.from(ref.root).toString('hex'),
    key: Buffer.from(ref.key).toString('base64'),
    chunkBytes: ref.chunkBytes,
    ...(ref.preview === undefined ? {} : { preview: storedPreviewOf(ref.preview) })
  }
}

/** The file a stored message names, as it travels. */
export function fileRefOf(stored: StoredFile): FileRef {
  return {
    name: stored.name,
    size: stored.size,
    mime: stored.mime,
    root: new Uint8Array(Buffer.from(stored.root, 'hex')),
    key: new Uint8Array(Buffer.from(stored.key, 'base64')),
    chunkBytes: stored.chunkBytes,
    ...(stored.preview === undefined ? {} : { preview: previewOf(stored.preview) })
  }
}

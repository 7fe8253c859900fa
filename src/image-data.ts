import { EnclaveError } from './errors.js'

/*
 * Small pictures that travel as bytes (members' avatars, files' thumbnails). The core cannot
 * decode images: the renderer makes them, and the core checks what it can (size, and that the
 * bytes start like the type they claim). Only these three types: each shows in an <img> as
 * pixels only (no SVG, which can carry script and links).
 */

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const
export type ImageType = typeof IMAGE_TYPES[number]

const DATA_URL = /^data:(image\/(?:png|jpeg|webp));base64,([A-Za-z0-9+/]+={0,2})$/

/** The type the bytes' first bytes say, or null: PNG and JPEG signatures, WebP's RIFF header. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp'
  return null
}

/** Reads a shell's data: URL into checked bytes: one of IMAGE_TYPES, at most `maxBytes`. `what` names it in errors. */
export function readImageDataUrl(url: string, maxBytes: number, what: string): { bytes: Uint8Array; type: ImageType } {
  const match = DATA_URL.exec(url)
  if (match?.[1] === undefined || match[2] === undefined) throw new EnclaveError('bad-request', `${what} must be a PNG, JPEG or WebP data: URL`)
  const bytes = new Uint8Array(Buffer.from(match[2], 'base64'))
  if (bytes.byteLength === 0) throw new EnclaveError('bad-request', `${what} is empty`)
  if (bytes.byteLength > maxBytes) throw new EnclaveError('too-large', `${what} may have at most ${maxBytes / 1024} KiB; shrink it first`)
  const type = sniffImageType(bytes)
  if (type !== match[1]) throw new EnclaveError('bad-request', `${what} is not ${match[1]}`)
  return { bytes, type }
}

export function imageDataUrl(bytes: Uint8Array, type: ImageType): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`
}

import { createHash } from 'node:crypto'
import { EnclaveError } from '../errors.js'
import { MAX_AVATAR_BYTES } from '../limits.js'
import type { AvatarRef, AvatarType } from '../identity/membership-op.js'

/*
 * A member's picture as bytes: read from the data: URL a shell uploads, checked, and named by
 * its SHA-256 for the profile op. The core cannot decode images; the renderer shrinks the
 * picture to a 128 px square before upload, and the core enforces what it can check: the size,
 * that the bytes start like the type they claim, and the hash.
 */

const DATA_URL = /^data:(image\/(?:png|jpeg|webp));base64,([A-Za-z0-9+/]+={0,2})$/

/** The type the bytes' first bytes say, or null: PNG and JPEG signatures, WebP's RIFF header. */
export function sniffAvatarType(bytes: Uint8Array): AvatarType | null {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp'
  return null
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Checks picture bytes against the reference that names them; throws a coded error if they differ. */
export function checkAvatarBytes(bytes: Uint8Array, ref: AvatarRef): void {
  if (bytes.byteLength > MAX_AVATAR_BYTES) throw new EnclaveError('too-large', `a picture may have at most ${MAX_AVATAR_BYTES} bytes`)
  if (bytes.byteLength !== ref.size || sha256Hex(bytes) !== ref.sha256) throw new EnclaveError('bad-frame', 'the picture does not match its hash')
  if (sniffAvatarType(bytes) !== ref.type) throw new EnclaveError('bad-frame', `the picture is not ${ref.type}`)
}

/** Reads an uploaded data: URL into checked bytes and the reference a profile op carries. */
export function readAvatarDataUrl(url: string): { bytes: Uint8Array; ref: AvatarRef } {
  const match = DATA_URL.exec(url)
  if (match?.[1] === undefined || match[2] === undefined) throw new EnclaveError('bad-request', 'a picture must be a PNG, JPEG or WebP data: URL')
  const bytes = new Uint8Array(Buffer.from(match[2], 'base64'))
  if (bytes.byteLength === 0) throw new EnclaveError('bad-request', 'the picture is empty')
  if (bytes.byteLength > MAX_AVATAR_BYTES) throw new EnclaveError('too-large', `a picture may have at most ${MAX_AVATAR_BYTES / 1024} KiB; shrink it first`)
  const type = sniffAvatarType(bytes)
  if (type !== match[1]) throw new EnclaveError('bad-request', `the picture is not ${match[1]}`)
  return { bytes, ref: { sha256: sha256Hex(bytes), type, size: bytes.byteLength } }
}

export function avatarDataUrl(bytes: Uint8Array, type: AvatarType): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`
}

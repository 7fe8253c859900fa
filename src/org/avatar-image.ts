import { createHash } from 'node:crypto'
import { EnclaveError } from '../errors.js'
import { MAX_AVATAR_BYTES } from '../limits.js'
import { imageDataUrl, readImageDataUrl, sniffImageType } from '../image-data.js'
import type { AvatarRef } from '../identity/membership-op.js'

/*
 * A member's picture as bytes: read from the data: URL a shell uploads, checked, and named by
 * its SHA-256 for the profile op. The core cannot decode images; the renderer shrinks the
 * picture to a 128 px square before upload, and the core enforces what it can check: the size,
 * that the bytes start like the type they claim, and the hash.
 */

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Checks picture bytes against the reference that names them; throws a coded error if they differ. */
export function checkAvatarBytes(bytes: Uint8Array, ref: AvatarRef): void {
  if (bytes.byteLength > MAX_AVATAR_BYTES) throw new EnclaveError('too-large', `a picture may have at most ${MAX_AVATAR_BYTES} bytes`)
  if (bytes.byteLength !== ref.size || sha256Hex(bytes) !== ref.sha256) throw new EnclaveError('bad-frame', 'the picture does not match its hash')
  if (sniffImageType(bytes) !== ref.type) throw new EnclaveError('bad-frame', `the picture is not ${ref.type}`)
}

/** Reads an uploaded data: URL into checked bytes and the reference a profile op carries. */
export function readAvatarDataUrl(url: string): { bytes: Uint8Array; ref: AvatarRef } {
  const { bytes, type } = readImageDataUrl(url, MAX_AVATAR_BYTES, 'a picture')
  return { bytes, ref: { sha256: sha256Hex(bytes), type, size: bytes.byteLength } }
}

export const avatarDataUrl = imageDataUrl

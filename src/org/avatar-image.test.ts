import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { MAX_AVATAR_BYTES } from '../limits.js'
import { avatarDataUrl, checkAvatarBytes, readAvatarDataUrl } from './avatar-image.js'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64')
const coded = (code: string) => (err: unknown): boolean => err instanceof EnclaveError && err.code === code

test('an uploaded picture becomes a reference by hash, and its bytes read back the same', () => {
  const { bytes, ref } = readAvatarDataUrl(avatarDataUrl(PNG, 'image/png'))
  assert.deepEqual(ref, { sha256: createHash('sha256').update(PNG).digest('hex'), type: 'image/png', size: PNG.byteLength })
  checkAvatarBytes(bytes, ref)
  assert.equal(avatarDataUrl(bytes, ref.type), avatarDataUrl(PNG, 'image/png'))
})

test('a picture that is too large, of another type than it says, or not a picture is refused', () => {
  const big = new Uint8Array(MAX_AVATAR_BYTES + 1)
  big.set(PNG.subarray(0, 8))
  assert.throws(() => readAvatarDataUrl(avatarDataUrl(big, 'image/png')), coded('too-large'))
  assert.throws(() => readAvatarDataUrl(avatarDataUrl(PNG, 'image/webp')), coded('bad-request'))
  assert.throws(() => readAvatarDataUrl('data:image/svg+xml;base64,PHN2Zz4='), coded('bad-request'))
  assert.throws(() => readAvatarDataUrl('https://example.com/me.png'), coded('bad-request'))
})

test('fetched bytes must match the reference: hash, size and type', () => {
  const { ref } = readAvatarDataUrl(avatarDataUrl(PNG, 'image/png'))
  const other = Buffer.from(PNG)
  other[other.byteLength - 1] = (other[other.byteLength - 1] ?? 0) ^ 1
  assert.throws(() => { checkAvatarBytes(other, ref) }, coded('bad-frame'))
  assert.throws(() => { checkAvatarBytes(PNG.subarray(0, 20), ref) }, coded('bad-frame'))
  assert.throws(() => { checkAvatarBytes(PNG, { ...ref, type: 'image/jpeg' }) }, coded('bad-frame'))
})

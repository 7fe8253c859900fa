import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes } from '../fuzz-mutations.js'
import { chunkCount, decodeManifest, encodeManifest, newFileKey, openChunk, plainLengthOf, sealChunk, sha256 } from './file-seal.js'

const key = newFileKey()

test('a sealed chunk opens with its key at its index only, and any changed byte fails as undecryptable', () => {
  const plain = new Uint8Array(randomBytes(5000))
  const sealed = sealChunk(key, 3, plain)
  assert.equal(sealed.byteLength, plain.byteLength + 16)
  assert.deepEqual(openChunk(key, 3, sealed), plain)
  assert.throws(() => openChunk(key, 4, sealed), { code: 'undecryptable' })
  assert.throws(() => openChunk(newFileKey(), 3, sealed), { code: 'undecryptable' })
  const flipped = sealed.slice()
  flipped[100] = (flipped[100] ?? 0) ^ 1
  assert.throws(() => openChunk(key, 3, flipped), { code: 'undecryptable' })
  assert.throws(() => openChunk(key, 3, sealed.subarray(0, 10)), { code: 'undecryptable' })
})

test('no plaintext byte pattern survives sealing (a canary is not in the ciphertext)', () => {
  const canary = new TextEncoder().encode('CANARY-enclave-secret-CANARY')
  const plain = new Uint8Array(64 * 1024)
  for (let at = 0; at + canary.byteLength < plain.byteLength; at += 4096) plain.set(canary, at)
  const sealed = Buffer.from(sealChunk(key, 0, plain))
  assert.equal(sealed.indexOf(Buffer.from(canary)), -1)
})

test('a manifest round-trips under its root, and is refused if its root, size or count do not match', () => {
  const size = 2.5 * 1024 * 1024
  const chunks = Array.from({ length: chunkCount(size) }, () => new Uint8Array(randomBytes(32)))
  assert.equal(chunks.length, 3)
  const bytes = encodeManifest({ size, chunkBytes: 1024 * 1024, chunks })
  const root = sha256(bytes)
  const m = decodeManifest(bytes, root, size)
  assert.deepEqual(m.chunks, chunks)
  assert.equal(plainLengthOf(m, 2), 0.5 * 1024 * 1024)
  assert.throws(() => decodeManifest(bytes, sha256(new Uint8Array(1)), size), { code: 'bad-frame', message: /root/ })
  assert.throws(() => decodeManifest(bytes, root, size + 1), { code: 'bad-frame', message: /size/ })
  const short = encodeManifest({ size, chunkBytes: 1024 * 1024, chunks: chunks.slice(0, 2) })
  assert.throws(() => decodeManifest(short, sha256(short), size), { code: 'bad-frame', message: /count/ })
  const empty = encodeManifest({ size: 0, chunkBytes: 1024 * 1024, chunks: [] })
  assert.equal(decodeManifest(empty, sha256(empty), 0).chunks.length, 0)
})

test('fuzz: a mutated manifest under its own hash either decodes to what it encodes or is refused as bad-frame', () => {
  const size = 3 * 1024 * 1024 + 7
  const bytes = encodeManifest({ size, chunkBytes: 1024 * 1024, chunks: Array.from({ length: 4 }, () => new Uint8Array(randomBytes(32))) })
  fc.assert(fc.property(mutatedBytes(bytes, 4), (other) => {
    try {
      const m = decodeManifest(other, sha256(other), size)
      assert.deepEqual(encodeManifest(m), other)
    } catch (err) {
      assert.equal((err as { code?: unknown }).code, 'bad-frame')
    }
  }), { numRuns: fuzzRuns(500) })
})

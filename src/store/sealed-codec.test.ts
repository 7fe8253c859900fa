import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { createSealedCodec } from './sealed-codec.js'
import { jsonValueCodec } from './value-codec.js'

const codec = createSealedCodec(randomBytes(32))
const storeError = (e: unknown): boolean => e instanceof EnclaveError && e.code === 'store-error'

test('sealed values read back, and never contain their plaintext', () => {
  const value = { text: 'canary-7f3a quarterly numbers', n: 42 }
  const sealed = codec.encode('messages', 'k1', value)
  assert.deepEqual(codec.decode('messages', 'k1', sealed), value)
  assert.ok(!Buffer.from(sealed).includes('canary-7f3a'))
  // A fresh nonce each time: equal values do not look equal on disk.
  assert.notDeepEqual(sealed, codec.encode('messages', 'k1', value))
})

test('a value moved to another key or collection, or altered, fails authentication', () => {
  const sealed = codec.encode('messages', 'k1', { text: 'hello' })
  assert.throws(() => codec.decode('messages', 'k2', sealed), storeError)
  assert.throws(() => codec.decode('outbox', 'k1', sealed), storeError)
  const flipped = sealed.slice()
  flipped[20] = (flipped[20] ?? 0) ^ 1
  assert.throws(() => codec.decode('messages', 'k1', flipped), storeError)
  assert.throws(() => createSealedCodec(randomBytes(32)).decode('messages', 'k1', sealed), storeError)
  assert.throws(() => codec.decode('messages', 'k1', jsonValueCodec.encode('messages', 'k1', { text: 'plain' })), storeError)
})

test('binary values are sealed as their bytes and come back as bytes, bound to their key like any value', () => {
  const codec = createSealedCodec(new Uint8Array(32).fill(7))
  const value = new Uint8Array([0, 1, 2, 250, 255])
  const sealed = codec.encode('docUpdates', 'doc:a/s', value)
  assert.deepEqual(codec.decode('docUpdates', 'doc:a/s', sealed), value)
  assert.throws(() => codec.decode('docUpdates', 'doc:b/s', sealed), /failed authentication/)
  assert.deepEqual(codec.decode('docs', 'k', codec.encode('docs', 'k', { a: 1 })), { a: 1 }, 'JSON values are unchanged')
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { NOISE_CRYPTO, noiseCryptoOf } from './noise-crypto.js'

// Noise seals every transport frame with whichever implementation is chosen, and a peer may use
// another: all three must agree byte for byte, and each must refuse a damaged frame.

const key = randomBytes(32)
const nonce = randomBytes(12)
const ad = randomBytes(32)

for (const size of [0, 100, 1199, 1200, 65_519]) {
  test(`every Noise cipher seals and opens what the others do (${size} bytes)`, () => {
    const plaintext = randomBytes(size)
    const sealed = NOISE_CRYPTO.map((c) => Buffer.from(noiseCryptoOf(c).chaCha20Poly1305Encrypt(plaintext, nonce, ad, key).subarray()))
    for (const s of sealed) assert.ok(s.equals(sealed[0] ?? Buffer.alloc(0)))
    for (const c of NOISE_CRYPTO) {
      const opened = noiseCryptoOf(c).chaCha20Poly1305Decrypt(new Uint8ArrayList(sealed[0] ?? Buffer.alloc(0)), nonce, ad, key)
      assert.ok(Buffer.from(opened.subarray()).equals(plaintext), c)
    }
  })
}

test('sodium opens in place, as Noise asks, and refuses a frame changed by one bit', () => {
  const crypto = noiseCryptoOf('sodium')
  const plaintext = randomBytes(4096)
  const frame = Buffer.from(crypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key).subarray())
  const damaged = Buffer.from(frame)
  damaged[100] = (damaged[100] ?? 0) ^ 1
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(damaged, nonce, ad, key))
  const dst = frame.subarray(0, frame.byteLength - 16)
  const opened = crypto.chaCha20Poly1305Decrypt(frame, nonce, ad, key, dst)
  assert.ok(Buffer.from(opened.subarray()).equals(plaintext))
  assert.equal(opened.subarray().buffer, frame.buffer, 'opened in the frame\'s own bytes')
})

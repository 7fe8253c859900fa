import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clearBytes, decryptFrame, encryptFrame, frameKeyIndex, ivSource, keyIndex, senderKey } from './frame-crypto.js'

const secret = new Uint8Array(32).fill(7)
const frame = (n: number): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff)

test('a sealed frame opens with its sender\'s key into the same bytes, its header still readable', async () => {
  const key = await senderKey(secret, 'alice')
  const index = await keyIndex(secret)
  const nextIv = ivSource()
  for (const [kind, n] of [['key', 4000], ['delta', 900], ['audio', 120], ['delta', 2]] as const) {
    const plain = frame(n)
    const sealed = await encryptFrame(plain, clearBytes(kind), key, index, nextIv())
    assert.deepEqual(sealed.subarray(0, Math.min(clearBytes(kind), n)), plain.subarray(0, Math.min(clearBytes(kind), n)), 'the header a packetizer reads stays')
    if (n > clearBytes(kind)) assert.notDeepEqual(sealed.subarray(clearBytes(kind), n), plain.subarray(clearBytes(kind)), 'the rest is not')
    assert.equal(frameKeyIndex(sealed, clearBytes(kind)), index)
    assert.deepEqual(await decryptFrame(sealed, clearBytes(kind), key), plain)
  }
})

test('another sender\'s key, another call key, a changed byte (header included) or a cut frame never open', async () => {
  const plain = frame(1000)
  const key = await senderKey(secret, 'alice')
  const sealed = await encryptFrame(plain, 3, key, await keyIndex(secret), ivSource()())
  assert.equal(await decryptFrame(sealed, 3, await senderKey(secret, 'bob')), null)
  assert.equal(await decryptFrame(sealed, 3, await senderKey(new Uint8Array(32).fill(8), 'alice')), null)
  for (const at of [0, 2, 3, 500, sealed.byteLength - 14]) {
    const changed = sealed.slice()
    changed[at] = (changed[at] ?? 0) ^ 1
    assert.equal(await decryptFrame(changed, 3, key), null, `byte ${at}`)
  }
  assert.equal(await decryptFrame(sealed.slice(0, 20), 3, key), null)
  assert.equal(frameKeyIndex(new Uint8Array(10), 3), null)
})

test('IVs never repeat under one transform, and two transforms start apart', () => {
  const a = ivSource()
  const b = ivSource()
  const seen = new Set<string>()
  for (let i = 0; i < 1000; i++) seen.add(Buffer.from(a()).toString('hex'))
  assert.equal(seen.size, 1000)
  assert.equal(seen.has(Buffer.from(b()).toString('hex')), false)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { nodeEd25519 } from './node-signature.js'
import { mlsSuite } from './mls-suite.js'

test('Node\'s Ed25519 and noble\'s sign and verify each other\'s signatures, raw and PKCS#8 keys alike', async () => {
  const sig = nodeEd25519((await mlsSuite()).signature)
  const message = new TextEncoder().encode('MLS 1.0 content')
  const raw = ed25519.utils.randomSecretKey()
  const pub = ed25519.getPublicKey(raw)
  assert.ok(ed25519.verify(await sig.sign(raw, message), message, pub))
  assert.ok(await sig.verify(pub, message, ed25519.sign(message, raw)))
  const generated = await sig.keygen()
  const signature = await sig.sign(generated.signKey, message)
  assert.ok(ed25519.verify(signature, message, generated.publicKey))
  assert.equal(await sig.verify(generated.publicKey, Uint8Array.of(1, 2), signature), false)
  assert.equal(await sig.verify(pub, message, new Uint8Array(64)), false)
  assert.equal(await sig.verify(new Uint8Array(31), message, signature), false)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { canonicalEncode } from './canonical.js'
import { signOp } from './membership-op.js'
import { commitmentOf, MAX_SEALED_VALUE_BYTES, openSealed, sealValue } from './sealed-fields.js'
import { createRootKey, workspaceIdOf } from './workspace-key.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes } from '../fuzz-mutations.js'

const coded = (code: string) => (err: unknown): boolean => err instanceof EnclaveError && err.code === code

test('a sealed value opens against its commitment, and the same phone sealed twice gives unrelated commitments', () => {
  const a = sealValue({ k: 'contact', phone: '+86 138 0000 0000', email: 'li@example.com' })
  const b = sealValue({ k: 'contact', phone: '+86 138 0000 0000', email: 'li@example.com' })
  assert.deepEqual(openSealed(a.bytes, a.commitment), a.value)
  // Salted: a guest holding the commitment cannot test guessed numbers against it.
  assert.notEqual(a.commitment, b.commitment)
  assert.equal(commitmentOf(a.bytes), a.commitment)
})

test('a value that is not the one committed to is refused as wrong-author; a malformed one as bad-frame', () => {
  const a = sealValue({ k: 'contact', phone: '555-0100' })
  const other = sealValue({ k: 'contact', phone: '555-0199' })
  assert.throws(() => openSealed(other.bytes, a.commitment), coded('wrong-author'))
  const junk = canonicalEncode({ k: 'contact', salt: new Uint8Array(3), phone: 'x' })
  assert.throws(() => openSealed(junk, commitmentOf(junk)), coded('bad-frame'))
  assert.throws(() => openSealed(new Uint8Array(MAX_SEALED_VALUE_BYTES + 1), a.commitment), coded('too-large'))
  assert.throws(() => sealValue({ k: 'contact', phone: 'x'.repeat(1000) }), coded('bad-request'))
})

test('any bytes or edits of a real value, given as a sealed value, fail with a coded error or open to a checked value', () => {
  const a = sealValue({ k: 'invite', secretHash: 'ab'.repeat(32) })
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutatedBytes(a.bytes)), (bytes) => {
    try {
      const value = openSealed(bytes, commitmentOf(bytes))
      assert.ok(['invite', 'contact'].includes(value.k))
    } catch (err) {
      assert.ok(err instanceof EnclaveError, String(err))
    }
  }), { numRuns: fuzzRuns(2_000) })
})

test('an invite op names its secret by exactly one of secretHash and secretSealed', async () => {
  const root = await createRootKey()
  const ws = workspaceIdOf(root.publicKey)
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const base = { type: 'invite' as const, inviteId: 'inv-0123456789ab', role: 'member' as const, expiresAt: 10_000, approval: false }
  const sealed = sealValue({ k: 'invite', secretHash: 'cd'.repeat(32) })
  const op = await signOp(key, { v: 1, ws, parents: [], author, ts: 1, body: { ...base, secretSealed: sealed.commitment } })
  assert.equal(op.body.type === 'invite' ? op.body.secretHash : 'x', undefined)
  await assert.rejects(signOp(key, { v: 1, ws, parents: [], author, ts: 1, body: base }), coded('bad-request'))
  await assert.rejects(signOp(key, { v: 1, ws, parents: [], author, ts: 1, body: { ...base, secretHash: 'cd'.repeat(32), secretSealed: sealed.commitment } }), coded('bad-request'))
})

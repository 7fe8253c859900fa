import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { canonicalEncode } from './canonical.js'
import { verifyCertificate } from './certificate.js'
import { decodeInviteLink, encodeInviteLink, INVITE_LINK_PREFIX } from './invite-link.js'
import { createMembershipLog } from './membership-log.js'
import { verifyOp } from './membership-op.js'
import { createRootKey, workspaceIdOf } from './workspace-key.js'
import { fuzzRuns } from '../fuzz-runs.js'

const ws = workspaceIdOf((await createRootKey()).publicKey)
const coded = (err: unknown): boolean => err instanceof EnclaveError

test('any bytes given as a membership op fail with a coded error, never a crash', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), async (bytes, sig) => {
    await assert.rejects(verifyOp({ bytes, sig }, ws), coded)
  }), { numRuns: fuzzRuns(2_000) })
})

test('well-formed CBOR of the wrong shape is refused as a membership op', async () => {
  const anything = fc.anything({ maxDepth: 3, withBigInt: false, withDate: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false, withNullPrototype: false, withObjectString: false, withBoxedValues: false })
  await fc.assert(fc.asyncProperty(anything, async (value) => {
    let bytes: Uint8Array
    try { bytes = canonicalEncode(value) } catch { return }
    await assert.rejects(verifyOp({ bytes, sig: new Uint8Array(64) }, ws), coded)
  }), { numRuns: fuzzRuns(2_000) })
})

test('any bytes given as a certificate fail with a coded error', async () => {
  const state = createMembershipLog(ws).state()
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
    await assert.rejects(verifyCertificate({ bytes, sig: new Uint8Array(64) }, ws, state, Date.now()), coded)
  }), { numRuns: fuzzRuns(2_000) })
})

test('any text pasted as an invite is read or refused with bad-request', () => {
  const genuine = encodeInviteLink({ v: 1, ws, name: 'Acme', fingerprint: 'abcd', addresses: ['/ip4/127.0.0.1/tcp/1/p2p/x'], inviteId: 'inv-12345678', secret: new Uint8Array(32).fill(7) })
  assert.equal(decodeInviteLink(`Join us!\n${genuine}\nthanks`).name, 'Acme')
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.base64String({ maxLength: 300 }), (text, tail) => {
    for (const input of [text, INVITE_LINK_PREFIX + tail.replace(/[+/=]/g, '_')]) {
      try { decodeInviteLink(input) } catch (err) { assert.ok(err instanceof EnclaveError && err.code === 'bad-request', String(err)) }
    }
  }), { numRuns: fuzzRuns(3_000) })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { canonicalDecode, canonicalEncode } from './canonical.js'
import { verifyCertificate } from './certificate.js'
import { decodeInviteLink, encodeInviteLink, INVITE_LINK_PREFIX } from './invite-link.js'
import { createMembershipLog } from './membership-log.js'
import { signOp, verifyOp } from './membership-op.js'
import { createRootKey, workspaceIdOf } from './workspace-key.js'
import { hasWeakKey, publicKeyOfPeer } from './signing.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { outcomeOf, outcomeOfAsync, textLength } from '../fuzz-outcome.js'

const root = await createRootKey()
const ws = workspaceIdOf(root.publicKey)
const coded = (err: unknown): boolean => err instanceof EnclaveError

test('a stray CBOR break where a map value belongs is bad-frame, in an op, a certificate or an invite', async () => {
  // { "a": <break> }: cborg decodes the break as a Symbol, which re-encoding for the canonical check cannot write.
  const bytes = Uint8Array.of(0xa1, 0x61, 0x61, 0xff)
  assert.throws(() => canonicalDecode(bytes), (e) => e instanceof EnclaveError && e.code === 'bad-frame')
  await assert.rejects(verifyOp({ bytes, sig: new Uint8Array(64) }, ws), (e) => e instanceof EnclaveError && e.code === 'bad-frame')
  await assert.rejects(verifyCertificate({ bytes, sig: new Uint8Array(64) }, ws, createMembershipLog(ws).state(), Date.now()), (e) => e instanceof EnclaveError && e.code === 'bad-frame')
  assert.throws(() => decodeInviteLink(INVITE_LINK_PREFIX + Buffer.from([0xa2, 0x61, 0x61, 0xff, 0x61, 0x62, 0x01, ...new Uint8Array(20)]).toString('base64url')), (e) => e instanceof EnclaveError && e.code === 'bad-request')
})

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

test('an op edited in its bytes, its fields or its signature never verifies', async () => {
  const ownerKey = await generateKeyPair('Ed25519')
  const owner = peerIdFromPrivateKey(ownerKey).toString()
  const profile = { name: 'Olivia', title: 'CEO', avatar: 'data:image/png;base64,iVBORw0KGgo=' }
  const genesis = await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Acme', rootKey: root.publicKey.raw, owner: { userId: 'owner-0001', device: owner, profile } } })
  const relays = await signOp(ownerKey, { v: 1, ws, parents: [genesis.id], author: owner, ts: 2, body: { type: 'relays', relays: [`/ip4/10.0.0.1/tcp/4001/p2p/${owner}`] } })
  const invite = await signOp(ownerKey, { v: 1, ws, parents: [relays.id], author: owner, ts: 3, body: { type: 'invite', inviteId: 'inv-0123456789ab', secretHash: 'ab'.repeat(32), role: 'member', expiresAt: 10_000, approval: true } })
  const genuine = [genesis, relays, invite].map((op) => ({ bytes: new Uint8Array(op.signed.bytes), sig: new Uint8Array(op.signed.sig) }))
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))
  const edits = fc.constantFrom(...genuine).chain((op) => fc.oneof(
    mutatedBytes(op.bytes).map((bytes) => ({ bytes, sig: op.sig })),
    mutatedBytes(op.sig).map((sig) => ({ bytes: op.bytes, sig })),
    // Re-encoded canonically, so only the signature can tell.
    mutatedValue(canonicalDecode(op.bytes)).map((value) => {
      try { return { bytes: canonicalEncode(value), sig: op.sig } } catch { return { bytes: new Uint8Array(0), sig: op.sig } }
    })
  ))
  await fc.assert(fc.asyncProperty(edits, async (signed) => {
    const got = await outcomeOfAsync(() => verifyOp(signed, ws), ['bad-frame', 'too-large', 'wrong-conversation', 'wrong-author'])
    if (got.ok) assert.ok(genuine.some((g) => same(g.bytes, signed.bytes) && same(g.sig, signed.sig)), 'only a genuine op verifies')
  }), { numRuns: fuzzRuns(5_000) })
})

test('an invite link edited inside is read or refused with bad-request', () => {
  const invite = { v: 1 as const, ws, name: 'Acme', fingerprint: 'abcd', addresses: ['/ip4/127.0.0.1/tcp/1/p2p/x'], inviteId: 'inv-12345678', secret: new Uint8Array(32).fill(7) }
  const payload = Buffer.from(encodeInviteLink(invite).slice(INVITE_LINK_PREFIX.length), 'base64url')
  const link = (bytes: Uint8Array): string => INVITE_LINK_PREFIX + Buffer.from(bytes).toString('base64url')
  const edits = fc.oneof(mutatedBytes(new Uint8Array(payload)), mutatedValue(invite).map((value) => {
    try { return canonicalEncode(value) } catch { return new Uint8Array(0) }
  }))
  fc.assert(fc.property(edits, (bytes) => {
    const got = outcomeOf(() => decodeInviteLink(link(bytes)), ['bad-request'])
    if (got.ok) assert.ok(got.value.secret.byteLength === 32 && got.value.addresses.length <= 16 && textLength(got.value.name) <= 64)
  }), { numRuns: fuzzRuns(5_000) })
})

test('a PeerId with a small-order key is no key at all: nothing verifies for it, and the gate refuses it', async () => {
  // The all-zero Ed25519 key "verifies" the all-zero signature on any message.
  const zero = '12D3KooW9pNAk8aiBuGVQtWRdbkLmo5qVL3e2h5UxbN2Nz9ttwiw'
  assert.equal(hasWeakKey(zero), true)
  assert.equal(publicKeyOfPeer(zero), null)
  const real = (await generateKeyPair('Ed25519')).publicKey
  assert.equal(hasWeakKey(peerIdFromPublicKey(real).toString()), false)
})

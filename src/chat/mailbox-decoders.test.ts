import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { makeDeviceCredential, deviceOfCredential } from '../crypto/mls-credential.js'
import { decodeKeyPackage, encodeKeyPackage, MAX_MLS_BYTES, newKeyPackage, newSigningKeys } from '../crypto/mls-group.js'
import { parseConversationId, parsePeerId, PEER_ID_TEXT } from '../ids.js'
import { MAX_CHANNEL_MEMBERS } from '../limits.js'
import { fuzzRuns, streamFuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { outcomeOf, outcomeOfAsync } from '../fuzz-outcome.js'
import { cborFrame } from '../net/frame-io.js'
import { probeServer } from '../fuzz-streams.js'
import { CHAT_PROTOCOL, decodeFrame } from './chat-frames.js'
import { createEnvelopeSigner } from './envelope-signature.js'
import { GROUP_PROTOCOL } from './group-protocol.js'
import { createTestDevices } from './test-devices.js'
import type { PeerIdString } from '../api/contract.js'

// What a mailbox takes from peers: deposits (`msg` frames with `for`) on the chat protocol, and
// key packages left (`deposit`) and asked for (`kp` with `for`) on the group protocol.

const depositorKey = await generateKeyPair('Ed25519')
const depositor = peerIdFromPrivateKey(depositorKey)
const signing = await newSigningKeys()
const ownPackage = await newKeyPackage({ ...signing, credential: await makeDeviceCredential(depositorKey, depositor.toString(), signing.publicKey) })
const keyPackage = encodeKeyPackage(ownPackage.publicPackage)
const others = await Promise.all([0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))

// Signed by its author, as a deposit must be for a mailbox to keep it.
const deposit = { t: 'msg', env: createEnvelopeSigner(depositorKey)({ v: 3, conv: parseConversationId(`dm:${'0123456789abcdef'.repeat(2)}`), author: parsePeerId(depositor.toString()), seq: 12, kind: 'app', epoch: 4, mls: new Uint8Array(120).fill(7) }), for: others }

/** A chat frame body as a mailbox reads it; what it accepts as a deposit stays within the envelope's limits. */
function depositFrame(body: Uint8Array): void {
  const got = outcomeOf(() => decodeFrame(body), ['bad-frame', 'unsupported-version'])
  if (!got.ok || got.value.t !== 'msg') return
  const { env, for: to } = got.value
  assert.ok(env.mls.byteLength >= 1 && env.mls.byteLength <= MAX_MLS_BYTES && Number.isSafeInteger(env.seq) && env.seq >= 1)
  if (to !== undefined) {
    assert.ok(to.length <= MAX_CHANNEL_MEMBERS)
    for (const peer of to) assert.match(peer, PEER_ID_TEXT)
  }
}

test('a deposit frame survives encoding with its recipients', () => {
  assert.deepEqual(decodeFrame(cborEncode(deposit)), deposit)
})

test('byte edits and field edits of a deposit frame are read or refused with a code', () => {
  fc.assert(fc.property(fc.oneof(mutatedBytes(cborEncode(deposit)), mutatedValue(deposit).map((v) => cborEncode(v))), depositFrame), { numRuns: fuzzRuns(5_000) })
})

test('an edited key package is refused with a code, or proves its own device or none, never another', async () => {
  assert.equal(await deviceOfCredential(decodeKeyPackage(keyPackage).leafNode.credential, decodeKeyPackage(keyPackage).leafNode.signaturePublicKey), depositor.toString())
  await fc.assert(fc.asyncProperty(mutatedBytes(keyPackage), async (bytes) => {
    const decoded = outcomeOf(() => decodeKeyPackage(bytes), ['bad-frame', 'too-large', 'unsupported-version'])
    if (!decoded.ok) return
    const device = await outcomeOfAsync(() => deviceOfCredential(decoded.value.leafNode.credential, decoded.value.leafNode.signaturePublicKey), [])
    assert.ok(device.ok && (device.value === null || device.value === depositor.toString()), `proved ${String(device.ok && device.value)}`)
  }), { numRuns: fuzzRuns(3_000) })
})

test('a mailbox answers edited deposits and key package requests with acks, replies or coded refusals, and serves on', async () => {
  const net = await createTestDevices(2, { mailboxes: [1] })
  const box = net.devices[1]
  assert.ok(box !== undefined)
  try {
    const serve = (protocol: string) => {
      const handler = net.handlerOf(box, protocol)
      assert.ok(handler !== undefined, `the mailbox serves ${protocol}`)
      return (stream: Parameters<typeof handler>[0], connection: Parameters<typeof handler>[1]): Promise<void> => Promise.resolve(handler(stream, connection))
    }
    const refusals = new Set<string>()
    const note = (frames: unknown[]): void => {
      for (const f of frames) {
        const code = (f as { error?: { code?: unknown } }).error?.code
        if (typeof code === 'string') refusals.add(code)
      }
    }
    // Chat deposits: edited frames, whole (the length prefix may be edited too).
    // The unedited deposit goes first (a random run may edit every one into a refusal: it failed a
    // CI run), so the mailbox is seen holding mail between the edited ones.
    await fc.assert(fc.asyncProperty(fc.oneof(mutatedBytes(cborFrame(deposit)), mutatedValue(deposit).map(cborFrame)), async (bytes) => {
      await probeServer(serve(CHAT_PROTOCOL), depositor, bytes)
    }), { numRuns: streamFuzzRuns(100), examples: [[cborFrame(deposit)]] })
    assert.ok(box.lines.some((l) => l.msg === 'holding mail'), 'a deposit among the edited ones was held')
    // Key packages left and asked for, edited.
    const requests = fc.oneof(
      fc.constant({ t: 'deposit', kps: [keyPackage] }).chain((req) => fc.oneof(mutatedValue(req), mutatedBytes(keyPackage).map((kp) => ({ t: 'deposit', kps: [kp] })))),
      mutatedValue({ t: 'kp', for: depositor.toString() })
    )
    await fc.assert(fc.asyncProperty(requests, async (req) => {
      note((await probeServer(serve(GROUP_PROTOCOL), depositor, cborFrame(req))).frames)
    }), { numRuns: streamFuzzRuns(100) })
    // `rate-limited`: edited requests that stayed valid ask for the depositor's packages more than twice.
    for (const code of refusals) assert.ok(['bad-frame', 'too-large', 'wrong-author', 'not-found', 'unauthorized', 'unsupported-version', 'rate-limited'].includes(code), `refused with ${code}`)
    const failures = box.lines.filter((l) => l.level === 'error' || l.code === 'internal' || l.msg === 'chat stream ended')
    assert.deepEqual(failures, [], 'nothing failed uncoded at the mailbox')

    // Still a mailbox: it keeps a genuine key package and hands it out.
    const left = await probeServer(serve(GROUP_PROTOCOL), depositor, cborFrame({ t: 'deposit', kps: [keyPackage] }))
    assert.deepEqual(left.frames, [{ t: 'ok' }])
    const asked = await probeServer(serve(GROUP_PROTOCOL), peerIdFromPrivateKey(await generateKeyPair('Ed25519')), cborFrame({ t: 'kp', for: depositor.toString() as PeerIdString }))
    assert.equal((asked.frames[0] as { t?: unknown }).t, 'kp')
  } finally {
    await net.close()
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { CONVERSATION_ID, parsePeerId, WORKSPACE_ID } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { cappedFuzzRuns, fuzzRuns, streamFuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { frameValue, outcomeOf, textLength } from '../fuzz-outcome.js'
import { cborFrame } from '../net/frame-io.js'
import { probeServer } from '../fuzz-streams.js'
import { CATCHUP_PAGE, groupReplyParser, MAX_DEPOSIT, MAX_HEADS_CONVERSATIONS, parseEnvelopes, parseGroupRequest, serveGroupStream, type GroupHandlers, type GroupRequest } from './group-protocol.js'

const keys = await Promise.all([0, 1, 2].map(() => generateKeyPair('Ed25519')))
const peers = keys.map((k) => peerIdFromPrivateKey(k).toString())
const hex = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const conv = fc.tuple(fc.constantFrom('dm', 'ch'), hex(16)).map(([kind, id]) => `${kind}:${id}`)
const ws = hex(16).map((id) => `w${id}`)
const peer = fc.constantFrom(...peers)
/** Short byte strings: a real key package is ~300 bytes, and 100,000 cases of 4 KiB cost more than they find. */
const kp = fc.uint8Array({ maxLength: 600 })

/** fast-check makes records without a prototype; a decoded frame has one. */
const plain = <T>(value: T): T => structuredClone(value)

const validRequest: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ t: fc.constant('kp'), for: peer }, { requiredKeys: ['t'] }),
  fc.record({ t: fc.constant('deposit'), kps: fc.array(kp, { minLength: 1, maxLength: MAX_DEPOSIT }) }),
  fc.record({ t: fc.constant('join'), conv }),
  // Authors of a catch-up are device ids; any 1–128 characters pass (the service looks them up).
  fc.record({ t: fc.constant('catchup'), conv, have: fc.dictionary(fc.oneof(peer, fc.stringMatching(/^[a-z0-9]{1,20}$/)), fc.nat(), { maxKeys: 5 }) }),
  fc.record({ t: fc.constant('browse'), ws }),
  fc.record({ t: fc.constant('heads'), convs: fc.array(fc.record({ conv, heads: fc.dictionary(peer, fc.integer({ min: 1, max: 1_000_000 }), { maxKeys: 4 }) }), { minLength: 1, maxLength: 3 }) })
).map(plain)

const envelope = fc.record({
  v: fc.constant(3), conv, author: peer, seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), kind: fc.constantFrom('app', 'commit', 'welcome'),
  epoch: fc.nat(), mls: fc.uint8Array({ minLength: 1, maxLength: 200 }), to: fc.array(peer, { maxLength: 3 }), sig: fc.uint8Array({ minLength: 64, maxLength: 64 })
}, { requiredKeys: ['v', 'conv', 'author', 'seq', 'kind', 'epoch', 'mls', 'sig'] })
const channel = fc.record({ id: conv, workspaceId: ws, name: fc.string({ maxLength: 200 }), topic: fc.string({ maxLength: 500 }), memberCount: fc.nat() })
const validReply = {
  kp: fc.record({ t: fc.constant('kp'), kp }).map(plain),
  join: fc.constant({ t: 'ok' }),
  deposit: fc.constant({ t: 'ok' }),
  heads: fc.constant({ t: 'ok' }),
  typing: fc.constant({ t: 'ok' }),
  catchup: fc.record({ t: fc.constant('envs'), envs: fc.array(envelope, { maxLength: 3 }), more: fc.boolean() }).map(plain),
  browse: fc.record({ t: fc.constant('channels'), channels: fc.array(channel, { maxLength: 3 }) }).map(plain)
} satisfies Record<GroupRequest['t'], fc.Arbitrary<unknown>>
type ReplyType = keyof typeof validReply
const replyTypes = Object.keys(validReply) as ReplyType[]

/** What docs/protocol.md promises of an accepted request, checked apart from the schema. */
function assertWithinLimits(req: GroupRequest): void {
  switch (req.t) {
    case 'kp': assert.ok(req.for === undefined || parsePeerId(req.for) === req.for); break
    case 'deposit':
      assert.ok(req.kps.length >= 1 && req.kps.length <= MAX_DEPOSIT)
      for (const k of req.kps) assert.ok(k instanceof Uint8Array && k.byteLength < 4096)
      break
    case 'join': assert.match(req.conv, CONVERSATION_ID); break
    case 'catchup':
      assert.match(req.conv, CONVERSATION_ID)
      for (const [author, seq] of Object.entries(req.have)) assert.ok(textLength(author) >= 1 && textLength(author) <= 128 && Number.isSafeInteger(seq) && seq >= 0)
      break
    case 'browse': assert.match(req.ws, WORKSPACE_ID); break
    case 'typing': assert.match(req.conv, CONVERSATION_ID); break
    case 'heads':
      assert.ok(req.convs.length >= 1 && req.convs.length <= MAX_HEADS_CONVERSATIONS)
      for (const c of req.convs) {
        assert.match(c.conv, CONVERSATION_ID)
        for (const [author, seq] of Object.entries(c.heads)) assert.ok(textLength(author) >= 1 && textLength(author) <= 128 && Number.isSafeInteger(seq) && seq >= 1)
      }
      break
  }
}

/** A request's bytes as the server reads them: a request, or `bad-frame`. */
function request(bytes: Uint8Array): void {
  const got = outcomeOf(() => parseGroupRequest(frameValue(bytes)), ['bad-frame'])
  if (got.ok) assertWithinLimits(got.value)
}

/** A reply's bytes as the asker reads them, with the envelopes of a catch-up checked like any frame. */
function reply(t: ReplyType, bytes: Uint8Array): void {
  const got = outcomeOf(() => groupReplyParser(t)(frameValue(bytes)), ['bad-frame'])
  if (!got.ok) return
  assert.equal((got.value as { t: string }).t, t === 'join' || t === 'deposit' || t === 'heads' || t === 'typing' ? 'ok' : t === 'catchup' ? 'envs' : t === 'browse' ? 'channels' : 'kp')
  if (t === 'catchup') {
    const envs = (got.value as { envs: unknown[] }).envs
    assert.ok(envs.length <= CATCHUP_PAGE)
    outcomeOf(() => parseEnvelopes(envs), ['bad-frame', 'unsupported-version'])
  }
}

test('valid group requests and replies survive encoding', () => {
  fc.assert(fc.property(validRequest, (req) => {
    assert.deepEqual(parseGroupRequest(frameValue(cborEncode(req))), req)
  }), { numRuns: cappedFuzzRuns(2_000, 10_000) })
  const anyReply = fc.constantFrom(...replyTypes).chain((t) => fc.tuple(fc.constant(t), validReply[t]))
  fc.assert(fc.property(anyReply, ([t, value]) => {
    const parsed = groupReplyParser(t)(frameValue(cborEncode(value)))
    assert.deepEqual(parsed, value)
    if (t === 'catchup') assert.deepEqual(parseEnvelopes((parsed as { envs: unknown[] }).envs), (value as { envs: unknown[] }).envs)
  }), { numRuns: cappedFuzzRuns(2_000, 10_000) })
})

test('the limits hold at their edges: 8 key packages under 4 KiB each, ids by their format', () => {
  const ok = (value: unknown): boolean => outcomeOf(() => parseGroupRequest(value), ['bad-frame']).ok
  assert.ok(ok({ t: 'deposit', kps: Array.from({ length: MAX_DEPOSIT }, () => new Uint8Array(4095)) }))
  assert.ok(!ok({ t: 'deposit', kps: Array.from({ length: MAX_DEPOSIT + 1 }, () => new Uint8Array(1)) }))
  assert.ok(!ok({ t: 'deposit', kps: [new Uint8Array(4096)] }))
  assert.ok(!ok({ t: 'deposit', kps: [] }))
  assert.ok(!ok({ t: 'kp', for: 'not-a-peer' }))
  assert.ok(!ok({ t: 'join', conv: `ch:${'A'.repeat(32)}` }))
  assert.ok(!ok({ t: 'catchup', conv: `ch:${'a'.repeat(32)}`, have: { [peers[0] ?? '']: -1 } }))
  assert.ok(!ok({ t: 'catchup', conv: `ch:${'a'.repeat(32)}`, have: { ['x'.repeat(129)]: 1 } }))
  assert.ok(!ok({ t: 'browse', ws: `w${'a'.repeat(32)}`, extra: 1 }))
  const reply = (t: ReplyType, value: unknown): boolean => outcomeOf(() => groupReplyParser(t)(value), ['bad-frame']).ok
  assert.ok(!reply('kp', { t: 'kp', kp: new Uint8Array(4096) }))
  assert.ok(!reply('catchup', { t: 'envs', envs: Array.from({ length: CATCHUP_PAGE + 1 }, () => null), more: false }))
  assert.ok(!reply('browse', { t: 'channels', channels: [{ id: `ch:${'a'.repeat(32)}`, workspaceId: `w${'a'.repeat(32)}`, name: 'x'.repeat(201), topic: '', memberCount: 1 }] }))
})

test('random bytes and random CBOR values are a request or bad-frame, never anything else', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), cborValue.map((v) => cborEncode(v))), (bytes) => {
    request(bytes)
    for (const t of replyTypes) reply(t, bytes)
  }), { numRuns: fuzzRuns(5_000) })
})

test('valid requests and replies edited in their bytes or fields are read or refused with bad-frame', () => {
  const edited = (value: unknown): fc.Arbitrary<Uint8Array> => fc.oneof(mutatedBytes(cborEncode(value)), mutatedValue(value).map((v) => cborEncode(v)))
  fc.assert(fc.property(validRequest.chain(edited), request), { numRuns: fuzzRuns(5_000) })
  const anyReply = fc.constantFrom(...replyTypes).chain((t) => fc.tuple(fc.constant(t), validReply[t].chain(edited)))
  fc.assert(fc.property(anyReply, ([t, bytes]) => { reply(t, bytes) }), { numRuns: fuzzRuns(5_000) })
})

test('the group handler answers edited requests with a reply or a coded refusal, and never fails itself', async () => {
  const handlers: GroupHandlers = {
    keyPackage: () => Promise.resolve(new Uint8Array(300)),
    deposit: () => Promise.resolve(),
    join: () => Promise.resolve(),
    catchup: () => Promise.resolve({ envs: [], more: false }),
    browse: () => [],
    heads: () => undefined,
    typing: () => undefined
  }
  const from = peerIdFromPrivateKey(keys[0] ?? await generateKeyPair('Ed25519'))
  const log = createMemoryLogger()
  await fc.assert(fc.asyncProperty(validRequest.chain((req) => fc.oneof(mutatedBytes(cborFrame(req)), mutatedValue(req).map(cborFrame))), async (bytes) => {
    const { frames } = await probeServer((stream, connection) => serveGroupStream(handlers, log, stream, connection), from, bytes)
    for (const frame of frames) {
      const code = (frame as { error?: { code?: unknown } }).error?.code
      assert.ok(code === undefined || code === 'bad-frame' || code === 'too-large', `refused with ${String(code)}`)
    }
  }), { numRuns: streamFuzzRuns(100) })
  assert.deepEqual(log.lines.filter((l) => l.level === 'warn' || l.level === 'error'), [], 'no refusal was an internal failure')
})

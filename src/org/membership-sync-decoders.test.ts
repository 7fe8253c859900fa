import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { cappedFuzzRuns, fuzzRuns, streamFuzzRuns } from '../fuzz-runs.js'
import { cborValue, framesOf, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { frameValue, outcomeOf, textLength } from '../fuzz-outcome.js'
import { probeAsker, probeServer } from '../fuzz-streams.js'
import { serveSync, syncDecoders, syncWith, type SyncComponents } from './membership-sync.js'
import { createTestWorkspace } from './test-workspace.js'

const workspace = await createTestWorkspace()
after(() => workspace.close())
const { ws } = workspace
const signedOps = workspace.ops.map((op) => op.signed)
const opIds = workspace.ops.map((op) => op.id)
const HEAD = /^[0-9a-f]{64}$/

/** fast-check makes records without a prototype; a decoded frame has one. */
const plain = <T>(value: T): T => structuredClone(value)

const heads = fc.subarray(opIds, { maxLength: 3 })
const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
/** Where a cut-off exchange stopped (src/org/sync-cursor.ts). */
const cursor = fc.oneof(fc.constant(null), fc.record({ epoch: hex(16), after: hex(64), seen: fc.nat() }))
const validHello = fc.record({
  t: fc.constant('hello'),
  workspaces: fc.array(fc.record({ ws: fc.oneof(fc.constant(ws), fc.string({ maxLength: 40 })), heads, cert: fc.constantFrom(null, workspace.memberCertificate), from: cursor }), { maxLength: 3 })
}).map(plain)
const validOps = fc.record({ t: fc.constant('ops'), ws: fc.constant(ws), ops: fc.subarray(signedOps) }).map(plain)
const validHeads = fc.record({ t: fc.constant('heads'), workspaces: fc.array(fc.record({ ws: fc.constant(ws), heads, more: fc.boolean(), cursor }), { maxLength: 2 }) }).map(plain)
const done = { t: 'done' }
const anyFrame = fc.oneof(validHello, validOps, validHeads, fc.constant(done))

/** One frame as either side reads it, by every decoder that may be handed it; accepted frames stay within the limits. */
function frame(bytes: Uint8Array): void {
  const value = outcomeOf(() => frameValue(bytes), ['bad-frame'])
  if (!value.ok) return
  const hello = outcomeOf(() => syncDecoders.hello(value.value), ['bad-frame'])
  if (hello.ok) {
    assert.ok(hello.value.workspaces.length <= 64)
    for (const w of hello.value.workspaces) assert.ok(textLength(w.ws) <= 40 && w.heads.length <= 256 && w.heads.every((h) => HEAD.test(h)))
  }
  const ops = syncDecoders.ops(value.value)
  if (ops.success) assert.ok(textLength(ops.data.ws) <= 40 && ops.data.ops.every((op) => op.bytes instanceof Uint8Array && op.sig instanceof Uint8Array))
  const closing = outcomeOf(() => syncDecoders.heads(value.value), ['bad-frame'])
  if (closing.ok) assert.ok(closing.value.workspaces.length <= 64 && closing.value.workspaces.every((w) => w.heads.every((h) => HEAD.test(h))))
  outcomeOf(() => syncDecoders.done(value.value), ['bad-frame'])
}

test('valid hello, ops, heads and done frames survive encoding', () => {
  fc.assert(fc.property(validHello, validOps, validHeads, (hello, ops, closing) => {
    assert.deepEqual(syncDecoders.hello(frameValue(cborEncode(hello))), hello)
    assert.deepEqual(syncDecoders.ops(frameValue(cborEncode(ops))).data, ops)
    assert.deepEqual(syncDecoders.heads(frameValue(cborEncode(closing))), closing)
  }), { numRuns: cappedFuzzRuns(2_000, 10_000) })
  assert.deepEqual(syncDecoders.done(frameValue(cborEncode(done))), done)
})

test('random bytes and random CBOR values are a sync frame or bad-frame', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), cborValue.map((v) => cborEncode(v))), frame), { numRuns: fuzzRuns(5_000) })
})

test('edited sync frames are read or refused with bad-frame', () => {
  fc.assert(fc.property(anyFrame.chain((value) => fc.oneof(mutatedBytes(cborEncode(value)), mutatedValue(value).map((v) => cborEncode(v)))), frame), { numRuns: fuzzRuns(5_000) })
})

function components(log: ReturnType<typeof createMemoryLogger>): SyncComponents {
  return { registry: workspace.registry, log, onChanged: () => undefined, onAdmitted: () => undefined }
}

test('a responder answers edited syncs with ops and heads or a coded refusal, and never fails itself', async () => {
  const log = createMemoryLogger()
  const refusals = new Set<string>()
  const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  // The whole initiator side in one go: hello, the ops the responder lacks, done.
  const genuine = [{ t: 'hello', workspaces: [{ ws, heads: [opIds[0]], cert: workspace.memberCertificate, from: null }] }, { t: 'ops', ws, ops: signedOps }, done]
  const edited = fc.oneof(mutatedBytes(framesOf(genuine)), mutatedValue(genuine).map(framesOf))
  await fc.assert(fc.asyncProperty(edited, fc.constantFrom(workspace.member.peerId, stranger), async (bytes, from) => {
    const { frames } = await probeServer((stream, connection) => serveSync(stream, connection, components(log)), from, bytes)
    for (const f of frames) {
      const code = (f as { error?: { code?: unknown } }).error?.code
      if (typeof code === 'string') refusals.add(code)
    }
  }), { numRuns: streamFuzzRuns(100) })
  for (const code of refusals) assert.ok(['bad-frame', 'too-large', 'not-member'].includes(code), `refused with ${code}`)
  assert.deepEqual(log.lines.filter((l) => l.level === 'error' || l.code === 'internal'), [], 'no refusal was an internal failure')
})

test('an initiator reading edited ops and heads stores what verifies or gets a coded error, and never waits forever', async () => {
  const log = createMemoryLogger()
  const answers = [{ t: 'ops', ws, ops: signedOps }, { t: 'heads', workspaces: [{ ws, heads: [opIds.at(-1)], more: false, cursor: null }] }]
  const w = workspace.registry.get(ws)
  assert.ok(w !== undefined)
  const edited = fc.oneof(mutatedBytes(framesOf(answers)), mutatedValue(answers).map(framesOf))
  await fc.assert(fc.asyncProperty(edited, async (bytes) => {
    const got = await probeAsker((stream) => syncWith(stream, [w], components(log)), bytes)
    if (!got.ok) assert.ok(got.error instanceof EnclaveError, `uncoded ${String(got.error)}`)
  }), { numRuns: streamFuzzRuns(100) })
  // Edited ops reach the registry, each verified alone: only the genuine ones are in the log.
  assert.deepEqual(w.log.ordered().map((op) => op.id).sort(), [...opIds].sort())
})

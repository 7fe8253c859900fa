import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { fuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { frameValue, outcomeOf } from '../fuzz-outcome.js'
import { sealRoute } from './route-record.js'
import { MAX_ASKED_ROUTES, MAX_GIVEN_ROUTES, MAX_KNOWN_ROUTES, routesDecoders } from './routes-protocol.js'

const key = await generateKeyPair('Ed25519')
const device = peerIdFromPrivateKey(key).toString()
const route = (await sealRoute(key, [multiaddr('/ip4/127.0.0.1/tcp/4001')], Date.now())).bytes

/** fast-check makes records without a prototype; a decoded frame has one. */
const plain = <T>(value: T): T => structuredClone(value)
const validRequest = fc.record({
  give: fc.array(fc.constant(route), { maxLength: 3 }),
  ask: fc.oneof(fc.constant(null), fc.record({ known: fc.array(fc.tuple(fc.constant(device), fc.nat()), { maxLength: 3 }), only: fc.oneof(fc.constant(null), fc.array(fc.constant(device), { maxLength: 2 })) }))
}).map(plain)
const validReply = fc.record({ routes: fc.array(fc.constant(route), { maxLength: 3 }), more: fc.boolean() }).map(plain)

/** A frame either side may read: a request or a reply within the limits, or `bad-frame`. */
function frame(bytes: Uint8Array): void {
  const value = outcomeOf(() => frameValue(bytes), ['bad-frame'])
  if (!value.ok) return
  const request = outcomeOf(() => routesDecoders.request(value.value), ['bad-frame'])
  if (request.ok) {
    assert.ok(request.value.give.length <= MAX_GIVEN_ROUTES && request.value.give.every((r) => r instanceof Uint8Array))
    if (request.value.ask !== null) assert.ok(request.value.ask.known.length <= MAX_KNOWN_ROUTES && (request.value.ask.only?.length ?? 0) <= MAX_ASKED_ROUTES)
  }
  const reply = outcomeOf(() => routesDecoders.reply(value.value), ['bad-frame'])
  if (reply.ok) assert.ok(reply.value.routes.every((r) => r instanceof Uint8Array))
}

test('valid routes requests and replies read back as sent', () => {
  fc.assert(fc.property(validRequest, validReply, (request, reply) => {
    assert.deepEqual(routesDecoders.request(frameValue(cborEncode(request))), request)
    assert.deepEqual(routesDecoders.reply(frameValue(cborEncode(reply))), reply)
  }), { numRuns: fuzzRuns(500) })
})

test('a request that is not a device id, or asks about too many, is bad-frame', () => {
  assert.throws(() => routesDecoders.request({ give: [], ask: { known: [['not-a-device', 1]], only: null } }), { code: 'bad-frame' })
  assert.throws(() => routesDecoders.request({ give: [], ask: { known: [], only: Array.from({ length: MAX_ASKED_ROUTES + 1 }, () => device) } }), { code: 'bad-frame' })
  assert.throws(() => routesDecoders.request({ give: Array.from({ length: MAX_GIVEN_ROUTES + 1 }, () => route), ask: null }), { code: 'bad-frame' })
})

test('random bytes and CBOR values are a routes frame or bad-frame', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), cborValue.map((v) => cborEncode(v))), frame), { numRuns: fuzzRuns(5_000) })
})

test('edited routes frames are read or refused with a code', () => {
  const valid = fc.oneof(validRequest, validReply)
  fc.assert(fc.property(valid.chain((f) => fc.oneof(mutatedBytes(cborEncode(f)), mutatedValue(f).map((v) => cborEncode(v)))), frame), { numRuns: fuzzRuns(5_000) })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { EnclaveError } from '../errors.js'
import { decodeFrame, encodeFrame, type ChatFrame } from './chat-frames.js'
import { parseConversationId, parsePeerId } from '../ids.js'
import { type Envelope } from './envelope.js'
import { MAX_MLS_BYTES } from '../crypto/mls-group.js'
import { fuzzRuns } from '../fuzz-runs.js'

const env: Envelope = { v: 3, conv: parseConversationId('dm:0123456789abcdef0123456789abcdef'), author: parsePeerId('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'), seq: 7, kind: 'app', epoch: 3, mls: new Uint8Array([1, 2, 3, 250]), sig: new Uint8Array(64).fill(7) }

function body(frame: Uint8Array): Uint8Array {
  return frame.subarray(varint.encodingLength(varint.decode(frame)))
}

function code(err: unknown): string {
  return err instanceof EnclaveError ? err.code : `not coded: ${String(err)}`
}

test('message, ack and refused frames survive encoding', () => {
  const frames: ChatFrame[] = [{ t: 'msg', env }, { t: 'msg', env, for: [parsePeerId('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')] }, { t: 'ack', conv: env.conv, author: env.author, seq: 3 }, { t: 'refused', conv: env.conv, author: env.author, seq: 3, code: 'over-quota' }]
  for (const frame of frames) assert.deepEqual(decodeFrame(body(encodeFrame(frame))), frame)
})

test('the length prefix states the body length', () => {
  const frame = encodeFrame({ t: 'msg', env })
  assert.equal(varint.decode(frame) + varint.encodingLength(varint.decode(frame)), frame.byteLength)
})

test('rejects bytes that are not CBOR with bad-frame', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0xff, 0x00, 0x13])), (e) => code(e) === 'bad-frame')
})

test('rejects an unknown envelope version with unsupported-version', () => {
  assert.throws(() => decodeFrame(cborEncode({ t: 'msg', env: { ...env, v: 1 } })), (e) => code(e) === 'unsupported-version')
})

test('rejects extra fields, wrong types and over-long text with bad-frame', () => {
  const bad = [
    { t: 'msg', env: { ...env, extra: 1 } },
    { t: 'msg', env: { ...env, seq: 0 } },
    { t: 'msg', env: { ...env, seq: 1.5 } },
    { t: 'msg', env: { ...env, mls: new Uint8Array(MAX_MLS_BYTES + 1) } },
    { t: 'msg', env: { ...env, mls: 'not bytes' } },
    { t: 'msg', env: { ...env, kind: 'proposal' } },
    { t: 'ack', conv: env.conv, author: env.author, seq: -1 },
    { t: 'hello' },
    [1, 2, 3]
  ]
  for (const value of bad) assert.throws(() => decodeFrame(cborEncode(value)), (e) => code(e) === 'bad-frame', JSON.stringify(value).slice(0, 80))
})

test('any byte string decodes to a valid frame or a coded error, never anything else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      const frame = decodeFrame(bytes)
      assert.ok(['msg', 'ack'].includes(frame.t))
    } catch (err) {
      assert.ok(err instanceof EnclaveError, String(err))
    }
  }), { numRuns: fuzzRuns(5_000) })
})

test('a refusal with a malformed code, a missing seq or an extra field is bad-frame', () => {
  for (const bad of [{ t: 'refused', conv: env.conv, author: env.author, seq: 3, code: 'Over Quota!' }, { t: 'refused', conv: env.conv, author: env.author, code: 'over-quota' }, { t: 'refused', conv: env.conv, author: env.author, seq: 3, code: 'over-quota', why: 'x' }]) {
    assert.throws(() => decodeFrame(cborEncode(bad)), (err) => code(err) === 'bad-frame')
  }
})

test('mutated valid frames never crash the decoder', () => {
  const refused = body(encodeFrame({ t: 'refused', conv: env.conv, author: env.author, seq: 3, code: 'over-quota' }))
  fc.assert(fc.property(fc.nat({ max: refused.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
    const copy = refused.slice()
    copy[at] = value
    try { decodeFrame(copy) } catch (err) { assert.ok(err instanceof EnclaveError, String(err)) }
  }), { numRuns: fuzzRuns(2_000) })
  const valid = body(encodeFrame({ t: 'msg', env }))
  fc.assert(fc.property(fc.nat({ max: valid.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
    const copy = valid.slice()
    copy[at] = value
    try { decodeFrame(copy) } catch (err) { assert.ok(err instanceof EnclaveError, String(err)) }
  }), { numRuns: fuzzRuns(5_000) })
})

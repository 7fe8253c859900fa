import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { ERROR_CODES } from '../api/contract.js'
import { EnclaveError } from '../errors.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { frameValue, outcomeOf } from '../fuzz-outcome.js'
import { refusal, refusalError } from './request-reply.js'

const code = fc.constantFrom(...ERROR_CODES)
/** The longest refusal message kept (docs/protocol.md, Requests and refusals). */
const MAX_MESSAGE = 300

/** Reading any frame as a possible refusal: no refusal, or a coded error of the API's list with a short message; never a throw. */
function read(bytes: Uint8Array): void {
  const value = outcomeOf(() => frameValue(bytes), ['bad-frame'])
  if (!value.ok) return
  const refused = outcomeOf(() => refusalError(value.value), [])
  assert.ok(refused.ok)
  if (refused.value === null) return
  assert.ok(refused.value instanceof EnclaveError && (ERROR_CODES as readonly string[]).includes(refused.value.code))
  assert.ok(refused.value.message.length <= MAX_MESSAGE)
}

test('a refusal reaches the asker with its code and message; an unknown code reads as internal', () => {
  fc.assert(fc.property(code, fc.string({ maxLength: 400 }), (c, message) => {
    const frame = refusal(new EnclaveError(c, message))
    const back = refusalError(frameValue(cborEncode(frame)))
    assert.equal(back?.code, c)
    // CBOR carries text as UTF-8: a surrogate split by the cut arrives as U+FFFD.
    assert.equal(back.message, message.slice(0, MAX_MESSAGE).toWellFormed())
  }), { numRuns: fuzzRuns(2_000) })
  assert.equal(refusalError({ error: { code: 'no-such-code', message: 'x' } })?.code, 'internal')
  assert.equal(refusal(new TypeError('boom')).error.code, 'internal')
  assert.equal(refusalError({ error: { code: 'bad-frame', message: 'x' }, t: 'ok' }), null, 'a frame with more than an error is no refusal')
})

test('random bytes and random CBOR values are no refusal or a coded one, never a throw', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), cborValue.map((v) => cborEncode(v)), cborValue.map((v) => cborEncode({ error: v }))), read), { numRuns: fuzzRuns(5_000) })
})

test('edited refusal frames are no refusal or a coded one, never a throw', () => {
  const valid = fc.tuple(code, fc.string({ maxLength: 300 })).map(([c, m]) => refusal(new EnclaveError(c, m)))
  fc.assert(fc.property(valid.chain((frame) => fc.oneof(mutatedBytes(cborEncode(frame)), mutatedValue(frame).map((v) => cborEncode(v)))), read), { numRuns: fuzzRuns(5_000) })
})

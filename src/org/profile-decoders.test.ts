import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { MAX_DISPLAY_NAME, textLength } from '../limits.js'
import { cappedFuzzRuns, fuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { outcomeOf } from '../fuzz-outcome.js'
import { decodeProfile, normaliseDisplayName } from './profiles.js'

/** A peer's profile frame: `bad-frame`, or a name that is empty or too long once normalised. */
const REFUSED = ['bad-frame', 'bad-request', 'too-large'] as const

/** What docs/protocol.md promises of a name a node shows: NFC, whitespace folded and trimmed, 1–64 characters. */
function assertShowable(name: string): void {
  assert.ok(name.length >= 1 && textLength(name) <= MAX_DISPLAY_NAME, `length ${textLength(name)}`)
  assert.equal(name, name.normalize('NFC'))
  assert.equal(name, name.trim())
  assert.doesNotMatch(name, /\s\s|[^\S ]/, 'whitespace is single spaces')
}

function profile(bytes: Uint8Array): void {
  const got = outcomeOf(() => decodeProfile(bytes), REFUSED)
  if (!got.ok) return
  assertShowable(got.value.name)
  assert.ok(['online', 'away', 'dnd'].includes(got.value.presence))
}

/** Names a device would send: any text, as the sender's own normalisation leaves it. */
const sentName = fc.string({ unit: fc.oneof(fc.constantFrom(' ', '\t', '\u00a0', '\u3000', 'e\u0301', 'Å', '\ufb01'), fc.constantFrom('a', 'b', 'c', 'X', 'Y', 'Z', ' ', '0', '1'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 70 })
  .map((raw) => outcomeOf(() => normaliseDisplayName(raw), ['bad-request', 'too-large']))
  .filter((n): n is { ok: true; value: string } => n.ok)
  .map((n) => n.value)
const validFrame = fc.record({ v: fc.constant(1), name: sentName, presence: fc.constantFrom('online', 'away', 'dnd', undefined) }).map((f) => (f.presence === undefined ? { v: 1, name: f.name } : { v: 1, name: f.name, presence: f.presence }))

test('a profile a device sends reads back as sent; a name once normalised stays so', () => {
  fc.assert(fc.property(validFrame, (frame) => {
    assert.deepEqual(decodeProfile(cborEncode(frame)), { name: frame.name, presence: frame.presence ?? 'online' })
    assert.equal(normaliseDisplayName(frame.name), frame.name)
  }), { numRuns: cappedFuzzRuns(2_000, 10_000) })
})

test('any text typed as a name is normalised to a showable name or refused with a code', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })), (raw) => {
    const got = outcomeOf(() => normaliseDisplayName(raw), ['bad-request', 'too-large'])
    if (got.ok) assertShowable(got.value)
  }), { numRuns: fuzzRuns(5_000) })
})

test('random bytes and random CBOR values are a profile or a coded refusal', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), cborValue.map((v) => cborEncode(v))), profile), { numRuns: fuzzRuns(5_000) })
})

test('edited profile frames are read or refused with a code', () => {
  fc.assert(fc.property(validFrame.chain((frame) => fc.oneof(mutatedBytes(cborEncode(frame)), mutatedValue(frame).map((v) => cborEncode(v)))), profile), { numRuns: fuzzRuns(5_000) })
})

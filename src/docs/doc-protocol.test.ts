import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { parseDocRequest } from './doc-protocol.js'
import { open, seal } from './doc-seal.js'

const key = new Uint8Array(32).fill(9)
const ctx = { t: 'update', doc: `doc:${'a'.repeat(32)}`, conv: `ch:${'b'.repeat(32)}`, epoch: 3 }
const valid = cborEncode({ t: 'update', doc: ctx.doc, conv: ctx.conv, epoch: 3, ...seal(key, ctx, new Uint8Array([1, 2, 3])) })

/** What a peer's bytes may do to a node: become a request, or a coded refusal; nothing else. */
function outcome(bytes: Uint8Array): 'ok' | 'refused' {
  let value: unknown
  try { value = cborDecode(bytes) } catch { return 'refused' }
  try {
    parseDocRequest(value)
    return 'ok'
  } catch (err) {
    assert.ok(err instanceof EnclaveError && err.code === 'bad-frame', `unexpected ${String(err)}`)
    return 'refused'
  }
}

test('a valid request parses; random and mutated bytes are refused with bad-frame, never a crash', () => {
  assert.equal(outcome(valid), 'ok')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => { outcome(bytes) }), { numRuns: fuzzRuns(5_000) })
  fc.assert(fc.property(fc.nat({ max: valid.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
    const mutated = Uint8Array.from(valid)
    mutated[at] = value
    outcome(mutated)
  }), { numRuns: fuzzRuns(5_000) })
  fc.assert(fc.property(fc.anything(), (value) => {
    try { parseDocRequest(value) } catch (err) { assert.ok(err instanceof EnclaveError && err.code === 'bad-frame') }
  }), { numRuns: fuzzRuns(2_000) })
})

test('a sealed payload opens only with its key and in its own doc, conversation, epoch and type', () => {
  const sealed = seal(key, ctx, new Uint8Array([7, 7]))
  assert.deepEqual(open(key, ctx, sealed), new Uint8Array([7, 7]))
  for (const other of [{ ...ctx, doc: `doc:${'c'.repeat(32)}` }, { ...ctx, conv: `ch:${'d'.repeat(32)}` }, { ...ctx, epoch: 4 }, { ...ctx, t: 'awareness' }]) {
    assert.throws(() => open(key, other, sealed), { code: 'undecryptable' })
  }
  assert.throws(() => open(new Uint8Array(32).fill(1), ctx, sealed), { code: 'undecryptable' })
  const flipped = { n: sealed.n, c: Uint8Array.from(sealed.c) }
  flipped.c[0] = (flipped.c[0] ?? 0) ^ 1
  assert.throws(() => open(key, ctx, flipped), { code: 'undecryptable' })
})

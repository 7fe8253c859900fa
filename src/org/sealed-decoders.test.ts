import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { sealValue } from '../identity/sealed-fields.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedValue } from '../fuzz-mutations.js'
import { sealedDecoders } from './sealed-protocol.js'

const request = { ws: 'w'.repeat(40), want: [sealValue({ k: 'contact', phone: '1' }).commitment] }
const reply = { values: [sealValue({ k: 'invite', secretHash: 'ab'.repeat(32) }).bytes] }

test('sealed values requests and answers: valid ones decode, anything else is bad-frame', () => {
  assert.deepEqual(sealedDecoders.request(request), request)
  assert.deepEqual(sealedDecoders.reply(reply), reply)
  for (const [name, decode, valid] of [['request', sealedDecoders.request, request], ['reply', sealedDecoders.reply, reply]] as const) {
    fc.assert(fc.property(fc.oneof(cborValue, mutatedValue(valid)), (value) => {
      try {
        decode(value)
      } catch (err) {
        assert.ok(err instanceof EnclaveError && err.code === 'bad-frame', `${name}: ${String(err)}`)
      }
    }), { numRuns: fuzzRuns(2_000) })
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { deviceOfCredential } from './mls-credential.js'
import { decodeKeyPackage, decodeMls } from './mls-group.js'

test('any bytes decode to an MLS message or a coded error, never a crash', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    try { decodeMls(bytes) } catch (err) { assert.ok(err instanceof EnclaveError, String(err)) }
    try { decodeKeyPackage(bytes) } catch (err) { assert.ok(err instanceof EnclaveError, String(err)) }
  }), { numRuns: fuzzRuns(3_000) })
})

test('any credential identity proves no device unless it is a real binding', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (identity, key) => {
    assert.equal(await deviceOfCredential({ credentialType: 'basic', identity }, key), null)
  }), { numRuns: fuzzRuns(1_000) })
})

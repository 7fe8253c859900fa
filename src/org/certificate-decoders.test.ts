import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { canonicalDecode, canonicalEncode } from '../identity/canonical.js'
import { verifyCertificate } from '../identity/certificate.js'
import { createMemoryLogger } from '../logger.js'
import { askOnce } from '../net/request-reply.js'
import { fuzzRuns, streamFuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { frameValue, outcomeOf, outcomeOfAsync, textLength } from '../fuzz-outcome.js'
import { cborFrame } from '../net/frame-io.js'
import { probeAsker, probeServer } from '../fuzz-streams.js'
import { renewalDecoders, serveCertificate, type RenewalComponents } from './certificate-renewal.js'
import { createTestWorkspace } from './test-workspace.js'

const workspace = await createTestWorkspace()
after(() => workspace.close())
const { ws, memberCertificate: cert } = workspace
const state = workspace.log.state()
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

/** Every way a certificate check may say no; anything else thrown is a bug. */
const REFUSED = ['bad-frame', 'wrong-conversation', 'unauthorized', 'wrong-author'] as const

/** A certificate from a peer: refused with a code, or it is the genuine one, bytes and signature. */
async function certificate(signed: { bytes: Uint8Array; sig: Uint8Array }): Promise<void> {
  const got = await outcomeOfAsync(() => verifyCertificate(signed, ws, state, Date.now()), REFUSED)
  if (got.ok) assert.ok(same(signed.bytes, cert.bytes) && same(signed.sig, cert.sig), 'only the genuine certificate verifies')
}

test('a renewal request and answer survive encoding; the genuine certificate verifies', async () => {
  assert.deepEqual(renewalDecoders.request(frameValue(cborEncode({ ws }))), { ws })
  assert.deepEqual(renewalDecoders.answer(frameValue(cborEncode({ cert }))), { cert })
  assert.equal((await verifyCertificate(cert, ws, state, Date.now())).device, workspace.member.id)
})

test('random bytes and random CBOR values are a renewal frame or bad-frame', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), cborValue.map((v) => cborEncode(v))), (bytes) => {
    const value = outcomeOf(() => frameValue(bytes), ['bad-frame'])
    if (!value.ok) return
    const req = outcomeOf(() => renewalDecoders.request(value.value), ['bad-frame'])
    if (req.ok) assert.ok(textLength(req.value.ws) <= 40)
    outcomeOf(() => renewalDecoders.answer(value.value), ['bad-frame'])
  }), { numRuns: fuzzRuns(5_000) })
})

test('edited renewal frames are read or refused with bad-frame; an edited certificate in an answer never verifies', async () => {
  const frames = fc.oneof(fc.constant<Record<string, unknown>>({ ws }), fc.constant<Record<string, unknown>>({ cert }))
  await fc.assert(fc.asyncProperty(frames.chain((value) => fc.oneof(mutatedBytes(cborEncode(value)), mutatedValue(value).map((v) => cborEncode(v)))), async (bytes) => {
    const value = outcomeOf(() => frameValue(bytes), ['bad-frame'])
    if (!value.ok) return
    outcomeOf(() => renewalDecoders.request(value.value), ['bad-frame'])
    const answer = outcomeOf(() => renewalDecoders.answer(value.value), ['bad-frame'])
    if (answer.ok) await certificate(answer.value.cert)
  }), { numRuns: fuzzRuns(5_000) })
})

test('a certificate edited in its bytes, its fields or its signature never verifies', async () => {
  const body = canonicalDecode(cert.bytes)
  const edits = fc.oneof(
    mutatedBytes(cert.bytes).map((bytes) => ({ bytes, sig: cert.sig })),
    mutatedBytes(cert.sig).map((sig) => ({ bytes: cert.bytes, sig })),
    // Re-encoded canonically, so only the signature can tell.
    mutatedValue(body).map((value) => {
      try { return { bytes: canonicalEncode(value), sig: cert.sig } } catch { return { bytes: new Uint8Array(0), sig: cert.sig } }
    })
  )
  await fc.assert(fc.asyncProperty(edits, certificate), { numRuns: fuzzRuns(5_000) })
})

test('an admin answers edited renewal requests with a certificate or a coded refusal, and a member takes only a verified answer', async () => {
  const log = createMemoryLogger()
  const components: RenewalComponents = {
    registry: workspace.registry, deviceKey: workspace.admin.key, self: workspace.admin.id, log,
    open: () => Promise.reject(new Error('not used')), isConnected: () => false
  }
  const refusals = new Set<string>()
  await fc.assert(fc.asyncProperty(fc.oneof(mutatedBytes(cborFrame({ ws })), mutatedValue({ ws }).map(cborFrame)), async (bytes) => {
    const { frames } = await probeServer((stream, connection) => serveCertificate(stream, connection, components), workspace.member.peerId, bytes)
    for (const f of frames) {
      const code = (f as { error?: { code?: unknown } }).error?.code
      if (typeof code === 'string') refusals.add(code)
    }
  }), { numRuns: streamFuzzRuns(100) })
  for (const code of refusals) assert.ok(['bad-frame', 'too-large', 'unauthorized', 'not-member'].includes(code), `refused with ${code}`)
  assert.deepEqual(log.lines.filter((l) => l.level === 'warn' || l.level === 'error'), [], 'no refusal was an internal failure')

  // The member's side, as renewCertificates asks: the answer is parsed, then verified before it is kept.
  await fc.assert(fc.asyncProperty(fc.oneof(mutatedBytes(cborFrame({ cert })), mutatedValue({ cert }).map(cborFrame)), async (bytes) => {
    const got = await probeAsker(async (stream) => {
      const reply = await askOnce(stream, { ws }, { maxReplyBytes: 64 * 1024, parse: renewalDecoders.answer })
      return verifyCertificate(reply.cert, ws, state, Date.now())
    }, bytes)
    if (!got.ok) assert.ok(got.error instanceof EnclaveError, `uncoded ${String(got.error)}`)
    else assert.ok(same(got.value.signed.bytes, cert.bytes))
  }), { numRuns: streamFuzzRuns(100) })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import fc from 'fast-check'
import { MAX_CHANNEL_NAME, MAX_CHANNEL_TOPIC, MAX_TEXT_LENGTH, MAX_THUMB_BYTES } from '../limits.js'
import { sniffImageType } from '../image-data.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { cborValue, mutatedBytes, mutatedValue } from '../fuzz-mutations.js'
import { outcomeOf, textLength } from '../fuzz-outcome.js'
import { appPayload, MAX_DOC_EDIT_BYTES } from './envelope.js'

// The plaintext inside an `app` envelope, as a member reads it once MLS has opened it
// (src/chat/inbound.ts: cborg's default decode, then `appPayload`).

/** The first bytes of a WebP file: what a thumbnail must start with to be taken as one. */
const WEBP = new Uint8Array([0x52, 0x49, 0x46, 0x46, 0x10, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20])
const common = { conv: `ch:${'ab'.repeat(16)}`, author: '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA', seq: 9, hlc: 1_700_000_000_000 }
const payloads = [
  { type: 'text', ...common, text: 'the numbers are final' },
  { type: 'meta', ...common, channel: { name: 'eng', topic: 'builds', visibility: 'open', archived: false, ws: `w${'0'.repeat(32)}`, creator: common.author } },
  { type: 'request', ...common, op: 'add', devices: [common.author] },
  { type: 'doc', ...common, doc: `doc:${'cd'.repeat(16)}`, update: new Uint8Array([1, 2, 3]) },
  { type: 'file', ...common, text: 'the plan', file: { name: 'plan.png', size: 5_000_000, mime: 'image/png', root: new Uint8Array(32).fill(1), key: new Uint8Array(32).fill(2), chunkBytes: 1024 * 1024, preview: { width: 1920, height: 1080, thumb: WEBP } } }
]

/** What a member may show or apply from a plaintext: nothing beyond the limits it shows them with. */
function plaintext(bytes: Uint8Array): void {
  let raw: unknown
  try { raw = cborDecode(bytes) } catch { return }
  const got = outcomeOf(() => appPayload.safeParse(raw), [])
  if (!got.ok || !got.value.success) return
  const p = got.value.data
  assert.ok(Number.isSafeInteger(p.seq) && p.seq >= 1 && Number.isSafeInteger(p.hlc) && p.hlc >= 0)
  if (p.type === 'text') assert.ok(textLength(p.text) <= MAX_TEXT_LENGTH)
  if (p.type === 'meta') assert.ok(textLength(p.channel.name) >= 1 && textLength(p.channel.name) <= MAX_CHANNEL_NAME && textLength(p.channel.topic) <= MAX_CHANNEL_TOPIC)
  if (p.type === 'doc') assert.ok(p.update.byteLength >= 1 && p.update.byteLength <= MAX_DOC_EDIT_BYTES)
  if (p.type === 'file' && p.file.preview !== undefined) assert.ok(p.file.preview.thumb.byteLength <= MAX_THUMB_BYTES && sniffImageType(p.file.preview.thumb) !== null)
}

test('every kind of plaintext survives encoding', () => {
  for (const p of payloads) assert.deepEqual(appPayload.parse(cborDecode(cborEncode(p))), p)
})

test('a file\'s thumbnail is taken only as a small PNG, JPEG or WebP, never as a page or script a member made up', () => {
  const [, , , , file] = payloads
  const withThumb = (thumb: Uint8Array): unknown => ({ ...file, file: { ...(file as { file: object }).file, preview: { width: 10, height: 10, thumb } } })
  assert.equal(appPayload.safeParse(withThumb(WEBP)).success, true)
  assert.equal(appPayload.safeParse(withThumb(new TextEncoder().encode('<svg onload="alert(1)"/>'))).success, false)
  const big = new Uint8Array(MAX_THUMB_BYTES + 1)
  big.set(WEBP)
  assert.equal(appPayload.safeParse(withThumb(big)).success, false)
})

test('random and edited plaintexts are read within their limits or refused, never a throw', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), cborValue.map((v) => cborEncode(v))), plaintext), { numRuns: fuzzRuns(5_000) })
  const edited = fc.constantFrom(...payloads).chain((p) => fc.oneof(mutatedBytes(cborEncode(p)), mutatedValue(p).map((v) => cborEncode(v))))
  fc.assert(fc.property(edited, plaintext), { numRuns: fuzzRuns(5_000) })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { z } from 'zod'
import { fuzzRuns } from './fuzz-runs.js'
import { mutatedValue } from './fuzz-mutations.js'
import { outcomeOf } from './fuzz-outcome.js'
import {
  CONVERSATION_ID, DOC_ID, idSchema, LOCAL_ID, messageId, parseConversationId, parseDepartmentId, parseDeviceText, parseDocId, parseInviteId,
  parseMessageId, parsePeerId, parseUserId, parseWorkspaceId, PEER_ID_TEXT, WORKSPACE_ID
} from './ids.js'

const peers = await Promise.all([0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
const hex = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const conv = fc.tuple(fc.constantFrom('dm', 'ch'), hex(16)).map(([kind, id]) => `${kind}:${id}`)

/** Each format parser, the pattern what it accepts must match, and valid ids to edit. */
const formats = [
  { parse: parseConversationId, schema: idSchema(parseConversationId), pattern: CONVERSATION_ID, valid: conv },
  { parse: parseDocId, schema: idSchema(parseDocId), pattern: DOC_ID, valid: hex(16).map((h) => `doc:${h}`) },
  { parse: parseWorkspaceId, schema: idSchema(parseWorkspaceId), pattern: WORKSPACE_ID, valid: hex(16).map((h) => `w${h}`) },
  { parse: parseUserId, schema: idSchema(parseUserId), pattern: LOCAL_ID, valid: fc.stringMatching(/^[0-9a-zA-Z_-]{8,64}$/) },
  { parse: parseInviteId, schema: idSchema(parseInviteId), pattern: LOCAL_ID, valid: fc.stringMatching(/^[0-9a-zA-Z_-]{8,64}$/) },
  { parse: parseDepartmentId, schema: idSchema(parseDepartmentId), pattern: LOCAL_ID, valid: fc.stringMatching(/^[0-9a-zA-Z_-]{8,64}$/) },
  { parse: parseDeviceText, schema: idSchema(parseDeviceText), pattern: PEER_ID_TEXT, valid: fc.constantFrom(...peers) }
]

/**
 * Text near an id: an edited valid one, or anything at all. At most 1,000 characters: ids reach a
 * parser through schemas that stop at 200 or 400, and base58 costs ~10 ms for 4,000 characters.
 */
function nearly(valid: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const edited = valid.chain((id) => mutatedValue(id)).filter((v) => typeof v !== 'string' || v.length <= 1_000)
  return fc.oneof(valid, edited, fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }))
}

test('an id parser returns its input when it has the format, and refuses anything else with bad-request', () => {
  for (const { parse, pattern, valid } of formats) {
    fc.assert(fc.property(nearly(valid), (text) => {
      if (typeof text !== 'string') return
      const got = outcomeOf(() => parse(text), ['bad-request'])
      if (got.ok) assert.equal(got.value, text)
      assert.equal(got.ok, pattern.test(text))
    }), { numRuns: fuzzRuns(3_000) })
  }
})

test('a peer id is parsed to its one normal text, which parses to itself', () => {
  fc.assert(fc.property(nearly(fc.constantFrom(...peers)), (text) => {
    if (typeof text !== 'string') return
    const got = outcomeOf(() => parsePeerId(text), ['bad-request'])
    if (got.ok) assert.equal(parsePeerId(got.value), got.value)
  }), { numRuns: fuzzRuns(3_000) })
  for (const peer of peers) assert.equal(parsePeerId(peer), peer)
})

test('a message id reads back as written, and only its one written form is accepted', () => {
  const valid = fc.tuple(conv, fc.constantFrom(...peers), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })).map(([c, a, s]) => messageId(parseConversationId(c), parsePeerId(a), s))
  fc.assert(fc.property(nearly(valid), (text) => {
    if (typeof text !== 'string') return
    const got = outcomeOf(() => parseMessageId(text), ['bad-request'])
    if (got.ok) assert.equal(messageId(got.value.conv, got.value.author, got.value.seq), text)
  }), { numRuns: fuzzRuns(5_000) })
  const id = messageId(parseConversationId(`ch:${'a'.repeat(32)}`), parsePeerId(peers[0] ?? ''), 7)
  for (const other of [`${id}\n`, `${id}.0`, id.replace(/7$/, '0x7'), id.replace(/7$/, '7e0'), `${id}/8`]) {
    assert.throws(() => parseMessageId(other), { code: 'bad-request' }, other)
  }
})

test('an id schema passes an id through and turns anything else into a validation issue, never a throw', () => {
  fc.assert(fc.property(fc.anything(), fc.nat(), (value, pick) => {
    const { schema, pattern } = formats[pick % formats.length] ?? { schema: z.never(), pattern: /$^/ }
    const got = outcomeOf(() => schema.safeParse(value), [])
    assert.ok(got.ok)
    assert.equal(got.value.success, typeof value === 'string' && value.length <= 200 && pattern.test(value))
  }), { numRuns: fuzzRuns(5_000) })
})

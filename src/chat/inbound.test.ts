import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { createEnvelopeSigner } from './envelope-signature.js'
import { MAX_BROKEN_BYTES_PER_AUTHOR, MAX_BROKEN_PER_AUTHOR } from './inbound.js'
import { channelTrio, createTestDevices, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId } from '../api/contract.js'
import type { Envelope } from './envelope.js'

/** Two devices with a DM set up and one message delivered, so the recipient knows the group. */
async function dmPair(): Promise<{ net: TestDevices; a: TestDevice; b: TestDevice; conv: ConversationId }> {
  const net = await createTestDevices(2)
  const [a, b] = net.devices
  assert.ok(a !== undefined && b !== undefined)
  const conv = a.chat.idOf({ peerId: b.id })
  await a.chat.send({ peerId: b.id }, 'hello')
  await net.until('the DM set up', () => b.added(conv).length === 1)
  return { net, a, b, conv }
}

const trio = channelTrio

/** The envelope of one of `author`'s messages, from its own cipher log. */
async function envelopeOf(author: TestDevice, conv: ConversationId, seq: number): Promise<Envelope> {
  const env = (await author.envelopes(conv, author.id)).find((e) => e.seq === seq)
  assert.ok(env !== undefined, `no envelope ${seq}`)
  return env
}

/** Coded lines for envelopes the device dropped. */
const dropped = (device: TestDevice): Array<unknown> => device.warnings('dropped an envelope').map((l) => l.code)

async function texts(device: TestDevice, conv: ConversationId): Promise<string[]> {
  return (await device.chat.history({ conversationId: conv }, {})).map((v) => v.text)
}

test('an envelope that arrives twice is stored once and shown once', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    const sent = await a.chat.send({ peerId: b.id }, 'twice')
    const env = await envelopeOf(a, conv, sent.seq)
    // Twice in one batch, again on another stream (a mailbox's copy), then the author's own.
    assert.equal((await net.deliver(b, a, [env, env])).length, 2, 'every copy is acknowledged')
    assert.equal((await net.deliver(b, a, [env])).length, 1)
    net.oneWay(a, b, true)
    await net.until('delivered', () => a.updated().some((v) => v.id === sent.id && v.state === 'delivered'))
    assert.equal(b.added(conv).filter((v) => v.id === sent.id).length, 1)
    assert.deepEqual(await texts(b, conv), ['hello', 'twice'])
    assert.equal(b.lastView(conv)?.unread, 2)
    assert.deepEqual(dropped(b), [], 'copies are known before any decryption')
  } finally {
    await net.close()
  }
})

test('copies arriving at the same moment on two streams are shown once', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    const sent = await a.chat.send({ peerId: b.id }, 'both ways at once')
    const env = await envelopeOf(a, conv, sent.seq)
    await Promise.all([net.deliver(b, a, [env]), net.deliver(b, a, [env])])
    assert.equal(b.added(conv).filter((v) => v.id === sent.id).length, 1)
    assert.deepEqual(await texts(b, conv), ['hello', 'both ways at once'])
    assert.deepEqual(dropped(b), [])
  } finally {
    await net.close()
  }
})

test('a copy of an envelope that arrived ahead of another is still known as a copy', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    const x = await a.chat.send({ peerId: b.id }, 'x')
    const y = await a.chat.send({ peerId: b.id }, 'y')
    const [ex, ey] = [await envelopeOf(a, conv, x.seq), await envelopeOf(a, conv, y.seq)]
    await net.deliver(b, a, [ey])
    await net.deliver(b, a, [ex])
    await net.deliver(b, a, [ey])
    assert.deepEqual(b.added(conv).map((v) => v.text), ['hello', 'y', 'x'])
    assert.deepEqual(await texts(b, conv), ['hello', 'x', 'y'])
    assert.deepEqual(dropped(b), [], 'the copy was dropped unopened, not tried and refused by MLS')
  } finally {
    await net.close()
  }
})

test('copies arriving at the same moment beyond a gap are shown once and never tried twice', async () => {
  // A channel post comes from its author and from the mailbox at once; when the author's mark sits
  // below a gap, both copies passed the lookup before either was stored, and the second was
  // decrypted again: MLS refused it and it was counted as broken against its author.
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    await a.chat.send({ peerId: b.id }, 'missed for now')
    const ahead = await a.chat.send({ peerId: b.id }, 'beyond the gap')
    const env = await envelopeOf(a, conv, ahead.seq)
    await Promise.all([net.deliver(b, a, [env]), net.deliver(b, a, [env])])
    assert.equal(b.added(conv).filter((v) => v.id === ahead.id).length, 1)
    assert.deepEqual(dropped(b), [], 'the second copy was known, not tried and refused by MLS')
    assert.deepEqual((await b.record(conv))?.broken ?? {}, {})
  } finally {
    await net.close()
  }
})

test('envelopes of an epoch whose commit has not arrived wait, then are processed in order', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(a, b, false)
    // Nor can b fetch from a: an envelope beyond a gap makes b ask whoever handed it over at once.
    net.oneWay(b, a, false)
    await a.chat.removeMember(conv, c.id)
    const one = await a.chat.send({ conversationId: conv }, 'one')
    const two = await a.chat.send({ conversationId: conv }, 'two')
    const mine = await a.envelopes(conv, a.id)
    const commit = mine.find((e) => e.kind === 'commit' && e.seq < one.seq && e.seq > 3)
    assert.ok(commit !== undefined, 'the removal was committed')
    const [e1, e2] = [await envelopeOf(a, conv, one.seq), await envelopeOf(a, conv, two.seq)]
    assert.equal(e1.epoch, commit.epoch + 1)

    await net.deliver(b, a, [e2])
    await net.deliver(b, a, [e1])
    assert.equal((await b.record(conv))?.waiting, 2)
    assert.equal(b.lastView(conv)?.waiting, 2, 'the shells are told what waits')
    assert.deepEqual(await texts(b, conv), [])

    await net.deliver(b, a, [commit])
    await net.until('both processed', () => b.added(conv).length === 2)
    assert.deepEqual(b.added(conv).map((v) => v.text), ['one', 'two'])
    const record = await b.record(conv)
    assert.equal(record?.waiting, 0)
    assert.deepEqual(record.members.slice().sort(), [a.id, b.id].sort())
    assert.deepEqual(dropped(b), [])
  } finally {
    await net.close()
  }
})

test('envelopes waiting for a commit survive a restart and are processed when it comes', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(a, b, false)
    await a.chat.removeMember(conv, c.id)
    const sent = await a.chat.send({ conversationId: conv }, 'after the removal')
    const env = await envelopeOf(a, conv, sent.seq)
    const commit = (await a.envelopes(conv, a.id)).find((e) => e.kind === 'commit' && e.epoch === env.epoch - 1)
    assert.ok(commit !== undefined)
    await net.deliver(b, a, [env, env])
    assert.equal((await b.record(conv))?.waiting, 1, 'a copy of a waiting envelope is not counted twice')
    await net.restart(b)
    assert.equal((await b.record(conv))?.waiting, 1)
    await net.deliver(b, a, [commit])
    await net.until('processed', () => b.added(conv).length === 1)
    assert.equal(b.added(conv)[0]?.text, 'after the removal')
    assert.equal((await b.record(conv))?.waiting, 0)
  } finally {
    await net.close()
  }
})

/** The same envelope with one byte of its MLS ciphertext changed (the AEAD tag, at the end). */
function tamper(env: Envelope): Envelope {
  const mls = new Uint8Array(env.mls)
  mls[mls.length - 1] = (mls[mls.length - 1] ?? 0) ^ 0xff
  return { ...env, mls }
}

test('a tampered envelope fails its author\'s signature, is dropped with a coded line and changes nothing', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    const sent = await a.chat.send({ peerId: b.id }, 'secret')
    const before = await b.record(conv)
    await net.deliver(b, a, [tamper(await envelopeOf(a, conv, sent.seq))])
    assert.deepEqual(dropped(b), ['wrong-author'])
    assert.deepEqual(await texts(b, conv), ['hello'])
    assert.equal(b.added(conv).length, 1)
    assert.equal((await b.record(conv))?.unread, before?.unread)
  } finally {
    await net.close()
  }
})

test('an envelope whose author is not its MLS sender is dropped as wrong-author', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(c, b, false)
    const sent = await c.chat.send({ conversationId: conv }, 'from carol')
    const real = await envelopeOf(c, conv, sent.seq)
    // Carol's message passed off as the channel creator's next one.
    const nextOfA = ((await a.record(conv))?.nextSeq ?? 0)
    await net.deliver(b, c, [{ ...real, author: a.id, seq: nextOfA }])
    assert.deepEqual(dropped(b), ['wrong-author'])
    assert.deepEqual(await texts(b, conv), [])
  } finally {
    await net.close()
  }
})

test('a replayed envelope under a new number is dropped and changes nothing', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    const [hello] = b.added(conv)
    assert.ok(hello !== undefined)
    const env = await envelopeOf(a, conv, hello.seq)
    await net.deliver(b, a, [{ ...env, seq: hello.seq + 1 }])
    // The author signed it under its own number: under another it is nobody's.
    assert.deepEqual(dropped(b), ['wrong-author'])
    assert.deepEqual(await texts(b, conv), ['hello'])
    assert.equal(b.added(conv).length, 1)
  } finally {
    await net.close()
  }
})

test('an envelope that fails authentication takes no place: the author\'s real one is still shown', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    net.oneWay(a, b, false)
    const sent = await a.chat.send({ peerId: b.id }, 'the real one')
    const seenBefore = (await b.record(conv))?.seen[a.id]
    // Anyone who relays envelopes (a mailbox, a member helping with catch-up) can send bytes
    // under the author's next number; they must not stand in for the author's envelope.
    await net.deliver(b, a, [tamper(await envelopeOf(a, conv, sent.seq))])
    assert.equal((await b.record(conv))?.seen[a.id], seenBefore, 'bytes nobody authenticated must not move the high-water mark')
    net.oneWay(a, b, true)
    await net.until('acknowledged', () => a.updated().some((v) => v.id === sent.id && v.state === 'delivered'))
    assert.deepEqual(await texts(b, conv), ['hello', 'the real one'])
    assert.deepEqual(dropped(b), ['wrong-author'])
  } finally {
    await net.close()
  }
})

test('a member\'s envelope passed off under another author does not cost the member its message', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(c, b, false)
    const sent = await c.chat.send({ conversationId: conv }, 'from carol')
    const real = await envelopeOf(c, conv, sent.seq)
    // A number far ahead of the creator's, so only the member's own message is at stake here.
    await net.deliver(b, c, [{ ...real, author: a.id, seq: 1_000 }])
    assert.deepEqual(dropped(b), ['wrong-author'])
    net.oneWay(c, b, true)
    await net.until('acknowledged', () => c.updated().some((v) => v.id === sent.id && v.state === 'delivered'))
    assert.deepEqual(await texts(b, conv), ['from carol'], 'the forged copy must not spend the key of the real one')
  } finally {
    await net.close()
  }
})

test('a device removed from the workspace writes nothing more: its envelopes are refused and not acknowledged', async () => {
  const { net, a, b, c, conv } = await trio()
  try {
    net.oneWay(c, b, false)
    net.oneWay(a, b, false)
    const fromCarol = await c.chat.send({ conversationId: conv }, 'after my removal')
    const fromA = await a.chat.send({ conversationId: conv }, 'still here')
    net.removeFromWorkspace(c)
    // Carol's envelope and then the creator's, as a relaying member might hand them over.
    const acks = await net.deliver(b, a, [await envelopeOf(c, conv, fromCarol.seq), await envelopeOf(a, conv, fromA.seq)])
    assert.deepEqual(acks, [{ author: a.id, seq: fromA.seq }], 'only the member\'s envelope is acknowledged')
    assert.deepEqual(await texts(b, conv), ['still here'])
    assert.deepEqual(dropped(b), ['not-member'])
  } finally {
    await net.close()
  }
})

test('an author\'s own broken envelopes are stored up to its quota, then refused over-quota; its valid messages still arrive', async () => {
  const { net, a, b, conv } = await dmPair()
  try {
    const sign = createEnvelopeSigner(a.key)
    // Signed by their author, so nobody else can spend this quota; far ahead, so no real number is taken.
    const broken = (seq: number, bytes = 64): Envelope => sign({ v: 3, conv, author: a.id, seq, kind: 'app', epoch: 1, mls: new Uint8Array(randomBytes(bytes)) })
    const mark = (await b.record(conv))?.seen[a.id]
    const first = Array.from({ length: MAX_BROKEN_PER_AUTHOR + 8 }, (_, i) => broken(1_000 + i))
    const acked = await net.deliver(b, a, first)
    assert.equal(acked.length, MAX_BROKEN_PER_AUTHOR, 'the quota\'s worth is stored and acknowledged, the rest is not')
    assert.equal(b.warnings('refused an envelope').filter((l) => l.code === 'over-quota').length, 8)
    const stored = (await b.envelopes(conv, a.id)).filter((e) => e.seq >= 1_000).length
    assert.equal(stored, MAX_BROKEN_PER_AUTHOR)
    assert.equal((await b.record(conv))?.seen[a.id], mark, 'nothing refused moves the author\'s mark')
    // Full by count; bytes are counted too: one large broken envelope does not fit either.
    assert.equal((await net.deliver(b, a, [broken(5_000, MAX_BROKEN_BYTES_PER_AUTHOR)])).length, 0)
    // The quota is asked only once MLS refused an envelope: the author's valid messages pass.
    const sent = await a.chat.send({ peerId: b.id }, 'still heard')
    await net.until('delivered', () => a.updated().some((v) => v.id === sent.id && v.state === 'delivered'))
    assert.deepEqual(await texts(b, conv), ['hello', 'still heard'])
  } finally {
    await net.close()
  }
})

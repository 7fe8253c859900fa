import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { parseConversationId, parsePeerId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { concatFrames, readFrameBatches } from '../net/frame-reader.js'
import { openStore, type Collection, type Store } from '../store/store.js'
import type { CollectionName } from '../store/collections.js'
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './chat-frames.js'
import { createOutbox, nextOutboxCounter, type Outbox, type OutboxComponents, type OutboxEntry, type OutboxInit } from './outbox.js'
import type { Envelope } from './envelope.js'
import type { Stream } from '@libp2p/interface'

const PEER = parsePeerId('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
const AUTHOR = parsePeerId('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')
const CONV = parseConversationId(`ch:${'c'.repeat(32)}`)

/** A recipient on the far end of a stream: records every envelope it reads, and acks those `acks` allows. */
interface Recipient { seqs: number[]; acked: number[] }

interface Harness {
  outbox: Outbox
  store: Store
  recipient: Recipient
  /** Stream opens so far, whether the next ones fail (the peer is away), and what an open waits for (a slow dial). */
  opens: { count: number; failing: boolean; gate: Promise<void> }
  /** Every stream made, near (the outbox's) and far (the recipient's) ends in turn. */
  streams: Stream[]
  /** What a read of the queue waits for before its first entry (a slow disk), and how many reads began. */
  reads: { count: number; gate: Promise<void> }
  /** The outbox's log. */
  lines: Array<Record<string, unknown>>
  acked: OutboxEntry[]
  entry(seq: number): OutboxEntry
  until(what: string, check: () => boolean): Promise<void>
  close(): Promise<void>
}

async function harness(init: OutboxInit = {}, acks: (seq: number) => boolean = () => true): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-outbox-'))
  const store = await openStore({ path: join(dir, 'store'), log: createMemoryLogger(), dataKey: randomBytes(32) })
  const envelopes = new Map<string, Envelope>()
  const recipient: Recipient = { seqs: [], acked: [] }
  const opens = { count: 0, failing: false, gate: Promise.resolve() }
  const acked: OutboxEntry[] = []
  const streams: Stream[] = []
  const reads = { count: 0, gate: Promise.resolve() }
  const log = createMemoryLogger()
  // The queue as the outbox reads it, through `reads.gate`.
  const queueOf = <T>(name: CollectionName): Collection<T> => {
    const real = store.collection<T>(name)
    if (name !== 'outbox') return real
    return {
      ...real,
      entries: async function * (range) {
        reads.count++
        await reads.gate
        yield * real.entries(range)
      }
    }
  }

  /** Reads frames as a recipient does and answers each stored envelope with an ack. */
  const serve = async (stream: Stream): Promise<void> => {
    try {
      for await (const batch of readFrameBatches(stream, { maxFrameBytes: MAX_FRAME_BYTES })) {
        const out: Uint8Array[] = []
        for (const body of batch) {
          const frame = decodeFrame(body)
          if (frame.t !== 'msg') continue
          recipient.seqs.push(frame.env.seq)
          if (!acks(frame.env.seq)) continue
          recipient.acked.push(frame.env.seq)
          out.push(encodeFrame({ t: 'ack', conv: frame.env.conv, author: frame.env.author, seq: frame.env.seq }))
        }
        if (out.length > 0) stream.send(concatFrames(out))
      }
    } catch {
      // The sender reset the stream: a new one follows.
    }
  }

  const components: OutboxComponents = {
    store: { ...store, collection: queueOf, batch: () => store.batch(), close: () => store.close(), schemaVersion: store.schemaVersion },
    log,
    openStream: async () => {
      opens.count++
      await opens.gate
      if (opens.failing) throw new Error('peer unreachable')
      const [near, far] = await streamPair()
      streams.push(near, far)
      void serve(far)
      return near
    },
    load: (keys) => Promise.resolve(keys.map((k) => envelopes.get(k))),
    // Announced once the batch that forgets them is written, as the real callers do.
    onAcked: (_peer, entries) => () => { acked.push(...entries) },
    onSent: () => undefined,
    onExpired: () => () => undefined
  }
  const outbox = createOutbox(components, { minBackoffMs: 5, maxBackoffMs: 20, ...init })
  return {
    outbox,
    store,
    recipient,
    opens,
    streams,
    reads,
    lines: log.lines,
    acked,
    entry: (seq) => {
      const envKey = `env-${seq}`
      envelopes.set(envKey, { v: 3, conv: CONV, author: AUTHOR, seq, kind: 'app', epoch: 1, mls: new Uint8Array([seq % 256, 1, 2]), sig: new Uint8Array(64) })
      return { messageKey: null, envKey, conv: CONV, author: AUTHOR, seq, enqueuedAt: Date.now() }
    },
    until: async (what, check) => {
      const deadline = Date.now() + 10_000
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
    close: async () => {
      await outbox.stop()
      for (const s of streams) if (s.status === 'open') s.abort(new Error('test over'))
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

test('delivers queued entries in order and forgets each once the recipient acknowledges it', async () => {
  const h = await harness()
  try {
    const batch = h.store.batch()
    for (let seq = 1; seq <= 5; seq++) h.outbox.enqueue(batch, PEER, h.entry(seq))
    await batch.write()
    h.outbox.kick(PEER)
    await h.until('five acks', () => h.acked.length === 5)
    assert.deepEqual(h.recipient.seqs, [1, 2, 3, 4, 5])
    assert.equal(await h.outbox.pendingCount(PEER), 0)
  } finally {
    await h.close()
  }
})

test('an entry written behind what was already sent is still delivered on the same stream', async () => {
  const h = await harness({}, (seq) => seq !== 21)
  try {
    // Two conversations seal at once: the first takes the earlier order but its write lands last.
    const early = h.store.batch()
    h.outbox.enqueue(early, PEER, h.entry(10))
    h.outbox.enqueue(early, PEER, h.entry(11))
    const late = h.store.batch()
    h.outbox.enqueue(late, PEER, h.entry(20))
    h.outbox.enqueue(late, PEER, h.entry(21))
    await late.write()
    h.outbox.kick(PEER)
    await h.until('the later batch to arrive', () => h.recipient.seqs.length === 2)
    await early.write()
    h.outbox.kick(PEER)
    await h.until('the earlier batch to arrive', () => h.recipient.seqs.length === 4)
    assert.deepEqual(h.recipient.seqs, [20, 21, 10, 11], 'each sent once')
    await h.until('acks', () => h.acked.length === 3)
    assert.deepEqual(h.acked.map((e) => e.seq).sort((a, b) => a - b), [10, 11, 20], 'what was not acknowledged stays queued')
    assert.equal(await h.outbox.pendingCount(PEER), 1)
  } finally {
    await h.close()
  }
})

test('an entry written while the first stream is still being dialled is delivered too', async () => {
  const h = await harness()
  try {
    let open = (): void => undefined
    h.opens.gate = new Promise((resolve) => { open = resolve })
    const early = h.store.batch()
    h.outbox.enqueue(early, PEER, h.entry(10))
    const late = h.store.batch()
    h.outbox.enqueue(late, PEER, h.entry(20))
    await late.write()
    h.outbox.kick(PEER)
    await h.until('the dial to start', () => h.opens.count === 1)
    await early.write()
    h.outbox.kick(PEER)
    open()
    await h.until('both acknowledged', () => h.acked.length === 2)
    assert.deepEqual(h.recipient.seqs, [20, 10])
  } finally {
    await h.close()
  }
})

test('an entry read from the queue while its stream broke goes out on the next stream', async () => {
  const h = await harness()
  try {
    const first = h.store.batch()
    h.outbox.enqueue(first, PEER, h.entry(1))
    await first.write()
    h.outbox.kick(PEER)
    await h.until('the first ack', () => h.acked.length === 1)
    // The next read of the queue is slow; the stream breaks while it runs (the peer closed the
    // connection): what that read found was claimed as sent, and never went out while the next
    // stream stayed open (a guest's removal from a channel was lost this way).
    let release = (): void => undefined
    h.reads.gate = new Promise((resolve) => { release = resolve })
    const reads = h.reads.count
    const second = h.store.batch()
    h.outbox.enqueue(second, PEER, h.entry(2))
    await second.write()
    h.outbox.kick(PEER)
    await h.until('the queue read to begin', () => h.reads.count > reads)
    h.streams.at(-1)?.abort(new Error('connection closed'))
    await h.until('the outbox to see its stream end', () => h.lines.some((l) => l.msg === 'delivery stream ended'))
    release()
    await h.until('the second ack', () => h.acked.length === 2)
    assert.deepEqual(h.recipient.acked, [1, 2])
  } finally {
    await h.close()
  }
})

test('more entries behind the cursor than one page are all delivered', async () => {
  const h = await harness({ pageSize: 4 })
  try {
    const early = h.store.batch()
    for (let seq = 1; seq <= 10; seq++) h.outbox.enqueue(early, PEER, h.entry(seq))
    const late = h.store.batch()
    for (let seq = 100; seq < 106; seq++) h.outbox.enqueue(late, PEER, h.entry(seq))
    await late.write()
    h.outbox.kick(PEER)
    await h.until('the later entries', () => h.recipient.seqs.length === 6)
    await early.write()
    h.outbox.kick(PEER)
    await h.until('all sixteen', () => h.acked.length === 16)
    assert.deepEqual(h.recipient.seqs.slice(6), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  } finally {
    await h.close()
  }
})

test('a recipient that is away is retried with backoff, and everything goes once it is back', async () => {
  const h = await harness()
  try {
    h.opens.failing = true
    const batch = h.store.batch()
    for (let seq = 1; seq <= 3; seq++) h.outbox.enqueue(batch, PEER, h.entry(seq))
    await batch.write()
    h.outbox.kick(PEER)
    await h.until('a few failed attempts', () => h.opens.count >= 3)
    assert.equal(h.recipient.seqs.length, 0)
    h.opens.failing = false
    await h.until('delivery after the peer came back', () => h.acked.length === 3)
    assert.deepEqual(h.recipient.seqs, [1, 2, 3])
    assert.deepEqual(await h.outbox.peersWithPending(), [])
  } finally {
    await h.close()
  }
})

test('entries past their maximum age are given up on, not sent', async () => {
  const h = await harness({ maxAgeMs: 1_000 })
  try {
    const batch = h.store.batch()
    h.outbox.enqueue(batch, PEER, { ...h.entry(1), enqueuedAt: Date.now() - 5_000 })
    h.outbox.enqueue(batch, PEER, h.entry(2))
    await batch.write()
    h.outbox.kick(PEER)
    await h.until('the fresh entry acknowledged', () => h.acked.length === 1)
    assert.deepEqual(h.recipient.seqs, [2])
    assert.equal(await h.outbox.pendingCount(PEER), 0)
  } finally {
    await h.close()
  }
})

test('a queue migrated from schema 3 counts on past its entries, which keep their order per recipient', async () => {
  const fixture = fileURLToPath(new URL('../../../test/fixtures/store-v3/', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'enclave-v3-'))
  await cp(join(fixture, 'db'), join(dir, 'db'), { recursive: true })
  const { dataKey, peers } = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as { dataKey: string; peers: { bob: string } }
  const store = await openStore({ path: join(dir, 'db'), log: createMemoryLogger(), dataKey: Buffer.from(dataKey, 'hex') })
  try {
    // Three entries were queued by the clock (two for bob, one for carol); they now count 1 to 3.
    assert.equal(await nextOutboxCounter(store), 4)
    const forBob: number[] = []
    for await (const [, e] of store.collection<OutboxEntry>('outbox').entries({ gt: `${peers.bob}!`, lt: `${peers.bob}!~` })) forBob.push(e.seq)
    assert.deepEqual(forBob, [1, 2])
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})

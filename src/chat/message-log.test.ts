import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { parseConversationId, parsePeerId } from '../ids.js'
import { MAX_HISTORY_PAGE } from '../limits.js'
import { createMemoryLogger } from '../logger.js'
import { openStore, type Store } from '../store/store.js'
import { orderKey } from './hybrid-clock.js'
import { createMessageLog, isNewest, orderOf, toMessageView, type ConversationRecord, type MessageLog, type StoredMessage } from './message-log.js'
import type { ConversationId } from '../api/contract.js'

// Two authors whose ids sort ALICE < BOB, so ties on the clock have a known order.
const ALICE = parsePeerId('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
const BOB = parsePeerId('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')
const CONV = parseConversationId(`ch:${'c'.repeat(32)}`)
const OTHER = parseConversationId(`dm:${'d'.repeat(32)}`)
/** A clock reading in the shape the hybrid clock makes (ms × 1,000 + counter). */
const T0 = 1_700_000_000_000_000

interface Harness {
  log: MessageLog
  store: Store
  /** Closes the store and opens it again, as a restart does: the log is rebuilt from disk. */
  reopen(): Promise<void>
  /** Stores messages of `conv` in one batch (the conversation is made first if new); returns their keys. */
  add(msgs: Array<Partial<StoredMessage> & Pick<StoredMessage, 'author' | 'seq' | 'hlc'>>, opts?: { conv?: ConversationId; countUnread?: boolean }): Promise<string[]>
  close(): Promise<void>
}

async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-message-log-'))
  const path = join(dir, 'store')
  const dataKey = randomBytes(32)
  let store = await openStore({ path, log: createMemoryLogger(), dataKey })
  let log = await createMessageLog(store)
  const h: Harness = {
    get log () { return log },
    get store () { return store },
    reopen: async () => {
      await store.close()
      store = await openStore({ path, log: createMemoryLogger(), dataKey })
      log = await createMessageLog(store)
    },
    add: async (msgs, opts = {}) => {
      const conv = opts.conv ?? CONV
      const batch = store.batch()
      log.ensure(conv, batch, () => ({ kind: conv.startsWith('dm:') ? 'dm' : 'channel' }))
      const keys = msgs.map((m) => log.append(batch, { conv, text: `${m.author === ALICE ? 'alice' : 'bob'}#${m.seq}`, state: 'received', mine: false, ...m }, { countUnread: opts.countUnread ?? true }))
      await batch.write()
      return keys
    },
    close: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
  return h
}

/** A copy of test/fixtures/store-v3 (written by schema 3, keys in the clear), opened: migrated to schema 4. */
async function migratedFixture(): Promise<{ store: Store; ids: { dm: string; ch: string }; dir: string }> {
  const fixture = fileURLToPath(new URL('../../../test/fixtures/store-v3/', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'enclave-v3-'))
  await cp(join(fixture, 'db'), join(dir, 'db'), { recursive: true })
  const { dataKey, ids } = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as { dataKey: string; ids: { dm: string; ch: string } }
  return { store: await openStore({ path: join(dir, 'db'), log: createMemoryLogger(), dataKey: Buffer.from(dataKey, 'hex') }), ids, dir }
}

/** The texts of a page, which `add` makes from author and seq. */
const texts = (page: Array<{ msg: StoredMessage }>): string[] => page.map((p) => p.msg.text)

test('history gives the newest page first, oldest to newest within it, and `before` pages back', async () => {
  const h = await harness()
  try {
    // Written out of order: the log sorts by clock, not by arrival.
    await h.add([5, 1, 7, 3, 2, 6, 4].map((n) => ({ author: ALICE, seq: n, hlc: T0 + n })))
    const first = await h.log.history(CONV, { limit: 3 })
    assert.deepEqual(first.map((p) => p.msg.seq), [5, 6, 7])
    const firstOrder = first[0]
    assert.ok(firstOrder !== undefined)
    const second = await h.log.history(CONV, { limit: 3, before: orderOf(firstOrder.key) })
    assert.deepEqual(second.map((p) => p.msg.seq), [2, 3, 4])
    const secondOrder = second[0]
    assert.ok(secondOrder !== undefined)
    const last = await h.log.history(CONV, { limit: 3, before: orderOf(secondOrder.key) })
    assert.deepEqual(last.map((p) => p.msg.seq), [1], 'a short page means the start of the conversation')
    const lastOrder = last[0]
    assert.ok(lastOrder !== undefined)
    assert.deepEqual(await h.log.history(CONV, { before: orderOf(lastOrder.key) }), [])
  } finally {
    await h.close()
  }
})

test('`after` pages forwards from a message, across hours, oldest first', async () => {
  const h = await harness()
  try {
    const HOUR = 3_600_000 * 1000
    await h.add([1, 2, 3, 4, 5, 6, 7].map((n) => ({ author: ALICE, seq: n, hlc: T0 + n * HOUR / 3 })))
    const [third] = (await h.log.history(CONV, { limit: 5 })).slice(0, 1)
    assert.equal(third?.msg.seq, 3)
    const next = await h.log.history(CONV, { after: orderOf(third.key), limit: 3 })
    assert.deepEqual(next.map((p) => p.msg.seq), [4, 5, 6])
    const rest = await h.log.history(CONV, { after: orderOf(next.at(-1)?.key ?? ''), limit: 3 })
    assert.deepEqual(rest.map((p) => p.msg.seq), [7], 'a short page means the newest message')
  } finally {
    await h.close()
  }
})

test('paging through busy hours and quiet ones gives every message once, in clock order, before and after a reopen', async () => {
  const h = await harness()
  const HOUR = 3_600_000 * 1000
  try {
    // 120 in one hour, a few spread over three days, written in a shuffled order, in three batches.
    const hlcs = [...Array.from({ length: 120 }, (_, i) => T0 + i * 1000), T0 - 2 * HOUR, T0 + 30 * HOUR, T0 + 50 * HOUR + 7, T0 + 50 * HOUR + 3]
    const shuffled = hlcs.map((hlc, i) => ({ hlc, seq: i + 1, sort: (i * 7919) % 124 })).sort((a, b) => a.sort - b.sort)
    for (let i = 0; i < shuffled.length; i += 50) await h.add(shuffled.slice(i, i + 50).map(({ hlc, seq }) => ({ author: ALICE, seq, hlc })))
    const expected = [...hlcs].sort((a, b) => a - b)
    const pageAll = async (): Promise<number[]> => {
      const seen: number[] = []
      let before: string | undefined
      for (;;) {
        const page = await h.log.history(CONV, { limit: 17, ...(before === undefined ? {} : { before }) })
        if (page.length === 0) return seen
        seen.unshift(...page.map((p) => p.msg.hlc))
        before = orderOf(page[0]?.key ?? '')
      }
    }
    assert.deepEqual(await pageAll(), expected)
    // A message arriving in an hour already read shows in the next read of it.
    await h.add([{ author: BOB, seq: 1, hlc: T0 + 500 }])
    assert.deepEqual(await pageAll(), [...expected, T0 + 500].sort((a, b) => a - b))
    await h.reopen()
    assert.deepEqual(await pageAll(), [...expected, T0 + 500].sort((a, b) => a - b))
  } finally {
    await h.close()
  }
})

test('a message appended before a history read began and written while it ran shows in every later read', async () => {
  // A received message is appended, then its batch is written a little later (after MLS work on
  // the rest of the batch). A shell asking for history in between read the hour from disk without
  // it and kept that list: the message was stored but never shown (channels peer test, 1 run in 15).
  const h = await harness()
  try {
    await h.add([{ author: ALICE, seq: 1, hlc: T0 }])
    const batch = h.store.batch()
    h.log.append(batch, { conv: CONV, author: BOB, seq: 1, hlc: T0 + 1000, text: 'late', state: 'received', mine: false }, { countUnread: true })
    const reading = h.log.history(CONV, {})
    await batch.write()
    await reading
    assert.deepEqual((await h.log.history(CONV, {})).map((m) => m.msg.text), ['alice#1', 'late'])
  } finally {
    await h.close()
  }
})

test('a store migrated from schema 3 pages its history in clock order, late arrivals included', async () => {
  const { store, ids, dir } = await migratedFixture()
  try {
    const log = await createMessageLog(store)
    const all = await log.history(parseConversationId(ids.ch), {})
    assert.equal(all.length, 4)
    assert.deepEqual(all.map((m) => m.msg.hlc), [...all.map((m) => m.msg.hlc)].sort((a, b) => a - b))
    const page = await log.history(parseConversationId(ids.ch), { before: orderOf(all[2]?.key ?? ''), limit: 1 })
    assert.deepEqual(page.map((m) => m.key), [all[1]?.key])
    assert.equal((await log.history(parseConversationId(ids.dm), {})).length, 4)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('history asks for at least one message and at most a full page', async () => {
  const h = await harness()
  try {
    await h.add(Array.from({ length: MAX_HISTORY_PAGE + 5 }, (_, i) => ({ author: ALICE, seq: i + 1, hlc: T0 + i })))
    assert.equal((await h.log.history(CONV, { limit: 0 })).length, 1)
    assert.equal((await h.log.history(CONV, { limit: -3 })).length, 1)
    assert.equal((await h.log.history(CONV, {})).length, 50)
    assert.equal((await h.log.history(CONV, { limit: MAX_HISTORY_PAGE * 10 })).length, MAX_HISTORY_PAGE)
  } finally {
    await h.close()
  }
})

test('messages sort by clock, then author, then seq, whatever the width of the numbers', async () => {
  const h = await harness()
  try {
    await h.add([
      // Equal clocks: the author breaks the tie, then the seq (9 before 10, not as text).
      { author: BOB, seq: 10, hlc: T0 + 5 },
      { author: BOB, seq: 9, hlc: T0 + 5 },
      { author: ALICE, seq: 40, hlc: T0 + 5 },
      // A clock with fewer digits is older, not newer as text would have it.
      { author: BOB, seq: 1, hlc: 999 },
      { author: ALICE, seq: 1, hlc: T0 + 100 }
    ])
    assert.deepEqual(texts(await h.log.history(CONV, {})), ['bob#1', 'alice#40', 'bob#9', 'bob#10', 'alice#1'])
  } finally {
    await h.close()
  }
})

test('conversations do not see each other\'s messages', async () => {
  const h = await harness()
  try {
    await h.add([{ author: ALICE, seq: 1, hlc: T0 + 1 }, { author: ALICE, seq: 2, hlc: T0 + 3 }])
    await h.add([{ author: BOB, seq: 1, hlc: T0 + 2 }], { conv: OTHER })
    assert.deepEqual((await h.log.history(CONV, {})).map((p) => p.msg.seq), [1, 2])
    assert.deepEqual((await h.log.history(OTHER, {})).map((p) => p.msg.author), [BOB])
    assert.equal(await h.log.find(OTHER, ALICE, 1), undefined)
  } finally {
    await h.close()
  }
})

test('lastKey follows the newest message by order, not the last one written', async () => {
  const h = await harness()
  try {
    const [newer] = await h.add([{ author: ALICE, seq: 2, hlc: T0 + 20 }])
    // Arrives later but was written earlier (a catch-up): the conversation's newest stays.
    const [older] = await h.add([{ author: BOB, seq: 1, hlc: T0 + 10 }])
    assert.ok(newer !== undefined && older !== undefined)
    const record = h.log.conversation(CONV)
    assert.ok(record !== undefined)
    assert.equal(record.lastKey, newer)
    const found = await h.log.byKeys([newer, older])
    const [n, o] = found
    assert.ok(n !== undefined && o !== undefined)
    assert.equal(isNewest(record, toMessageView(n, newer)), true)
    assert.equal(isNewest(record, toMessageView(o, older)), false)
  } finally {
    await h.close()
  }
})

test('unread counts what others wrote and markRead clears it', async () => {
  const h = await harness()
  try {
    await h.add([{ author: BOB, seq: 1, hlc: T0 + 1 }, { author: BOB, seq: 2, hlc: T0 + 2 }])
    await h.add([{ author: ALICE, seq: 1, hlc: T0 + 3, mine: true }], { countUnread: false })
    assert.equal(h.log.conversation(CONV)?.unread, 2)
    const batch = h.store.batch()
    assert.equal(h.log.markRead(batch, CONV).unread, 0)
    await batch.write()
    await h.reopen()
    assert.equal(h.log.conversation(CONV)?.unread, 0, 'the read mark is stored')
    assert.throws(() => h.log.markRead(h.store.batch(), OTHER), (err: unknown) => err instanceof EnclaveError && err.code === 'not-found')
  } finally {
    await h.close()
  }
})

test('find, known and byKeys look messages up by author and seq or by storage key', async () => {
  const h = await harness()
  try {
    const keys = await h.add([{ author: ALICE, seq: 1, hlc: T0 + 1 }, { author: BOB, seq: 7, hlc: T0 + 2 }])
    const found = await h.log.find(CONV, BOB, 7)
    assert.ok(found !== undefined)
    assert.equal(found.key, keys[1])
    assert.equal(found.msg.text, 'bob#7')
    assert.equal(await h.log.find(CONV, BOB, 8), undefined)
    assert.deepEqual(await h.log.known(CONV, [{ author: BOB, seq: 7 }, { author: ALICE, seq: 7 }, { author: ALICE, seq: 1 }]), [true, false, true])
    const [a, b] = keys
    assert.ok(a !== undefined && b !== undefined)
    const byKeys = await h.log.byKeys([b, 'nothing here', a])
    assert.deepEqual(byKeys.map((m) => m?.seq), [7, undefined, 1], 'in the order asked, with gaps for unknown keys')
  } finally {
    await h.close()
  }
})

test('update changes a message in place: same key, same position', async () => {
  const h = await harness()
  try {
    const [first, mine, last] = await h.add([
      { author: BOB, seq: 1, hlc: T0 + 1 },
      { author: ALICE, seq: 1, hlc: T0 + 2, mine: true, state: 'pending', awaiting: [BOB] },
      { author: BOB, seq: 2, hlc: T0 + 3 }
    ])
    assert.ok(first !== undefined && mine !== undefined && last !== undefined)
    const msg = (await h.log.byKeys([mine]))[0]
    assert.ok(msg !== undefined)
    const batch = h.store.batch()
    h.log.update(batch, mine, { ...msg, state: 'delivered', awaiting: [] })
    await batch.write()
    const page = await h.log.history(CONV, {})
    assert.deepEqual(page.map((p) => p.key), [first, mine, last])
    assert.equal(page[1]?.msg.state, 'delivered')
  } finally {
    await h.close()
  }
})

test('ensure makes a conversation once; appending to an unknown one is refused', async () => {
  const h = await harness()
  try {
    const batch = h.store.batch()
    const made = h.log.ensure(CONV, batch, () => ({ kind: 'channel', name: 'general' }))
    assert.equal(made.name, 'general')
    assert.equal(made.nextSeq, 1, 'defaults fill what init leaves out')
    let asked = false
    const again = h.log.ensure(CONV, batch, () => { asked = true; return { name: 'other' } })
    assert.equal(again, made)
    assert.equal(asked, false)
    await batch.write()
    assert.throws(() => h.log.append(h.store.batch(), { conv: OTHER, author: ALICE, seq: 1, hlc: T0, text: 'x', state: 'received', mine: false }, { countUnread: true }),
      (err: unknown) => err instanceof EnclaveError && err.code === 'internal')
  } finally {
    await h.close()
  }
})

test('conversations and messages survive a reopen of the store', async () => {
  const h = await harness()
  try {
    const keys = await h.add([{ author: ALICE, seq: 1, hlc: T0 + 1 }, { author: BOB, seq: 1, hlc: T0 + 2 }])
    await h.add([{ author: BOB, seq: 1, hlc: T0 + 3 }], { conv: OTHER })
    const record = h.log.conversation(CONV)
    assert.ok(record !== undefined)
    record.nextSeq = 12
    record.seen = { [ALICE]: 11, [BOB]: 1 }
    record.waiting = 3
    const batch = h.store.batch()
    h.log.saveConversation(batch, record)
    await batch.write()
    await h.reopen()
    const back = h.log.conversation(CONV)
    assert.ok(back !== undefined)
    assert.equal(back.nextSeq, 12, 'this device never reuses a sequence number after a restart')
    assert.deepEqual(back.seen, { [ALICE]: 11, [BOB]: 1 })
    assert.equal(back.waiting, 3)
    assert.equal(back.unread, 2)
    assert.equal(back.lastKey, keys[1])
    assert.deepEqual(h.log.conversations().map((r) => r.id).sort(), [CONV, OTHER].sort())
    assert.deepEqual((await h.log.history(CONV, {})).map((p) => p.key), keys)
    assert.equal((await h.log.find(CONV, BOB, 1))?.key, keys[1])
  } finally {
    await h.close()
  }
})

test('a conversation written before later fields existed is read with their defaults', async () => {
  const h = await harness()
  try {
    const old: Partial<ConversationRecord> = { id: CONV, kind: 'dm', peerId: BOB, lastKey: null, unread: 4 }
    await h.store.collection<Partial<ConversationRecord>>('conversations').put(CONV, old)
    await h.reopen()
    const record = h.log.conversation(CONV)
    assert.ok(record !== undefined)
    assert.equal(record.unread, 4)
    assert.equal(record.nextSeq, 1)
    assert.deepEqual(record.seen, {})
    assert.deepEqual(record.heldKeys, [])
    assert.equal(record.status, 'active')
  } finally {
    await h.close()
  }
})

test('a message view carries its id, order and time in milliseconds', async () => {
  const h = await harness()
  try {
    const [key] = await h.add([{ author: BOB, seq: 3, hlc: T0 + 42 }])
    assert.ok(key !== undefined)
    const msg = (await h.log.byKeys([key]))[0]
    assert.ok(msg !== undefined)
    const view = toMessageView(msg, key)
    assert.equal(view.id, `${CONV}/${BOB}/3`)
    assert.equal(view.order, orderKey(T0 + 42, BOB, 3))
    assert.equal(view.sentAt, T0 / 1000)
    assert.equal(view.state, msg.state)
    assert.equal(view.delivery, null, 'others\' messages carry no delivery')
  } finally {
    await h.close()
  }
})

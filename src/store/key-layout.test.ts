import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { createKeyMapper, hourBounds, hourOfOrder } from './key-layout.js'
import { openStore, type Store } from './store.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

async function freshStore(): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-key-layout-'))
  dirs.push(dir)
  return openStore({ path: join(dir, 'db'), log: createMemoryLogger(), dataKey: new Uint8Array(32).fill(9) })
}

const PEER_A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const PEER_B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const CONV = `ch:${'1'.repeat(32)}`
const HOUR_TICKS = 3_600_000 * 1000
/** A message's order key as chat/hybrid-clock.ts makes it (the store may not import chat). */
const orderKey = (hlc: number, author: string, seq: number): string => `${hlc.toString().padStart(17, '0')}:${author}:${seq.toString().padStart(10, '0')}`

test('ids become digests that differ by collection, position and data key; counters stay readable', () => {
  const keys = createKeyMapper(new Uint8Array(32).fill(1))
  const other = createKeyMapper(new Uint8Array(32).fill(2))
  const inCiphertexts = keys.key('ciphertexts', `${CONV}!${PEER_A}!0000000000000007`)
  assert.match(inCiphertexts, /^[0-9a-f]{32}![0-9a-f]{32}!0000000000000007$/)
  assert.equal(keys.key('ciphertexts', `${CONV}!${PEER_A}!0000000000000007`), inCiphertexts)
  assert.notEqual(keys.key('messageIndex', `${CONV}!${PEER_A}!0000000000000007`).split('!')[0], inCiphertexts.split('!')[0])
  assert.notEqual(other.key('ciphertexts', `${CONV}!${PEER_A}!0000000000000007`), inCiphertexts)
  // The author's digest depends on the conversation: one person is not followed across them.
  assert.notEqual(keys.key('ciphertexts', `ch:${'2'.repeat(32)}!${PEER_A}!1`).split('!')[1], inCiphertexts.split('!')[1])
  assert.equal(keys.key('meta', 'schemaVersion'), 'schemaVersion')
})

test('a recipient\'s queue reads in order, both ways and with a limit, and recipients stay apart', async () => {
  const store = await freshStore()
  const queue = store.collection<number>('outbox')
  for (const n of [3, 1, 2]) {
    await queue.put(`${PEER_A}!${String(n).padStart(17, '0')}`, n)
    await queue.put(`${PEER_B}!${String(n).padStart(17, '0')}`, 10 + n)
  }
  const read = async (range: Parameters<typeof queue.entries>[0]): Promise<number[]> => {
    const out: number[] = []
    for await (const [, v] of queue.entries(range)) out.push(v)
    return out
  }
  assert.deepEqual(await read({ gt: `${PEER_A}!`, lt: `${PEER_A}!~` }), [1, 2, 3])
  assert.deepEqual(await read({ gt: `${PEER_B}!`, lt: `${PEER_B}!~`, reverse: true, limit: 2 }), [13, 12])
  assert.deepEqual(await read({ gt: `${PEER_A}!${'1'.padStart(17, '0')}`, lt: `${PEER_A}!~` }), [2, 3])
  await store.close()
})

test('messages read by hour: a range inside one hour is exact, one across hours is refused', async () => {
  const store = await freshStore()
  const messages = store.collection<number>('messages')
  const base = 1_765_000_000_000 * 1000
  const hlcs = [base, base + 1, base + 2 * HOUR_TICKS, base + 5]
  for (const hlc of hlcs) await messages.put(`${CONV}!${orderKey(hlc, PEER_A, 1)}`, hlc)
  const hour = hourOfOrder(orderKey(base, PEER_A, 1)) ?? 0
  const bounds = hourBounds(hour)
  const inHour: number[] = []
  for await (const [, v] of messages.entries({ gte: `${CONV}!${bounds.gte}`, lt: `${CONV}!${orderKey(base + 5, PEER_A, 1)}` })) inHour.push(v)
  assert.deepEqual(inHour.sort((a, b) => a - b), [base, base + 1])
  const whole: number[] = []
  for await (const [, v] of messages.entries({ gt: `${CONV}!`, lt: `${CONV}!~` })) whole.push(v)
  assert.deepEqual(whole.sort((a, b) => a - b), [...hlcs].sort((a, b) => a - b))
  await assert.rejects(async () => {
    for await (const _ of messages.entries({ gte: `${CONV}!${bounds.gte}`, lte: `${CONV}!${hourBounds(hour + 2).lte}` })) { /* refused before the first */ }
  }, /both bounds in that hour/)
  await store.close()
})

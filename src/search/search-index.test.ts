import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ClassicLevel } from 'classic-level'
import { createMemoryLogger } from '../logger.js'
import { openStore, type Store } from '../store/store.js'
import { waitFor } from '../wait-for.js'
import { facet, type DocRecord, type IndexedDoc } from './search-doc.js'
import { openSearchIndex, type FillSource, type IndexStatus, type SearchIndex } from './search-index.js'
import { matchesAll, queryTerms } from './terms.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

interface Harness { path: string; dataKey: Uint8Array; store: Store; index: SearchIndex; statuses: IndexStatus[] }

async function open(path?: string, dataKey: Uint8Array = randomBytes(32), opts: { flushDocs?: number; readGroups?: number; pendingChars?: number } = {}): Promise<Harness> {
  if (path === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'enclave-search-'))
    dirs.push(dir)
    path = join(dir, 'db')
  }
  const store = await openStore({ path, log: createMemoryLogger(), dataKey })
  const statuses: IndexStatus[] = []
  const index = await openSearchIndex({ store, log: createMemoryLogger(), onStatus: (s) => statuses.push(s), flushMs: 60_000, ...opts })
  return { path, dataKey, store, index, statuses }
}

let seq = 0
function doc(text: string, extra: Partial<IndexedDoc> = {}): IndexedDoc {
  seq++
  return { ref: `conv1!alice!${seq}`, conv: 'conv1', author: 'alice', at: 1_700_000_000_000 + seq * 1000, text, ...extra }
}

async function add(h: Harness, ...docs: IndexedDoc[]): Promise<void> {
  const batch = h.store.batch()
  for (const d of docs) h.index.add(batch, d)
  await batch.write()
}

/** The refs found for a text query (and optional facet groups), newest first. */
async function find(h: Harness, text: string, groups: string[][] = [], limit = 50): Promise<string[]> {
  const terms = queryTerms(text)
  const tokenGroups = terms.flatMap((t) => t.tokens.map((k) => [k]))
  const { hits } = await h.index.query({ groups: [...tokenGroups, ...groups], check: (d: DocRecord) => matchesAll(d.t, terms), limit })
  return hits.map((hit) => hit.record.r)
}

test('a message is found as soon as it is stored, before and after its postings are written, newest first', async () => {
  const h = await open()
  const a = doc('项目预算会议 moved to Thursday')
  const b = doc('预算已经批准')
  await add(h, a, b)
  assert.deepEqual(await find(h, '预算'), [b.ref, a.ref])
  await h.index.flush()
  assert.deepEqual(await find(h, '预算'), [b.ref, a.ref])
  assert.deepEqual(await find(h, 'thurs'), [a.ref])
  assert.deepEqual(await find(h, '批准 预算'), [b.ref])
  assert.deepEqual(await find(h, '预算会议'), [a.ref])
  await h.index.close()
  await h.store.close()
})

test('a flood of messages past what the queue holds in memory is found from disk until its postings are written', async () => {
  const h = await open(undefined, undefined, { pendingChars: 200 })
  const flood = Array.from({ length: 300 }, (_, i) => doc(`flood message ${i} 洪水消息`))
  for (let i = 0; i < flood.length; i += 50) await add(h, ...flood.slice(i, i + 50))
  const refs = flood.map((d) => d.ref).reverse()
  assert.deepEqual(await find(h, '洪水消息', [], 1_000), refs, 'every one found, newest first, before the postings')
  assert.deepEqual(await find(h, 'flood 299'), [flood[299]?.ref])
  await h.index.flush()
  assert.deepEqual(await find(h, '洪水消息', [], 1_000), refs, 'and after')
  await h.index.close()
  await h.store.close()
})

test('facets filter by conversation, sender, file and mention', async () => {
  const h = await open()
  const inOther = doc('release notes', { conv: 'conv2', ref: 'conv2!bob!1', author: 'bob' })
  const file = doc('release.pdf', { file: true })
  const mention = doc('release today?', { mentions: ['carol'] })
  const everyone = doc('release freeze', { all: true })
  await add(h, inOther, file, mention, everyone)
  await h.index.flush()
  assert.deepEqual(await find(h, 'release', [[facet.in('conv2')]]), [inOther.ref])
  assert.deepEqual(await find(h, 'release', [[facet.from('bob')]]), [inOther.ref])
  assert.deepEqual(await find(h, 'release', [[facet.file]]), [file.ref])
  assert.deepEqual(await find(h, 'release', [[facet.mentions('carol'), facet.everyone]]), [everyone.ref, mention.ref])
  assert.deepEqual(await find(h, '', [[facet.from('bob')]]), [inOther.ref], 'a filter alone lists what it names')
  await h.index.close()
  await h.store.close()
})

test('an edit is found by its new text only; a recall leaves nothing to find', async () => {
  const h = await open()
  const d = doc('the launch code is 4711 蓝色')
  await add(h, d)
  await h.index.flush()
  let batch = h.store.batch()
  await h.index.replace(batch, { ...d, text: 'the launch code is secret 红色' })
  await batch.write()
  assert.deepEqual(await find(h, '4711'), [])
  assert.deepEqual(await find(h, '蓝色'), [])
  assert.deepEqual(await find(h, '红色'), [d.ref])
  await h.index.flush()
  assert.deepEqual(await find(h, 'secret'), [d.ref])
  batch = h.store.batch()
  await h.index.remove(batch, d.ref)
  await batch.write()
  assert.deepEqual(await find(h, 'launch'), [])
  assert.deepEqual(await find(h, '红色'), [])
  await h.index.close()
  await h.store.close()
})

test('the files on disk hold no indexed word, prefix or bigram in the clear', async () => {
  const h = await open()
  await add(h, doc('zanzibarcanary 机密并购代号 quokkacanary'), doc('zanzibarcanary again'))
  await h.index.flush()
  assert.deepEqual(await find(h, 'zanzibar'), [`conv1!alice!${seq}`, `conv1!alice!${seq - 1}`])
  await h.index.close()
  await h.store.close()
  const files: Uint8Array[] = []
  for (const name of await readdir(h.path)) files.push(await readFile(join(h.path, name)))
  const bytes = Buffer.concat(files)
  for (const word of ['zanzibar', 'zanzib', 'quokka', 'canary', '机密', '并购', '代号']) {
    assert.equal(bytes.indexOf(Buffer.from(word)), -1, `${word} is on disk in the clear`)
    assert.equal(bytes.indexOf(Buffer.from(word, 'utf16le')), -1, `${word} is on disk in UTF-16`)
  }
})

test('after a crash before the postings were written, the stored messages are found and indexed', async () => {
  const first = await open()
  const d = doc('崩溃恢复测试 crashproof')
  await add(first, d)
  // No flush, no close of the index: the process died here.
  await first.store.close()
  const again = await open(first.path, first.dataKey)
  assert.deepEqual(await find(again, '恢复测试'), [d.ref])
  await again.index.flush()
  await again.index.close()
  await again.store.close()
  const third = await open(first.path, first.dataKey)
  assert.deepEqual(await find(third, 'crashproof'), [d.ref], 'found through its postings')
  await third.index.close()
  await third.store.close()
})

/** History in groups (a conversation's hour), as the chat log hands it over. */
function history(groups: number, perGroup: number, holdAfter = Infinity): FillSource & { reads: number; release: () => void } {
  let release = (): void => undefined
  const held = new Promise<void>((resolve) => { release = resolve })
  const src = {
    reads: 0,
    release: () => { release() },
    groups: () => Array.from({ length: groups }, (_, g) => ({ id: `c${g % 3}`, hour: 400_000 + g })),
    read: async (part: ReadonlyArray<{ id: string; hour: number }>) => {
      // Reads past `holdAfter` groups wait for `release`: the test decides when the run is stopped.
      const wait = src.reads >= holdAfter
      src.reads += part.length
      if (wait) await held
      return part.flatMap(({ id, hour }) => Array.from({ length: perGroup }, (_, i) => ({
        ref: `${id}!h${hour}!${i}`, conv: id, author: 'dave', at: hour * 3_600_000 + i, text: `history ${hour} 历史消息 n${i}`
      })))
    }
  }
  return src
}

test('history is indexed in the background, newest first, and an interrupted run resumes without repeats', async () => {
  const first = await open(undefined, undefined, { readGroups: 4 })
  // Interrupted once some of it is written: 16,384 documents a write, so the first is made with
  // the part that ends at group 36 (18,000 documents), before that part's progress is told; the
  // reads after it wait until the index is closing.
  const src = history(40, 500, 36)
  first.index.fill(src)
  await waitFor('part of history indexed', () => first.statuses.some((s) => s.state === 'indexing' && s.done >= 36), { timeoutMs: 30_000 })
  const closing = first.index.close()
  src.release()
  await closing
  await first.store.close()
  const again = await open(first.path, first.dataKey, { readGroups: 4 })
  assert.equal(again.index.status().state, 'indexing')
  const resumed = history(40, 500)
  again.index.fill(resumed)
  await waitFor('history indexed', () => again.index.status().state === 'ready', { timeoutMs: 30_000 })
  assert.ok(resumed.reads < 40, `resumed where it stopped (${resumed.reads} of 40 groups read again)`)
  const all = await find(again, '历史消息', [], 100_000)
  assert.equal(all.length, 40 * 500, 'every message once')
  assert.equal(new Set(all).size, all.length)
  assert.match(all[0] ?? '', /!h400039!/, 'the newest hour first')
  const live = doc('历史消息 but live')
  await add(again, live)
  assert.equal((await find(again, '历史消息', [], 1))[0], live.ref, 'a live message ranks above all history')
  await again.index.close()
  await again.store.close()
})

test('a message indexed live (before a restart, or while history is read) is not indexed again from history', async () => {
  const first = await open()
  // A late message of an old hour, stored (and indexed) live before history was indexed.
  const late = { ref: 'c2!h400005!3', conv: 'c2', author: 'dave', at: 400_005 * 3_600_000 + 3, text: 'history 400005 历史消息 n3' }
  await add(first, late)
  await first.index.flush()
  await first.index.close()
  await first.store.close()
  const again = await open(first.path, first.dataKey, { readGroups: 2 })
  const src = history(10, 10, 4)
  again.index.fill(src)
  // Another arrives while history is being read (the reads that would name it wait).
  await waitFor('the first reads', () => src.reads >= 4, { timeoutMs: 10_000 })
  await add(again, { ...late, ref: 'c0!h400000!7', conv: 'c0', at: 400_000 * 3_600_000 + 7, text: 'history 400000 历史消息 n7' })
  src.release()
  await waitFor('history indexed', () => again.index.status().state === 'ready', { timeoutMs: 30_000 })
  const all = await find(again, '历史消息', [], 1_000)
  assert.equal(all.length, 100, 'each message once')
  assert.equal(new Set(all).size, 100)
  await again.index.close()
  await again.store.close()
})

test('a damaged index is rebuilt from the messages, with its state shown, not served empty', async () => {
  const first = await open()
  first.index.fill(history(4, 50))
  await waitFor('history indexed', () => first.index.status().state === 'ready', { timeoutMs: 30_000 })
  await first.index.close()
  await first.store.close()
  // Flip a byte in every posting list on disk.
  const db = new ClassicLevel<string, Uint8Array>(first.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const sub = db.sublevel<string, Uint8Array>('searchPostings', { keyEncoding: 'utf8', valueEncoding: 'view' })
  for await (const [key, value] of sub.iterator()) {
    const broken = Uint8Array.from(value)
    broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 0xFF
    await sub.put(key, broken)
  }
  await db.close()
  const again = await open(first.path, first.dataKey)
  again.index.fill(history(4, 50))
  assert.deepEqual(await find(again, '历史消息'), [], 'nothing while it is rebuilt')
  assert.equal(again.index.status().state, 'rebuilding')
  await waitFor('index rebuilt', () => again.statuses.at(-1)?.state === 'ready', { timeoutMs: 30_000 })
  assert.equal((await find(again, '历史消息', [], 1000)).length, 200)
  await again.index.close()
  await again.store.close()
})

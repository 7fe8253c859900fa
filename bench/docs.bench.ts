/**
 * `npm run bench:docs`: whiteboards at scale.
 * - A 100k-shape board: load from disk (update log + snapshot in LevelDB) and heap, next to
 *   applying the same bytes to a Y.Doc in memory (Yjs's own floor), in one run.
 * - One small edit appended while that board's snapshot is stored (the case y-leveldb is slow at),
 *   and both measured with y-leveldb too.
 * - Two nodes in separate processes: sync of the whole board to a peer that was offline, and
 *   live update latency, next to a chat message between the same two nodes.
 * The Playwright frame-rate probe (panning a 10k-shape board) is `bench/board-fps.bench.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { LeveldbPersistence } from 'y-leveldb'
import { createDocStore } from '../src/docs/doc-store.js'
import { createLogger } from '../src/logger.js'
import { createSealedCodec } from '../src/store/sealed-codec.js'
import { loadDataKey } from '../src/store/store-key.js'
import { openStore } from '../src/store/store.js'
import { makeDataDir, removeDataDir, startNode } from '../test/helpers/node-process.js'
import { boardUpdate } from './board-fixture.js'
import { eventWaiter, printTable, summarize, writeResults, type Row } from './stats.js'
import type { MessageView } from '../src/api/contract.js'

const SHAPES = Number(process.env.BENCH_DOC_SHAPES ?? 100_000)
const SAMPLES = Number(process.env.BENCH_DOC_SAMPLES ?? 300)
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

const heap = (): number => { global.gc?.(); return process.memoryUsage().heapUsed }

async function storeRun(update: Uint8Array): Promise<{ loadMs: number; heapMb: number; baselineMs: number; appends: ReturnType<typeof summarize>; memAppends: ReturnType<typeof summarize> }> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-bench-docs-'))
  try {
    // The node's own store: LevelDB with every value sealed, as on a desktop.
    const key = await loadDataKey(dir, { kind: 'key-file', path: join(dir, 'bench.key') })
    const open = async () => openStore({ path: join(dir, 'store'), log: createLogger('bench', { level: 'warn' }), codec: createSealedCodec(key) })
    // Written by one store instance, gone (collectable) before the measurement starts.
    await (async () => {
      const writer = await open()
      const written = await createDocStore(writer)
      await written.create('doc:bench', null)
      await written.append('doc:bench', update, 'bench')
      await writer.close()
    })()

    const before = heap()
    const t0 = performance.now()
    const store = await open()
    const docs = await createDocStore(store)
    const doc = await docs.load('doc:bench')
    const loadMs = performance.now() - t0
    const heapMb = (heap() - before) / 1048576
    if (doc.getMap('shapes').size !== SHAPES) throw new Error('the board did not load whole')

    const b0 = performance.now()
    Y.applyUpdate(new Y.Doc(), update)
    const baselineMs = performance.now() - b0

    // Small edits with the big snapshot stored: each is one durable write, compaction included.
    const editor = new Y.Doc()
    Y.applyUpdate(editor, Y.encodeStateAsUpdate(doc))
    const appendMs: number[] = []
    const memMs: number[] = []
    const mirror = new Y.Doc()
    Y.applyUpdate(mirror, Y.encodeStateAsUpdate(doc))
    for (let i = 0; i < SAMPLES * 2; i++) {
      const sv = Y.encodeStateVector(editor)
      editor.getMap('shapes').set(`e${i}`, { type: 'rect', x: i, y: i, w: 10, h: 10, color: '#1f2328', width: 2, z: SHAPES + i, author: 'bench' })
      const small = Y.encodeStateAsUpdate(editor, sv)
      const a0 = performance.now()
      await docs.append('doc:bench', small, 'bench')
      appendMs.push(performance.now() - a0)
      const m0 = performance.now()
      Y.applyUpdate(mirror, small)
      memMs.push(performance.now() - m0)
    }
    await store.close()
    return { loadMs, heapMb, baselineMs, appends: summarize(appendMs), memAppends: summarize(memMs) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The same load and small appends with y-leveldb (plain LevelDB, nothing sealed), for comparison. */
async function yLeveldbRun(update: Uint8Array): Promise<{ loadMs: number; appends: ReturnType<typeof summarize> }> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-bench-yleveldb-'))
  try {
    const writer = new LeveldbPersistence(dir)
    await writer.storeUpdate('bench', update)
    await writer.destroy()
    const t0 = performance.now()
    const db = new LeveldbPersistence(dir)
    const doc = await db.getYDoc('bench')
    const loadMs = performance.now() - t0
    if (doc.getMap('shapes').size !== SHAPES) throw new Error('y-leveldb did not load the board whole')
    const appendMs: number[] = []
    for (let i = 0; i < SAMPLES * 2; i++) {
      const sv = Y.encodeStateVector(doc)
      doc.getMap('shapes').set(`e${i}`, { type: 'rect', x: i, y: i, w: 10, h: 10, color: '#1f2328', width: 2, z: SHAPES + i, author: 'bench' })
      const small = Y.encodeStateAsUpdate(doc, sv)
      const a0 = performance.now()
      await db.storeUpdate('bench', small)
      appendMs.push(performance.now() - a0)
    }
    await db.destroy()
    return { loadMs, appends: summarize(appendMs) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function networkRun(update: Uint8Array): Promise<{ syncMs: number; live: ReturnType<typeof summarize>; chat: ReturnType<typeof summarize> }> {
  const alice = await startNode(await makeDataDir('bench-docs-alice'))
  let bob = await startNode(await makeDataDir('bench-docs-bob'), { peers: [alice.address] })
  try {
    await alice.api.call('conversations.open', { peerId: bob.peerId })
    await alice.api.call('chat.send', { peerId: bob.peerId, text: 'hello' })
    const conversationId = (await alice.api.call('conversations.list', {}))[0]?.id ?? ''
    for (let i = 0; (await bob.api.call('conversations.list', {})).find((c) => c.id === conversationId)?.status !== 'active'; i++) {
      if (i > 600) throw new Error('the DM did not form')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const board = await alice.api.call('docs.create', { kind: 'board', title: 'Bench', conversationId })

    // Live edits: one small update each, alice → bob's `docs.updated`.
    const { wake, until } = eventWaiter()
    let seen = 0
    bob.api.on('docs.updated', (e) => { if (e.docId === board.id) { seen++; wake() } })
    const editor = new Y.Doc()
    const live: number[] = []
    for (let i = 0; i < SAMPLES + 20; i++) {
      const sv = Y.encodeStateVector(editor)
      editor.getMap('shapes').set(`live${i}`, { type: 'rect', x: i, y: 0, w: 10, h: 10, color: '#1f2328', width: 2, z: i, author: 'bench' })
      const target = seen + 1
      const t0 = performance.now()
      await alice.api.call('docs.update', { docId: board.id, update: b64(Y.encodeStateAsUpdate(editor, sv)) })
      await until(() => seen >= target)
      if (i >= 20) live.push(performance.now() - t0)
    }
    // Baseline: a chat message between the same two nodes (MLS, durable, acked).
    const arrived = new Set<string>()
    bob.api.on('chat.messageAdded', (m: MessageView) => { arrived.add(m.id); wake() })
    const chat: number[] = []
    for (let i = 0; i < SAMPLES + 20; i++) {
      const t0 = performance.now()
      const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: 'x'.repeat(100) })
      await until(() => arrived.has(sent.id))
      if (i >= 20) chat.push(performance.now() - t0)
    }

    // Sync: bob is away while the board grows to its full size, then comes back.
    await bob.stop()
    await alice.api.call('docs.update', { docId: board.id, update: b64(update) })
    // Timed from bob's node answering its API to bob holding the whole board (startup included).
    bob = await startNode(bob.dataDir, { peers: [alice.address] })
    const t0 = performance.now()
    // Bob's replica, as a shell keeps it: what bob had, plus every update bob announces.
    const mirror = new Y.Doc()
    const got = eventWaiter()
    bob.api.on('docs.updated', (e) => { if (e.docId === board.id) { Y.applyUpdate(mirror, new Uint8Array(Buffer.from(e.update, 'base64'))); got.wake() } })
    Y.applyUpdate(mirror, new Uint8Array(Buffer.from((await bob.api.call('docs.open', { docId: board.id })).state, 'base64')))
    await got.until(() => mirror.getMap('shapes').size >= SHAPES)
    const syncMs = performance.now() - t0
    return { syncMs, live: summarize(live), chat: summarize(chat) }
  } finally {
    await Promise.all([alice.stop(), bob.stop()])
    await Promise.all([alice, bob].map((n) => removeDataDir(n.dataDir)))
  }
}

const update = boardUpdate(SHAPES)
const s = await storeRun(update)
const y = await yLeveldbRun(update)
const n = await networkRun(update)
const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`
const rows: Row[] = [
  { metric: `load a ${SHAPES.toLocaleString('en-US')}-shape board from disk`, enclave: ms(s.loadMs), baseline: `${ms(s.baselineMs)} (apply in memory)`, target: '≤ 1,000 ms', met: s.loadMs <= 1000 ? 'yes' : 'no' },
  { metric: 'heap of the loaded board', enclave: `${s.heapMb.toFixed(0)} MB`, baseline: `${(update.byteLength / 1048576).toFixed(1)} MB update`, target: '≤ 150 MB', met: s.heapMb <= 150 ? 'yes' : 'no' },
  { metric: 'load the same board with y-leveldb (unsealed)', enclave: ms(s.loadMs), baseline: `${ms(y.loadMs)} (y-leveldb)`, target: '—', met: '—' },
  { metric: 'append one small edit (big snapshot stored) p50 / p99', enclave: `${ms(s.appends.p50)} / ${ms(s.appends.p99)}`, baseline: `${ms(s.memAppends.p50)} / ${ms(s.memAppends.p99)} (in memory)`, target: '—', met: '—' },
  { metric: 'the same appends with y-leveldb p50 / p99', enclave: `${ms(s.appends.p50)} / ${ms(s.appends.p99)}`, baseline: `${ms(y.appends.p50)} / ${ms(y.appends.p99)} (y-leveldb)`, target: '—', met: '—' },
  { metric: 'sync the whole board to a peer back online', enclave: ms(n.syncMs), baseline: `${ms(s.baselineMs)} (apply in memory)`, target: '—', met: '—' },
  { metric: 'live update between peers p50 / p99', enclave: `${ms(n.live.p50)} / ${ms(n.live.p99)}`, baseline: `${ms(n.chat.p50)} / ${ms(n.chat.p99)} (chat message)`, target: 'p99 ≤ 50 ms', met: n.live.p99 <= 50 ? 'yes' : 'no' }
]
printTable(`Docs benchmark: ${SHAPES.toLocaleString('en-US')} shapes (${(update.byteLength / 1048576).toFixed(1)} MB as one update), ${SAMPLES} samples`, rows)
await writeResults('docs', { shapes: SHAPES, updateBytes: update.byteLength, store: s, yLeveldb: y, network: n, rows })

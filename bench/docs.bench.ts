/**
 * `npm run bench:docs`: whiteboards at scale.
 * - A 100k-shape board: load from disk (update log + snapshot in LevelDB) and heap, next to
 *   applying the same bytes to a Y.Doc in memory (Yjs's own floor), in one run; and loaded in a
 *   fresh process after the page cache is dropped, next to a fresh process on a warm cache.
 * - One small edit appended while that board's snapshot is stored (the case y-leveldb is slow at),
 *   and both measured with y-leveldb too.
 * - Two nodes in separate processes: sync of the whole board to a peer that was offline, live
 *   update latency next to a chat message between the same two nodes, and opening the board in a
 *   restarted node on a cold page cache.
 * - A board built from 10,000 separate updates, as a day of drawing makes it: store size, load
 *   (this process, and fresh on a cold cache) and sync to a peer back online, each next to the
 *   same board stored and sent as one update.
 * The Playwright frame-rate probe (panning a 10k-shape board) is `bench/board-fps.bench.ts`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as Y from 'yjs'
import { LeveldbPersistence } from 'y-leveldb'
import { createDocStore } from '../src/docs/doc-store.js'
import { parseDocId } from '../src/ids.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { boardEdits, boardUpdate } from './board-fixture.js'
import { nodeDataKey, openNodeStore } from './node-store.js'
import { describeDrop, dropPageCache, type CacheDrop } from './page-cache.js'
import { eventWaiter, printTable, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { ConversationId, DocId, MessageView } from '../src/api/contract.js'

const SHAPES = Number(process.env.BENCH_DOC_SHAPES ?? 100_000)
const SAMPLES = Number(process.env.BENCH_DOC_SAMPLES ?? 300)
/** Gestures in the day-of-drawing board. */
const EDITS = Number(process.env.BENCH_DOC_EDITS ?? 10_000)
/** Fresh-process loads per board, each on a dropped page cache (and as many on a warm one). */
const COLD_LOADS = Number(process.env.BENCH_DOC_COLD_LOADS ?? 3)
/** Restarts of a node to open the big board, each on a dropped page cache (and as many on a warm one). */
const OPEN_RESTARTS = Number(process.env.BENCH_DOC_OPEN_RESTARTS ?? 2)
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
/** The one doc the store benchmarks write. */
const DOC = parseDocId(`doc:${'b'.repeat(32)}`)

const heap = (): number => { global.gc?.(); return process.memoryUsage().heapUsed }
let lastDrop: CacheDrop | undefined

/** Bytes of every file under `dir`. */
async function sizeOf(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size))
  return sizes.reduce((a, b) => a + b, 0)
}

/** Writes `updates` into a fresh data folder's doc store, one durable append each, as a node stores a doc's updates. */
async function storeBoard(updates: Uint8Array[]): Promise<{ dir: string; appends: Summary; totalMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-bench-docs-'))
  const store = await openNodeStore(dir, await nodeDataKey(dir))
  const docs = await createDocStore(store)
  await docs.create(DOC, null)
  const times: number[] = []
  const t0 = performance.now()
  for (const u of updates) {
    const a0 = performance.now()
    await docs.append(DOC, u, 'bench')
    times.push(performance.now() - a0)
  }
  const totalMs = performance.now() - t0
  // A compaction may be queued behind the last append; an append that changes nothing runs after
  // it in the doc's queue, so the store is idle when it returns.
  await docs.append(DOC, Y.encodeStateAsUpdate(new Y.Doc()), 'bench')
  await store.close()
  return { dir, appends: summarize(times), totalMs }
}

/** Loads the board in a fresh process (bench/doc-load.ts), after dropping the page cache if `cold`. */
async function freshLoad(dir: string, cold: boolean): Promise<{ loadMs: number; heapMb: number; shapes: number }> {
  if (cold) lastDrop = await dropPageCache([dir])
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', new URL('./doc-load.js', import.meta.url).pathname, dir, DOC], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout) as { loadMs: number; heapMb: number; shapes: number }
}

/** COLD_LOADS fresh-process loads on a dropped cache, alternating with as many on a warm one. */
async function freshLoads(dir: string, shapes: number): Promise<{ cold: Summary; warm: Summary; heapMb: number }> {
  const cold: number[] = []
  const warm: number[] = []
  let heapMb = 0
  for (let i = 0; i < COLD_LOADS; i++) {
    for (const [isCold, into] of [[true, cold], [false, warm]] as const) {
      const r = await freshLoad(dir, isCold)
      if (r.shapes !== shapes) throw new Error(`a fresh process loaded ${r.shapes} of ${shapes} shapes`)
      into.push(r.loadMs)
      heapMb = r.heapMb
    }
  }
  return { cold: summarize(cold), warm: summarize(warm), heapMb }
}

async function storeRun(update: Uint8Array): Promise<{ loadMs: number; heapMb: number; baselineMs: number; fresh: Awaited<ReturnType<typeof freshLoads>>; appends: Summary; memAppends: Summary }> {
  // The node's own store: LevelDB with every value sealed, as on a desktop. Written by one store
  // instance, closed before the measurement starts.
  const { dir } = await storeBoard([update])
  try {
    const key = await nodeDataKey(dir)
    const before = heap()
    const t0 = performance.now()
    let store = await openNodeStore(dir, key)
    let docs = await createDocStore(store)
    const doc = await docs.load(DOC)
    const loadMs = performance.now() - t0
    const heapMb = (heap() - before) / 1048576
    if (doc.getMap('shapes').size !== SHAPES) throw new Error('the board did not load whole')

    const b0 = performance.now()
    Y.applyUpdate(new Y.Doc(), update)
    const baselineMs = performance.now() - b0

    // LevelDB takes one process at a time: the fresh processes load while this one has it closed.
    await store.close()
    const fresh = await freshLoads(dir, SHAPES)
    store = await openNodeStore(dir, key)
    docs = await createDocStore(store)

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
      await docs.append(DOC, small, 'bench')
      appendMs.push(performance.now() - a0)
      const m0 = performance.now()
      Y.applyUpdate(mirror, small)
      memMs.push(performance.now() - m0)
    }
    await store.close()
    return { loadMs, heapMb, baselineMs, fresh, appends: summarize(appendMs), memAppends: summarize(memMs) }
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

interface Pair { alice: NodeProcess; bob: NodeProcess; conversationId: ConversationId }

/** Two fresh nodes in separate processes with a DM between them. */
async function dmPair(name: string): Promise<Pair> {
  const alice = await startNode(await makeDataDir(`${name}-alice`))
  const bob = await startNode(await makeDataDir(`${name}-bob`), { peers: [alice.address] })
  await alice.api.call('conversations.open', { peerId: bob.peerId })
  await alice.api.call('chat.send', { peerId: bob.peerId, text: 'hello' })
  const conversationId = (await alice.api.call('conversations.list', {}))[0]!.id
  for (let i = 0; (await bob.api.call('conversations.list', {})).find((c) => c.id === conversationId)?.status !== 'active'; i++) {
    if (i > 600) throw new Error('the DM did not form')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { alice, bob, conversationId }
}

async function closePair(pair: Pair): Promise<void> {
  await Promise.all([pair.alice.stop(), pair.bob.stop()])
  await Promise.all([pair.alice, pair.bob].map((n) => removeDataDir(n.dataDir)))
}

/** Makes a board in the pair's DM and waits until bob has it too. */
async function sharedBoard(pair: Pair, title: string): Promise<DocId> {
  const board = await pair.alice.api.call('docs.create', { kind: 'board', title, conversationId: pair.conversationId })
  for (let i = 0; !(await pair.bob.api.call('docs.list', { conversationId: pair.conversationId })).some((d) => d.id === board.id); i++) {
    if (i > 600) throw new Error('bob never saw the board')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return board.id
}

/**
 * Bob is away while alice changes the board (`draw`), then comes back. Timed from bob's node
 * answering its API to bob's replica, kept as a shell keeps it (what bob had, plus every update
 * bob announces), passing `done`.
 */
async function syncAfterAbsence(pair: Pair, docId: DocId, draw: () => Promise<void>, done: (replica: Y.Doc) => boolean): Promise<number> {
  await pair.bob.stop()
  await draw()
  pair.bob = await startNode(pair.bob.dataDir, { peers: [pair.alice.address] })
  const t0 = performance.now()
  const replica = new Y.Doc()
  const got = eventWaiter()
  pair.bob.api.on('docs.updated', (e) => { if (e.docId === docId) { Y.applyUpdate(replica, new Uint8Array(Buffer.from(e.update, 'base64'))); got.wake() } })
  Y.applyUpdate(replica, new Uint8Array(Buffer.from((await pair.bob.api.call('docs.open', { docId })).state, 'base64')))
  await got.until(() => done(replica))
  return performance.now() - t0
}

/**
 * Opening the board in a restarted node with no peer online (nothing else loads it meanwhile):
 * `docs.open` until the shell's copy holds every shape. OPEN_RESTARTS times on a dropped page
 * cache, alternating with as many on a warm one.
 */
async function openAfterRestart(pair: Pair, docId: DocId, shapes: number): Promise<{ cold: Summary; warm: Summary }> {
  await pair.alice.stop()
  const cold: number[] = []
  const warm: number[] = []
  for (let i = 0; i < OPEN_RESTARTS; i++) {
    for (const [isCold, into] of [[true, cold], [false, warm]] as const) {
      await pair.bob.stop()
      if (isCold) lastDrop = await dropPageCache([pair.bob.dataDir])
      pair.bob = await startNode(pair.bob.dataDir)
      const t0 = performance.now()
      const copy = new Y.Doc()
      Y.applyUpdate(copy, new Uint8Array(Buffer.from((await pair.bob.api.call('docs.open', { docId })).state, 'base64')))
      into.push(performance.now() - t0)
      if (copy.getMap('shapes').size < shapes) throw new Error('the restarted node opened part of the board')
    }
  }
  return { cold: summarize(cold), warm: summarize(warm) }
}

async function networkRun(update: Uint8Array): Promise<{ syncMs: number; live: Summary; chat: Summary; open: { cold: Summary; warm: Summary } }> {
  const pair = await dmPair('bench-docs')
  const { alice } = pair
  try {
    const boardId = await sharedBoard(pair, 'Bench')

    // Live edits: one small update each, alice → bob's `docs.updated`.
    const { wake, until } = eventWaiter()
    let seen = 0
    pair.bob.api.on('docs.updated', (e) => { if (e.docId === boardId) { seen++; wake() } })
    const editor = new Y.Doc()
    const live: number[] = []
    for (let i = 0; i < SAMPLES + 20; i++) {
      const sv = Y.encodeStateVector(editor)
      editor.getMap('shapes').set(`live${i}`, { type: 'rect', x: i, y: 0, w: 10, h: 10, color: '#1f2328', width: 2, z: i, author: 'bench' })
      const target = seen + 1
      const t0 = performance.now()
      await alice.api.call('docs.update', { docId: boardId, update: b64(Y.encodeStateAsUpdate(editor, sv)) })
      await until(() => seen >= target)
      if (i >= 20) live.push(performance.now() - t0)
    }
    // Baseline: a chat message between the same two nodes (MLS, durable, acked).
    const arrived = new Set<string>()
    pair.bob.api.on('chat.messageAdded', (m: MessageView) => { arrived.add(m.id); wake() })
    const chat: number[] = []
    for (let i = 0; i < SAMPLES + 20; i++) {
      const t0 = performance.now()
      const sent = await alice.api.call('chat.send', { peerId: pair.bob.peerId, text: 'x'.repeat(100) })
      await until(() => arrived.has(sent.id))
      if (i >= 20) chat.push(performance.now() - t0)
    }

    // Sync: bob is away while the board grows to its full size, then comes back.
    const syncMs = await syncAfterAbsence(pair, boardId, async () => { await alice.api.call('docs.update', { docId: boardId, update: b64(update) }) }, (replica) => replica.getMap('shapes').size >= SHAPES)
    const open = await openAfterRestart(pair, boardId, SHAPES)
    return { syncMs, live: summarize(live), chat: summarize(chat), open }
  } finally {
    await closePair(pair)
  }
}

/** Does `replica` hold everything `editor` made? */
function holdsAllOf(replica: Y.Doc, editor: Y.Doc): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVector(replica))
  return [...Y.decodeStateVector(Y.encodeStateVector(editor))].every(([client, clock]) => (have.get(client) ?? 0) >= clock)
}

/**
 * The day-of-drawing board: stored as it is drawn (one append per gesture) and as one update
 * of the same final state, then for each: size on disk, load in this process and in fresh ones
 * on a cold cache, and sync to a peer who was away while it was drawn (a fresh pair each; alice
 * sends each gesture with `docs.update`, as a shell does).
 */
async function drawingRun(): Promise<Record<'edits' | 'oneUpdate', { bytes: number; appends: Summary; writeMs: number; loadMs: number; fresh: Awaited<ReturnType<typeof freshLoads>>; syncMs: number }> & { shapes: number; updateBytes: number }> {
  const { updates, editor, shapes } = boardEdits(EDITS)
  const whole = Y.encodeStateAsUpdate(editor)
  const run = async (parts: Uint8Array[]): Promise<{ bytes: number; appends: Summary; writeMs: number; loadMs: number; fresh: Awaited<ReturnType<typeof freshLoads>>; syncMs: number }> => {
    const { dir, appends, totalMs } = await storeBoard(parts)
    try {
      const bytes = await sizeOf(join(dir, 'store'))
      const key = await nodeDataKey(dir)
      const t0 = performance.now()
      const store = await openNodeStore(dir, key)
      const loaded = await (await createDocStore(store)).load(DOC)
      const loadMs = performance.now() - t0
      await store.close()
      if (loaded.getMap('shapes').size !== shapes) throw new Error('the drawn board did not load whole')
      const fresh = await freshLoads(dir, shapes)
      const pair = await dmPair('bench-draw')
      try {
        const boardId = await sharedBoard(pair, 'Drawing')
        const draw = async (): Promise<void> => {
          // A few gestures in flight, as a shell sends them while the user keeps drawing.
          let next = 0
          await Promise.all(Array.from({ length: 16 }, async () => {
            while (next < parts.length) {
              const u = parts[next++]
              if (u !== undefined) await pair.alice.api.call('docs.update', { docId: boardId, update: b64(u) })
            }
          }))
        }
        const syncMs = await syncAfterAbsence(pair, boardId, draw, (replica) => holdsAllOf(replica, editor))
        return { bytes, appends, writeMs: totalMs, loadMs, fresh, syncMs }
      } finally {
        await closePair(pair)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  const oneUpdate = await run([whole])
  const edits = await run(updates)
  return { edits, oneUpdate, shapes, updateBytes: whole.byteLength }
}

const update = boardUpdate(SHAPES)
const s = await storeRun(update)
const y = await yLeveldbRun(update)
const n = await networkRun(update)
const d = await drawingRun()
const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`
const both = (x: Summary): string => `${ms(x.p50)} / ${ms(x.max)}`
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
const rows: Row[] = [
  { metric: `load a ${SHAPES.toLocaleString('en-US')}-shape board from disk (this process)`, enclave: ms(s.loadMs), baseline: `${ms(s.baselineMs)} (apply in memory)`, target: '≤ 1,000 ms', met: s.loadMs <= 1000 ? 'yes' : 'no' },
  { metric: `  … fresh process, page cache dropped (p50 / max, ${s.fresh.cold.n}×)`, enclave: both(s.fresh.cold), baseline: `${both(s.fresh.warm)} (fresh process, warm cache)`, target: '≤ 1,000 ms', met: s.fresh.cold.p50 <= 1000 ? 'yes' : 'no' },
  { metric: `  … open in a restarted node, cold (docs.open, p50 / max, ${n.open.cold.n}×)`, enclave: both(n.open.cold), baseline: `${both(n.open.warm)} (restarted, warm cache)`, target: '—', met: '—' },
  { metric: 'heap of the loaded board', enclave: `${s.heapMb.toFixed(0)} MB`, baseline: `${mb(update.byteLength)} update`, target: '≤ 150 MB', met: s.heapMb <= 150 ? 'yes' : 'no' },
  { metric: 'load the same board with y-leveldb (unsealed)', enclave: ms(s.loadMs), baseline: `${ms(y.loadMs)} (y-leveldb)`, target: '—', met: '—' },
  { metric: 'append one small edit (big snapshot stored) p50 / p99', enclave: `${ms(s.appends.p50)} / ${ms(s.appends.p99)}`, baseline: `${ms(s.memAppends.p50)} / ${ms(s.memAppends.p99)} (in memory)`, target: '—', met: '—' },
  { metric: 'the same appends with y-leveldb p50 / p99', enclave: `${ms(s.appends.p50)} / ${ms(s.appends.p99)}`, baseline: `${ms(y.appends.p50)} / ${ms(y.appends.p99)} (y-leveldb)`, target: '—', met: '—' },
  { metric: 'sync the whole board to a peer back online', enclave: ms(n.syncMs), baseline: `${ms(s.baselineMs)} (apply in memory)`, target: '—', met: '—' },
  { metric: 'live update between peers p50 / p99', enclave: `${ms(n.live.p50)} / ${ms(n.live.p99)}`, baseline: `${ms(n.chat.p50)} / ${ms(n.chat.p99)} (chat message)`, target: 'p99 ≤ 50 ms', met: n.live.p99 <= 50 ? 'yes' : 'no' },
  { metric: `board of ${EDITS.toLocaleString('en-US')} updates (${d.shapes.toLocaleString('en-US')} shapes): store size`, enclave: mb(d.edits.bytes), baseline: `${mb(d.oneUpdate.bytes)} (same board, one update)`, target: '—', met: '—' },
  { metric: '  … store each update, p50 / max (total)', enclave: `${both(d.edits.appends)} (${ms(d.edits.writeMs)})`, baseline: `${ms(d.oneUpdate.writeMs)} (one update)`, target: '—', met: '—' },
  { metric: '  … load from disk (this process)', enclave: ms(d.edits.loadMs), baseline: `${ms(d.oneUpdate.loadMs)} (one update)`, target: '—', met: '—' },
  { metric: `  … fresh process, page cache dropped (p50 / max, ${d.edits.fresh.cold.n}×)`, enclave: both(d.edits.fresh.cold), baseline: `${both(d.oneUpdate.fresh.cold)} (one update)`, target: '—', met: '—' },
  { metric: '  … sync to a peer back online (drawn while away)', enclave: ms(d.edits.syncMs), baseline: `${ms(d.oneUpdate.syncMs)} (one update)`, target: '—', met: '—' }
]
printTable(`Docs benchmark: ${SHAPES.toLocaleString('en-US')} shapes (${mb(update.byteLength)} as one update), ${SAMPLES} samples; day of drawing ${mb(d.updateBytes)} as one update; ${lastDrop === undefined ? 'page cache not dropped' : describeDrop(lastDrop)}`, rows)
await writeResults('docs', { shapes: SHAPES, updateBytes: update.byteLength, store: s, yLeveldb: y, network: n, drawing: d, pageCache: lastDrop, rows })

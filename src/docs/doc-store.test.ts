import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import * as Y from 'yjs'
import { createMemoryLogger } from '../logger.js'
import { openStore, type Store } from '../store/store.js'
import { createDocStore } from './doc-store.js'
import { parseDocId } from '../ids.js'

const DOC_A = parseDocId(`doc:${'a'.repeat(32)}`)
const DOC_B = parseDocId(`doc:${'b'.repeat(32)}`)
const DOC_C = parseDocId(`doc:${'c'.repeat(32)}`)

async function withStore(run: (open: () => Promise<Store>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-doc-store-'))
  try {
    await run(() => openStore({ path: dir, log: createMemoryLogger(), dataKey: new Uint8Array(32).fill(3) }))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Updates that build a map of `n` keys, one update each, as an editor would send them. */
function edits(n: number, prefix = 'k'): Uint8Array[] {
  const doc = new Y.Doc()
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const sv = Y.encodeStateVector(doc)
    doc.getMap('m').set(`${prefix}${i}`, i)
    out.push(Y.encodeStateAsUpdate(doc, sv))
  }
  return out
}

test('edits survive a restart across compaction; a repeated update is not logged twice', async () => {
  await withStore(async (open) => {
    let store = await open()
    let docs = await createDocStore(store)
    await docs.create(DOC_A, null)
    const all = edits(1200)
    for (const u of all) assert.equal(await docs.append(DOC_A, u, 'test'), true)
    assert.equal(await docs.append(DOC_A, all[5] as Uint8Array, 'test'), false, 'already integrated')
    const record = docs.get(DOC_A)
    assert.ok(record !== undefined && record.snapshotSeq >= 1000, `compacted: ${JSON.stringify(record)}`)
    await store.close()

    store = await open()
    docs = await createDocStore(store)
    const doc = await docs.load(DOC_A)
    assert.equal(doc.getMap('m').size, 1200)
    await store.close()
  })
})

test('an update that arrives before the one it builds on is kept, and both apply after a restart', async () => {
  await withStore(async (open) => {
    let store = await open()
    let docs = await createDocStore(store)
    await docs.create(DOC_B, null)
    const [first, second] = edits(2)
    assert.equal(await docs.append(DOC_B, second as Uint8Array, 'test'), true, 'logged though it cannot apply yet')
    assert.equal((await docs.load(DOC_B)).getMap('m').size, 0)
    await store.close()

    store = await open()
    docs = await createDocStore(store)
    assert.equal(await docs.append(DOC_B, first as Uint8Array, 'test'), true)
    assert.deepEqual((await docs.load(DOC_B)).getMap('m').toJSON(), { k0: 0, k1: 1 })
    await store.close()
  })
})

test('a deletion is logged though it adds nothing', async () => {
  await withStore(async (open) => {
    const store = await open()
    const docs = await createDocStore(store)
    await docs.create(DOC_C, null)
    const editor = new Y.Doc()
    editor.getMap('m').set('x', 1)
    await docs.append(DOC_C, Y.encodeStateAsUpdate(editor), 'test')
    const sv = Y.encodeStateVector(editor)
    const before = docs.get(DOC_C)?.seq
    editor.getMap('m').delete('x')
    assert.equal(await docs.append(DOC_C, Y.encodeStateAsUpdate(editor, sv), 'test'), true)
    assert.equal(docs.get(DOC_C)?.seq, (before ?? 0) + 1)
    assert.equal((await docs.load(DOC_C)).getMap('m').has('x'), false)
    await store.close()
  })
})

test('docs beyond the few kept in memory are reloaded from disk with every edit, and listed without loading', async () => {
  await withStore(async (open) => {
    const store = await open()
    const docs = await createDocStore(store)
    const ids = Array.from({ length: 12 }, (_, i) => parseDocId(`doc:${i.toString(16).padStart(32, '0')}`))
    for (const [i, id] of ids.entries()) {
      await docs.create(id, null)
      const doc = new Y.Doc()
      doc.getMap('meta').set('title', `board ${i}`)
      doc.getMap('m').set('n', i)
      await docs.append(id, Y.encodeStateAsUpdate(doc), 'test')
    }
    for (const [i, id] of ids.entries()) {
      assert.equal(docs.get(id)?.meta?.title, `board ${i}`, 'the record carries the title')
      assert.equal((await docs.load(id)).getMap('m').get('n'), i)
    }
    // An edit to a doc that was evicted lands on a fresh load and survives the next one.
    const sv = Y.encodeStateVector(await docs.load(ids[0] as string))
    const editor = new Y.Doc()
    Y.applyUpdate(editor, Y.encodeStateAsUpdate(await docs.load(ids[0] as string)))
    editor.getMap('m').set('extra', true)
    for (const id of ids.slice(1)) await docs.load(id)
    assert.equal(await docs.append(ids[0] as string, Y.encodeStateAsUpdate(editor, sv), 'test'), true)
    for (const id of ids.slice(1)) await docs.load(id)
    assert.equal((await docs.load(ids[0] as string)).getMap('m').get('extra'), true)
    await store.close()
  })
})

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import * as Y from 'yjs'
import { parseConversationId, parseDocId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { openSearchIndex, type SearchIndex } from '../search/search-index.js'
import { openStore, type Store } from '../store/store.js'
import { waitFor } from '../wait-for.js'
import { createDocSearch, textParts, type DocSearch } from './doc-search.js'
import { createDocStore, type DocStore } from './doc-store.js'
import { docText, MAX_DOC_TEXT, NOTE_FRAGMENT } from './doc-text.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

const CONV = parseConversationId(`ch:${'1'.repeat(32)}`)
const NOTE = parseDocId(`doc:${'a'.repeat(32)}`)
const BOARD = parseDocId(`doc:${'b'.repeat(32)}`)

/** A note as the editor writes it: blocks of text with marks, a list, a heading. */
function note(title: string, blocks: Array<[string, string]>): Y.Doc {
  const doc = new Y.Doc()
  doc.getMap('meta').set('kind', 'note')
  doc.getMap('meta').set('title', title)
  const fragment = doc.getXmlFragment(NOTE_FRAGMENT)
  for (const [name, words] of blocks) {
    const block = new Y.XmlElement(name)
    const text = new Y.XmlText()
    block.insert(0, [text])
    fragment.push([block])
    text.insert(0, words)
    text.format(0, Math.min(4, words.length), { bold: true })
  }
  return doc
}

function board(title: string, shapes: Record<string, unknown>): Y.Doc {
  const doc = new Y.Doc()
  doc.getMap('meta').set('kind', 'board')
  doc.getMap('meta').set('title', title)
  for (const [id, shape] of Object.entries(shapes)) doc.getMap('shapes').set(id, shape)
  return doc
}

test('a note gives its blocks as lines, marks dropped; a board its text boxes and stickies, nothing else', () => {
  const n = note('Plan', [['heading', 'Goals'], ['paragraph', 'Ship the 预算审批 flow'], ['paragraph', '']])
  assert.equal(docText(n, 'note'), 'Goals\nShip the 预算审批 flow')
  const b = board('Wall', {
    a: { type: 'sticky', text: '发布会 deck' },
    b: { type: 'rect', x: 0 },
    c: { type: 'text', text: 'Launch' },
    d: { type: 'text', text: 42 },
    e: 'not a shape'
  })
  assert.deepEqual(docText(b, 'board').split('\n').sort(), ['Launch', '发布会 deck'])
  const huge = board('Big', { a: { type: 'text', text: 'x'.repeat(MAX_DOC_TEXT) }, b: { type: 'text', text: 'tail' } })
  assert.equal(docText(huge, 'board').length, MAX_DOC_TEXT)
})

test('a doc is cut into parts at line ends; a line longer than a part is cut with overlap, so no phrase is lost at the cut', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i} ${'word '.repeat(20)}`)
  const parts = textParts('Title', lines.join('\n'))
  assert.ok(parts.length > 1)
  assert.ok(parts.every((p) => p.length <= 1_500))
  assert.ok(parts[0]?.startsWith('Title\n'))
  assert.deepEqual(parts.join('\n').split('\n'), ['Title', ...lines])

  const long = `${'a'.repeat(1_480)} needle phrase ${'b'.repeat(3_000)}`
  const cut = textParts('T', long)
  assert.ok(cut.every((p) => p.length <= 1_500))
  assert.ok(cut.some((p) => p.includes('needle phrase')), 'a phrase across a cut is whole in one part')
})

interface Harness { store: Store; docs: DocStore; index: SearchIndex; search: DocSearch }

async function open(visible: (id: string) => boolean = () => true): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-doc-search-'))
  dirs.push(dir)
  const store = await openStore({ path: join(dir, 'db'), log: createMemoryLogger(), dataKey: new Uint8Array(32).fill(7) })
  const index = await openSearchIndex({ store, log: createMemoryLogger(), flushMs: 60_000 })
  const docs = await createDocStore(store)
  const search = createDocSearch({ index, store, docs, log: createMemoryLogger(), visible: (r) => visible(r.id) })
  return { store, docs, index, search }
}

async function write(h: Harness, id: typeof NOTE, doc: Y.Doc): Promise<void> {
  if (h.docs.get(id) === undefined) await h.docs.create(id, CONV)
  await h.docs.append(id, Y.encodeStateAsUpdate(doc), 'local')
  h.search.changed(id)
}

const found = async (h: Harness, query: string): Promise<string[]> => (await h.search.find({ query, limit: 8 })).map((d) => d.id)

test('docs are found by any words of their text, Chinese by any two characters; an edit re-indexes only the part it changed', async () => {
  const h = await open()
  const paragraphs: Array<[string, string]> = Array.from({ length: 30 }, (_, i) => ['paragraph', `section ${i} ${'filler '.repeat(30)}`])
  paragraphs[25] = ['paragraph', 'Quarterly budget: 预算审批流程 due Tuesday']
  const n = note('Handbook', paragraphs)
  await write(h, NOTE, n)
  await write(h, BOARD, board('Wall', { s: { type: 'sticky', text: 'Ship the 发布会 deck' } }))
  await h.search.stop()

  assert.deepEqual(await found(h, '审批'), [NOTE])
  assert.deepEqual(await found(h, 'QUART budg'), [NOTE])
  assert.deepEqual(await found(h, '发布'), [BOARD])
  assert.deepEqual(await found(h, 'handbook'), [NOTE], 'the title counts as text')
  assert.deepEqual(await found(h, 'budget 发布'), [], 'every word must be in one doc')
  // The title is in the first part, the paragraph in a later one: no one part has both words.
  assert.ok(!textParts('Handbook', paragraphs.map(([, t]) => t).join('\n')).some((p) => p.includes('Handbook') && p.includes('审批')))
  const [spread] = await h.search.find({ query: 'handbook 审批', limit: 8 })
  assert.equal(spread?.id, NOTE)
  assert.ok(spread.snippet.includes('预算审批流程'))
  assert.deepEqual(await found(h, 'handbook 发布'), [])
  const [hit] = await h.search.find({ query: '审批', limit: 8 })
  assert.ok(hit !== undefined && hit.snippet.includes('预算审批流程'))
  assert.deepEqual(hit.highlights.map(([s, e]) => hit.snippet.slice(s, e)), ['审批'])

  const hashes = await h.store.collection<string[]>('docSearch').get(NOTE) ?? []
  assert.ok(hashes.length > 3)
  // One paragraph rewritten: its old words go, its new ones are found, and only its part changed.
  const before = Y.encodeStateVector(n)
  const text = (n.getXmlFragment(NOTE_FRAGMENT).get(25) as Y.XmlElement).get(0) as Y.XmlText
  text.delete(0, text.length)
  text.insert(0, 'Forecast 年终总结')
  await h.docs.append(NOTE, Y.encodeStateAsUpdate(n, before), 'local')
  h.search.changed(NOTE)
  await h.search.stop()
  assert.deepEqual(await found(h, '年终'), [NOTE])
  assert.deepEqual(await found(h, '审批'), [])
  assert.deepEqual(await found(h, 'budget'), [])
  const after = await h.store.collection<string[]>('docSearch').get(NOTE) ?? []
  assert.equal(after.filter((x, i) => x !== hashes[i]).length, 1)
  await h.index.close()
})

test('an index built afresh (an upgrade, a damaged index) takes every doc\'s text from the docs themselves', async () => {
  const h = await open()
  await write(h, NOTE, note('Notes', [['paragraph', 'retrospective 复盘会议']]))
  await h.search.stop()
  await h.index.close()
  // The index is gone; the docs are not: filling from the docs' source finds them again.
  for (const name of ['searchDocs', 'searchPostings', 'searchRefs', 'searchState'] as const) await h.store.collection(name).clear()
  const index = await openSearchIndex({ store: h.store, log: createMemoryLogger(), flushMs: 60_000 })
  const search = createDocSearch({ index, store: h.store, docs: h.docs, log: createMemoryLogger(), visible: () => true })
  assert.deepEqual((await search.find({ query: '复盘', limit: 8 })).map((d) => d.id), [])
  index.fill(search.source)
  await waitFor('the index to be filled', () => index.status().state === 'ready')
  assert.deepEqual((await search.find({ query: '复盘', limit: 8 })).map((d) => d.id), [NOTE])
  assert.deepEqual((await search.find({ query: 'retro', limit: 8 })).map((d) => d.id), [NOTE])
  await index.close()
})

test('a doc this device may not show (a guest\'s workspace channel) is found by nothing, though its text is indexed', async () => {
  const h = await open((id) => id !== BOARD)
  await write(h, NOTE, note('Open', [['paragraph', 'shared 路线图 plan']]))
  await write(h, BOARD, board('Members only', { s: { type: 'sticky', text: 'secret 路线图 plan' } }))
  await h.search.stop()
  assert.deepEqual(await found(h, '路线图 plan'), [NOTE])
  assert.deepEqual(await found(h, 'secret'), [])
  await h.index.close()
})

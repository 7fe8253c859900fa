import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import * as Y from 'yjs'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { ConversationId, DocId, DocView } from '../../src/api/contract.js'

// Four devices in separate processes share a board and a note in one channel.
let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let dave: NodeProcess
let box: NodeProcess
let channelId: ConversationId
const LONG = { timeoutMs: 60_000, intervalMs: 100 }

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

async function replica(node: NodeProcess, docId: DocId): Promise<Y.Doc> {
  const { state } = await node.api.call('docs.open', { docId })
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(Buffer.from(state, 'base64')))
  return doc
}

/** Edits a doc the way a shell does: on its own replica, sending the resulting update. */
async function edit(node: NodeProcess, docId: DocId, change: (doc: Y.Doc) => void): Promise<void> {
  const doc = await replica(node, docId)
  const before = Y.encodeStateVector(doc)
  change(doc)
  await node.api.call('docs.update', { docId, update: b64(Y.encodeStateAsUpdate(doc, before)) })
}

async function contents(node: NodeProcess, docId: DocId): Promise<{ shapes: Record<string, unknown>; text: string }> {
  const doc = await replica(node, docId)
  return { shapes: doc.getMap('shapes').toJSON(), text: doc.getText('text').toJSON() }
}

async function docsIn(node: NodeProcess): Promise<DocView[]> {
  return node.api.call('docs.list', { conversationId: channelId })
}

async function restart(node: NodeProcess): Promise<NodeProcess> {
  return startNode(node.dataDir)
}

before(async () => {
  const start = async (name: string, args: string[] = []): Promise<NodeProcess> => startNode(await makeDataDir(`docs-${name}`), { args })
  ;[owner, bob, carol, dave, box] = await startAll([start('owner'), start('bob'), start('carol'), start('dave'), start('box', ['--mailbox'])])
  const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
  for (const node of [bob, carol, dave, box]) await node.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await meshConnect([owner, bob, carol, dave, box])
  channelId = (await owner.api.call('channels.create', { workspaceId: ws.id, name: 'design', members: [bob.peerId, carol.peerId, dave.peerId] })).id
  for (const node of [bob, carol, dave]) {
    await waitFor('every member to be in the channel', async () => (await node.api.call('conversations.list', {})).find((c) => c.id === channelId)?.status === 'active', LONG)
  }
})

after(async () => {
  const nodes = [owner, bob, carol, dave, box]
  await Promise.all(nodes.map((n) => n.stop()))
  await Promise.all(nodes.map((n) => removeDataDir(n.dataDir)))
})

test('a board made in a channel reaches every member; edits made offline on three devices converge to one state', async () => {
  const board = await owner.api.call('docs.create', { kind: 'board', title: 'Launch plan', conversationId: channelId })
  assert.match(board.id, /^doc:[0-9a-f]{32}$/)
  for (const node of [bob, carol]) await waitFor('the board to reach a member', async () => (await docsIn(node)).some((d) => d.id === board.id && d.title === 'Launch plan' && d.kind === 'board'), LONG)

  // Each device edits while the other two are down: nobody sees anybody's edit until the end.
  await Promise.all([bob.stop(), carol.stop()])
  await edit(owner, board.id, (d) => { d.getMap('shapes').set('s-owner', { type: 'rect', x: 1, y: 2, w: 30, h: 40 }); d.getText('text').insert(0, 'owner ') })
  await owner.stop()
  bob = await restart(bob)
  await edit(bob, board.id, (d) => { d.getMap('shapes').set('s-bob', { type: 'ellipse', x: 5, y: 5, w: 10, h: 10 }); d.getText('text').insert(0, 'bob ') })
  await bob.stop()
  carol = await restart(carol)
  await edit(carol, board.id, (d) => { d.getMap('shapes').delete('s-nothing'); d.getMap('shapes').set('s-carol', { type: 'line', x: 0, y: 0, w: 9, h: 9 }); d.getText('text').insert(0, 'carol ') })

  ;[owner, bob] = await startAll([restart(owner), restart(bob)])
  await waitFor('the three devices to converge', async () => {
    const [a, b, c] = await Promise.all([owner, bob, carol].map((n) => contents(n, board.id)))
    return a !== undefined && Object.keys(a.shapes).length === 3 && JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(b) === JSON.stringify(c)
  }, LONG)
  const final = await contents(owner, board.id)
  assert.deepEqual(Object.keys(final.shapes).sort(), ['s-bob', 's-carol', 's-owner'])
  for (const word of ['owner', 'bob', 'carol']) assert.ok(final.text.includes(word), `the text keeps ${word}'s words: ${final.text}`)
  const seen = (await docsIn(owner)).find((d) => d.id === board.id)
  assert.equal(seen?.sync.error, null)
})

test('a renamed doc is renamed everywhere; a member removed from the channel gets no further updates and cannot write', async () => {
  const note = await owner.api.call('docs.create', { kind: 'note', title: 'Minutes', conversationId: channelId })
  for (const node of [bob, dave]) await waitFor('the note to reach a member', async () => (await docsIn(node)).some((d) => d.id === note.id), LONG)
  await owner.api.call('docs.rename', { docId: note.id, title: 'Minutes, 26 Nov' })
  await waitFor('the rename to reach bob', async () => (await docsIn(bob)).find((d) => d.id === note.id)?.title === 'Minutes, 26 Nov', LONG)

  await owner.api.call('channels.remove', { conversationId: channelId, peerId: dave.peerId })
  await waitFor('dave to learn he was removed', async () => (await dave.api.call('conversations.list', {})).find((c) => c.id === channelId)?.status === 'removed', LONG)
  await edit(owner, note.id, (d) => { d.getText('text').insert(0, 'after dave left') })
  await waitFor('bob to get the edit', async () => (await contents(bob, note.id)).text.includes('after dave left'), LONG)
  assert.ok(!(await contents(dave, note.id)).text.includes('after dave left'), 'the removed member received an edit made after his removal')
  await assert.rejects(edit(dave, note.id, (d) => { d.getText('text').insert(0, 'sneaky') }), { code: 'not-member' })
})

test('notes and boards are found by their text on every member, Chinese by any two characters; an edit is found by its new words, not the old', async () => {
  const note = await owner.api.call('docs.create', { kind: 'note', title: 'Offsite', conversationId: channelId })
  await edit(owner, note.id, (d) => {
    // As the note editor writes it: a paragraph element holding the text.
    const block = new Y.XmlElement('paragraph')
    block.insert(0, [new Y.XmlText('Agenda: 预算审批流程 and the roadmap')])
    d.getXmlFragment('note').push([block])
  })
  const board = await owner.api.call('docs.create', { kind: 'board', title: 'Wall', conversationId: channelId })
  await edit(owner, board.id, (d) => { d.getMap('shapes').set('s-sticky', { type: 'sticky', x: 0, y: 0, w: 80, h: 60, text: 'Ship the 发布会 deck' }) })
  const docHits = async (node: NodeProcess, query: string) => (await node.api.call('search.query', { query, kinds: ['docs'] })).docs
  for (const node of [owner, bob]) {
    await waitFor('the note to be found by a Chinese substring of its text', async () => (await docHits(node, '审批')).some((h) => h.doc.id === note.id && h.snippet.includes('预算审批流程')), LONG)
    await waitFor('the board to be found by its sticky', async () => (await docHits(node, '发布 SHIP')).some((h) => h.doc.id === board.id), LONG)
  }
  await edit(owner, note.id, (d) => {
    const text = (d.getXmlFragment('note').get(0) as Y.XmlElement).get(0) as Y.XmlText
    text.delete(0, text.length)
    text.insert(0, 'Agenda: 年终总结')
  })
  // The new words and the old leave the index in one re-indexing: once the new are found, the old are gone.
  await waitFor('bob to find the note by its new words', async () => (await docHits(bob, '年终')).some((h) => h.doc.id === note.id), LONG)
  assert.ok(!(await docHits(bob, '审批')).some((h) => h.doc.id === note.id))
})

test('a workspace board: everyone in the workspace has it, a newcomer too; the workspace channel cannot be left', async () => {
  const ws = (await owner.api.call('workspaces.list', {}))[0]
  assert.ok(ws !== undefined)
  const board = await owner.api.call('docs.create', { kind: 'board', title: 'Org chart', conversationId: ws.channelId })
  const workspaceDocs = async (node: NodeProcess): Promise<DocView[]> => node.api.call('docs.list', { conversationId: ws.channelId })
  for (const node of [bob, carol]) await waitFor('the workspace board to reach a member', async () => (await workspaceDocs(node)).some((d) => d.id === board.id), LONG)
  await edit(bob, board.id, (d) => { d.getMap('shapes').set('s-box', { type: 'rect', x: 0, y: 0, w: 5, h: 5 }) })

  const erin = await startNode(await makeDataDir('docs-erin'), { peers: [owner.address, bob.address] })
  try {
    await erin.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
    await waitFor('the newcomer to be put in the workspace channel', async () => (await erin.api.call('conversations.list', {})).find((c) => c.id === ws.channelId)?.status === 'active', LONG)
    await waitFor('the newcomer to get the workspace board with its shapes', async () => (await workspaceDocs(erin)).some((d) => d.id === board.id) && 's-box' in (await contents(erin, board.id)).shapes, LONG)
    await assert.rejects(erin.api.call('channels.leave', { conversationId: ws.channelId }), { code: 'bad-request' })
  } finally {
    await erin.stop()
    await removeDataDir(erin.dataDir)
  }
})

test('an edit made while a colleague is away reaches them through the mailbox, its author gone too; the mailbox is in no group', async () => {
  const board = await owner.api.call('docs.create', { kind: 'board', title: 'Seating', conversationId: channelId })
  await waitFor('the board to reach carol', async () => (await docsIn(carol)).some((d) => d.id === board.id), LONG)
  await carol.stop()
  const heldBefore = box.logs.filter((l) => l.msg === 'holding mail').length
  await edit(owner, board.id, (d) => { d.getMap('shapes').set('s-mail', { type: 'sticky', x: 1, y: 1, w: 80, h: 60, text: 'window seat' }) })
  await waitFor('the mailbox to hold the edit', () => box.logs.filter((l) => l.msg === 'holding mail').length > heldBefore, LONG)
  await owner.stop()
  try {
    carol = await restart(carol)
    await carol.api.call('peers.dial', { address: box.address })
    await waitFor('carol to get the edit through the mailbox', async () => 's-mail' in (await contents(carol, board.id)).shapes, LONG)
    const ws = (await carol.api.call('workspaces.list', {}))[0]
    const general = (await carol.api.call('conversations.list', {})).find((c) => c.id === ws?.channelId)
    assert.ok(general !== undefined && !general.members.some((m) => m === box.peerId) && !general.pendingMembers.some((m) => m === box.peerId), 'the mailbox is not in the workspace channel')
    assert.equal((await box.api.call('conversations.list', {})).filter((c) => c.status === 'active').length, 0, 'the mailbox holds no conversation keys')
  } finally {
    owner = await restart(owner)
  }
})

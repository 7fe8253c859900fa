import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { MessageView, PeerIdString } from '../../src/api/contract.js'

const COUNT = 1000
let alice: NodeProcess
let bob: NodeProcess

before(async () => {
  alice = await startNode(await makeDataDir('alice'))
  bob = await startNode(await makeDataDir('bob'), { peers: [alice.address] })
})

after(async () => {
  await Promise.all([alice.stop(), bob.stop()])
  await Promise.all([removeDataDir(alice.dataDir), removeDataDir(bob.dataDir)])
})

async function sendAll(from: NodeProcess, to: NodeProcess, label: string): Promise<void> {
  // Pipelined like a busy user or bot: many calls in flight, each awaited.
  for (let start = 0; start < COUNT; start += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => from.api.call('chat.send', { peerId: to.peerId, text: `${label} ${start + i}` })))
  }
}

async function fullHistory(node: NodeProcess, peerId: PeerIdString): Promise<MessageView[]> {
  const all: MessageView[] = []
  let before: string | undefined
  for (;;) {
    const page = await node.api.call('chat.history', { peerId, limit: 1000, before })
    all.unshift(...page)
    if (page.length < 1000) return all
    before = page[0]?.order
  }
}

function assertExactlyInOrder(messages: MessageView[], author: string, label: string): void {
  const theirs = messages.filter((m) => m.author === author)
  assert.equal(theirs.length, COUNT, `${label}: count`)
  theirs.forEach((m, i) => {
    assert.equal(m.text, `${label} ${i}`, `${label}: message ${i} out of order or missing`)
    // Sequence numbers count every envelope (a DM's welcome too), so they rise but may skip.
    if (i > 0) assert.ok(m.seq > (theirs[i - 1]?.seq ?? 0), `${label}: seq must rise`)
  })
  assert.equal(new Set(theirs.map((m) => m.id)).size, COUNT, `${label}: duplicates`)
}

test('two processes exchange 1,000 messages each way with no loss, duplicates or reordering', async () => {
  await Promise.all([sendAll(alice, bob, 'a→b'), sendAll(bob, alice, 'b→a')])

  await waitFor('bob to hold all of alice\'s messages', async () => (await fullHistory(bob, alice.peerId)).filter((m) => !m.mine).length === COUNT, { timeoutMs: 60_000, intervalMs: 200 })
  await waitFor('alice to hold all of bob\'s messages', async () => (await fullHistory(alice, bob.peerId)).filter((m) => !m.mine).length === COUNT, { timeoutMs: 60_000, intervalMs: 200 })

  const atBob = await fullHistory(bob, alice.peerId)
  const atAlice = await fullHistory(alice, bob.peerId)
  assertExactlyInOrder(atBob, alice.peerId, 'a→b')
  assertExactlyInOrder(atAlice, bob.peerId, 'b→a')

  // Both sides see the same conversation in the same order.
  assert.deepEqual(atAlice.map((m) => m.id), atBob.map((m) => m.id))

  await waitFor('every message to show as delivered to its author', async () => {
    const [a, b] = await Promise.all([fullHistory(alice, bob.peerId), fullHistory(bob, alice.peerId)])
    return [...a, ...b].filter((m) => m.mine).every((m) => m.state === 'delivered')
  }, { timeoutMs: 30_000, intervalMs: 200 })
})

test('unread counts what arrived and clears on markRead', async () => {
  const [conv] = await bob.api.call('conversations.list', {})
  assert.ok(conv !== undefined)
  assert.equal(conv.unread, COUNT)
  assert.equal(conv.peerId, alice.peerId)
  const read = await bob.api.call('chat.markRead', { conversationId: conv.id })
  assert.equal(read.unread, 0)
})

test('events announce a message to the recipient and its delivery to the sender', async () => {
  const added = new Promise<MessageView>((resolve) => { bob.api.on('chat.messageAdded', (m) => { if (m.text === 'ping') resolve(m) }) })
  const delivered = new Promise<MessageView>((resolve) => { alice.api.on('chat.messageUpdated', (m) => { if (m.text === 'ping' && m.state === 'delivered') resolve(m) }) })
  const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: 'ping' })
  assert.equal(sent.state, 'pending')
  assert.equal((await added).id, sent.id)
  assert.equal((await delivered).id, sent.id)
})

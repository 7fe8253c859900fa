import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testNodes } from '../helpers/test-nodes.js'
import type { NodeProcess } from '../helpers/node-process.js'
import { historyTexts } from '../helpers/chat.js'
import { waitFor } from '../helpers/wait.js'
import type { PeerIdString } from '../../src/api/contract.js'

const { start, stop, dir } = testNodes()

const texts = (node: NodeProcess, peerId: PeerIdString): Promise<string[]> => historyTexts(node, { peerId })

test('history and identity survive a restart, and a crash loses nothing acknowledged as sent', async () => {
  const aliceDir = await dir('alice')
  let alice = await start(aliceDir)
  const bob = await start(await dir('bob'), [alice.address])
  for (let i = 0; i < 5; i++) await alice.api.call('chat.send', { peerId: bob.peerId, text: `before ${i}` })
  await waitFor('bob to get 5', async () => (await texts(bob, alice.peerId)).length === 5)
  const peerId = alice.peerId

  await stop(alice)
  alice = await start(aliceDir)
  assert.equal(alice.peerId, peerId, 'the device keeps its identity')
  assert.deepEqual(await texts(alice, bob.peerId), [0, 1, 2, 3, 4].map((i) => `before ${i}`))

  // A crash right after send returns: the message is on disk and still goes out.
  await alice.api.call('chat.send', { peerId: bob.peerId, text: 'just before the crash' })
  await stop(alice, 'kill')
  alice = await start(aliceDir)
  assert.ok((await texts(alice, bob.peerId)).includes('just before the crash'))
  await waitFor('the message written before the crash to reach bob', async () => (await texts(bob, alice.peerId)).includes('just before the crash'), { timeoutMs: 30_000 })
  const atBob = await texts(bob, alice.peerId)
  assert.equal(atBob.filter((t) => t === 'just before the crash').length, 1)

  // Search survives both: the crash came before the index wrote that message's postings (it
  // does so seconds later), so the restarted core found it queued on disk and indexed it.
  const found = async (node: NodeProcess, query: string): Promise<string[]> => (await node.api.call('search.query', { query, kinds: ['messages'] })).messages.map((h) => h.message.text)
  assert.deepEqual(await found(alice, 'crash'), ['just before the crash'])
  assert.deepEqual(await found(alice, 'befo'), ['just before the crash', ...[4, 3, 2, 1, 0].map((i) => `before ${i}`)])
  assert.deepEqual(await found(bob, 'crash'), ['just before the crash'], 'and on the receiving device')
  assert.deepEqual((await bob.api.call('search.query', { query: 'before', from: [bob.peerId] })).messages, [], 'filtered by sender')
})

test('messages sent while the peer is down arrive, once and in order, when it is back, even across the sender\'s restart', async () => {
  const aliceDir = await dir('alice2')
  const bobDir = await dir('bob2')
  let alice = await start(aliceDir)
  let bob = await start(bobDir, [alice.address])
  await alice.api.call('chat.send', { peerId: bob.peerId, text: 'hello' })
  await waitFor('first contact', async () => (await texts(bob, alice.peerId)).length === 1)

  await stop(bob)
  for (let i = 0; i < 20; i++) await alice.api.call('chat.send', { peerId: bob.peerId, text: `offline ${i}` })
  const pending = await alice.api.call('chat.history', { peerId: bob.peerId, limit: 100 })
  assert.ok(pending.filter((m) => m.text.startsWith('offline')).every((m) => m.state === 'pending' || m.state === 'sent'))

  // The sender restarts too while the recipient is away: its outbox is on disk.
  await stop(alice)
  alice = await start(aliceDir)
  bob = await start(bobDir)

  const expected = ['hello', ...Array.from({ length: 20 }, (_, i) => `offline ${i}`)]
  await waitFor('bob to receive what was queued', async () => (await texts(bob, alice.peerId)).length === expected.length, { timeoutMs: 45_000, intervalMs: 100 })
  assert.deepEqual(await texts(bob, alice.peerId), expected)
  await waitFor('alice to see everything delivered', async () => (await alice.api.call('chat.history', { peerId: bob.peerId, limit: 100 })).every((m) => m.state === 'delivered'), { timeoutMs: 20_000 })

  // And the reverse direction works without anyone restarting.
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'back online' })
  await waitFor('alice to get bob\'s reply', async () => (await texts(alice, bob.peerId)).includes('back online'))
})

test('the name of someone who only dialled in and wrote stays on their conversation across a restart while they are away; a device that only connected is not kept', async () => {
  const aliceDir = await dir('alice-names')
  let alice = await start(aliceDir)
  // Bob and Carol dial Alice; she never dials them.
  const [bob, carol] = await Promise.all([start(await dir('bob-names'), [alice.address]), start(await dir('carol-names'), [alice.address])])
  await bob.api.call('profile.set', { displayName: 'Bob' })
  await carol.api.call('profile.set', { displayName: 'Carol' })
  const nameOf = async (node: NodeProcess, peer: PeerIdString): Promise<string | null | undefined> => (await node.api.call('peers.list', {})).find((p) => p.peerId === peer)?.displayName
  await waitFor('alice to know both names', async () => await nameOf(alice, bob.peerId) === 'Bob' && await nameOf(alice, carol.peerId) === 'Carol')
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'hello from Bob' })
  await waitFor('alice to get it', async () => (await texts(alice, bob.peerId)).includes('hello from Bob'))

  await Promise.all([stop(bob), stop(carol)])
  await stop(alice)
  alice = await start(aliceDir)
  // Bob wrote: his conversation still has his name. Carol only connected: she is not written down.
  const listed = await alice.api.call('peers.list', {})
  assert.deepEqual(listed.map((p) => [p.displayName, p.connected]), [['Bob', false]])
})

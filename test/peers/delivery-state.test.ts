import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { ConversationId, MessageId, MessageView } from '../../src/api/contract.js'

// Three members in separate processes; carol goes away and comes back.
let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
const dirs: string[] = []
const LONG = { timeoutMs: 60_000, intervalMs: 100 }

before(async () => {
  const start = async (name: string): Promise<NodeProcess> => {
    const dir = await makeDataDir(name)
    dirs.push(dir)
    return startNode(dir)
  }
  ;[owner, bob, carol] = await startAll([start('owner'), start('bob'), start('carol')])
  const { id: workspaceId } = await owner.api.call('workspaces.create', { name: 'Acme' })
  for (const node of [bob, carol]) {
    const { link } = await owner.api.call('workspaces.invite', { workspaceId })
    await node.api.call('workspaces.join', { link })
  }
  await meshConnect([owner, bob, carol])
  await waitFor('every device to see three active members', async () => {
    for (const node of [owner, bob, carol]) if ((await node.api.call('workspaces.list', {}))[0]?.memberCount !== 3) return false
    return true
  }, LONG)
})

after(async () => {
  await Promise.all([owner, bob, carol].map((n) => n.stop()))
  await Promise.all(dirs.map(removeDataDir))
})

async function message(node: NodeProcess, conversationId: ConversationId, id: MessageId): Promise<MessageView | undefined> {
  return (await node.api.call('chat.history', { conversationId, limit: 100 })).find((m) => m.id === id)
}

test('a channel post is delivered to 1 of 2 while a member is offline, and to 2 of 2 once it is back', async () => {
  const channel = await owner.api.call('channels.create', { workspaceId: (await owner.api.call('workspaces.list', {}))[0]?.id ?? assert.fail('no workspace'), name: 'eng', members: [bob.peerId, carol.peerId] })
  for (const node of [bob, carol]) {
    await waitFor('the channel to reach a member', async () => (await node.api.call('conversations.list', {})).find((c) => c.id === channel.id)?.members.length === 3, LONG)
  }
  const carolDir = carol.dataDir
  await carol.stop()

  const sent = await owner.api.call('chat.send', { conversationId: channel.id, text: 'standup at ten' })
  assert.equal(sent.delivery?.of, 2)
  await waitFor('bob to store it', async () => (await message(owner, channel.id, sent.id))?.delivery?.to === 1, LONG)
  const partial = await message(owner, channel.id, sent.id)
  assert.equal(partial?.state, 'sent')
  assert.deepEqual(partial.delivery, { to: 1, of: 2, waiting: [carol.peerId], failed: 0, mailbox: false })
  const info = await owner.api.call('chat.messageInfo', { messageId: sent.id })
  assert.deepEqual(info.recipients.map((r) => [r.device, r.state]).sort(), [[bob.peerId, 'delivered'], [carol.peerId, 'waiting']].sort())

  carol = await startNode(carolDir, { peers: [owner.address, bob.address] })
  await waitFor('carol to store it and acknowledge', async () => (await message(owner, channel.id, sent.id))?.state === 'delivered', LONG)
  const full = await message(owner, channel.id, sent.id)
  assert.deepEqual(full?.delivery, { to: 2, of: 2, waiting: [], failed: 0, mailbox: false })
  const after = await owner.api.call('chat.messageInfo', { messageId: sent.id })
  assert.ok(after.recipients.every((r) => r.state === 'delivered' && r.at !== null && r.at >= sent.sentAt))
  assert.ok((await carol.api.call('chat.history', { conversationId: channel.id, limit: 100 })).some((m) => m.id === sent.id))
})

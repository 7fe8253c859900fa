import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { ClassicLevel } from 'classic-level'
import * as Y from 'yjs'
import { CHAT_PROTOCOL, encodeFrame } from '../../src/chat/chat-frames.js'
import { createLogger } from '../../src/logger.js'
import { createNetNode } from '../../src/net/libp2p-node.js'
import { loadDataKey } from '../../src/store/store-key.js'
import { COLLECTIONS, openStore } from '../../src/store/store.js'
import { enclave } from '../helpers/cli.js'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { historyTexts } from '../helpers/chat.js'
import { waitFor } from '../helpers/wait.js'
import type { ConversationId, ConversationView, DocId, WorkspaceId } from '../../src/api/contract.js'

// Five devices in separate processes: an owner, three members and a mailbox node.
let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let dave: NodeProcess
let box: NodeProcess
let workspaceId: WorkspaceId
let channelId: ConversationId
const CANARY = 'CANARY-7c2f-layoffs-in-q3'
const LONG = { timeoutMs: 60_000, intervalMs: 100 }

const all = (): NodeProcess[] => [owner, bob, carol, dave, box]

async function conversation(node: NodeProcess, id: ConversationId): Promise<ConversationView | undefined> {
  return (await node.api.call('conversations.list', {})).find((c) => c.id === id)
}

const texts = (node: NodeProcess, id: ConversationId): Promise<string[]> => historyTexts(node, { conversationId: id })

async function waitForText(node: NodeProcess, id: ConversationId, text: string, label: string): Promise<void> {
  await waitFor(`${label} to read "${text}"`, async () => (await texts(node, id)).includes(text), LONG)
}

/** Edits a doc the way a shell does: on its own replica, sending the resulting update. */
async function editDoc(node: NodeProcess, docId: DocId, change: (doc: Y.Doc) => void): Promise<void> {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(Buffer.from((await node.api.call('docs.open', { docId })).state, 'base64')))
  const before = Y.encodeStateVector(doc)
  change(doc)
  await node.api.call('docs.update', { docId, update: Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64') })
}

/** Every file under a folder, and the folders among them that are LevelDB databases. */
async function onDisk(dir: string): Promise<{ files: string[]; databases: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  return { files, databases: entries.filter((e) => e.isFile() && e.name === 'CURRENT').map((e) => e.parentPath) }
}

before(async () => {
  const start = async (name: string, args: string[] = []): Promise<NodeProcess> => startNode(await makeDataDir(name), { args })
  ;[owner, bob, carol, dave, box] = await startAll([start('owner'), start('bob'), start('carol'), start('dave'), start('box', ['--mailbox'])])
  const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
  workspaceId = ws.id
  for (const node of [bob, carol, dave, box]) {
    const { link } = await owner.api.call('workspaces.invite', { workspaceId })
    await node.api.call('workspaces.join', { link })
  }
  // No mDNS in tests and no relay yet (#6): every device is told every other's address.
  await meshConnect(all())
  await waitFor('every device to see five active members', async () => {
    for (const node of all()) if ((await node.api.call('workspaces.list', {}))[0]?.memberCount !== 5) return false
    return true
  }, LONG)
})

after(async () => {
  await Promise.all(all().map((n) => n.stop()))
  await Promise.all(all().map((n) => removeDataDir(n.dataDir)))
})

test('a channel made with the CLI: every member reads every other; the mailbox is in no group', async () => {
  const made = await enclave('channel', 'create', 'eng', '--topic', 'builds', '--member', bob.peerId, '--member', carol.peerId, '--json', '--data', owner.dataDir)
  assert.equal(made.code, 0, made.stderr)
  const created = JSON.parse(made.stdout) as ConversationView
  channelId = created.id
  assert.match(channelId, /^ch:[0-9a-f]{32}$/)
  assert.equal(created.committer, owner.peerId)

  for (const node of [bob, carol]) {
    await waitFor('the channel to reach a member', async () => {
      const c = await conversation(node, channelId)
      return c?.status === 'active' && c.name === 'eng' && c.topic === 'builds' && c.members.length === 3
    }, LONG)
  }
  for (const [node, label] of [[owner, 'owner'], [bob, 'bob'], [carol, 'carol']] as const) {
    await node.api.call('chat.send', { conversationId: channelId, text: `hello from ${label}` })
  }
  for (const [node, name] of [[owner, 'owner'], [bob, 'bob'], [carol, 'carol']] as const) {
    for (const label of ['owner', 'bob', 'carol']) await waitForText(node, channelId, `hello from ${label}`, name)
  }
  const listed = await enclave('conversations', '--json', '--data', bob.dataDir)
  assert.equal(listed.code, 0, listed.stderr)
  assert.ok((JSON.parse(listed.stdout) as ConversationView[]).some((c) => c.id === channelId && c.kind === 'channel'))
  assert.equal(await conversation(box, channelId), undefined)
})

test('reactions, an edit, a reply, a pin and a recall reach every member, and one offline meanwhile catches up on all of them', async () => {
  const plan = await owner.api.call('chat.send', { conversationId: channelId, text: 'Q3 plan: draft' })
  await waitForText(bob, channelId, 'Q3 plan: draft', 'bob')
  await waitForText(carol, channelId, 'Q3 plan: draft', 'carol')
  const reacted = new Promise<void>((resolve) => { const off = owner.api.on('chat.reactionsChanged', (e) => { if (e.messageId === plan.id && e.reactions.some((r) => r.by.includes(bob.peerId))) { off(); resolve() } }) })
  await carol.stop()
  await bob.api.call('chat.react', { messageId: plan.id, emoji: '👍🏽', on: true })
  await owner.api.call('chat.edit', { messageId: plan.id, text: 'Q3 plan: **final**' })
  const reply = await bob.api.call('chat.send', { conversationId: channelId, text: 'ship it', replyTo: plan.id })
  await owner.api.call('chat.pin', { messageId: plan.id, on: true })
  const slip = await bob.api.call('chat.send', { conversationId: channelId, text: `wrong channel ${CANARY}` })
  await bob.api.call('chat.recall', { messageId: slip.id })
  await reacted
  carol = await startNode(carol.dataDir)
  await meshConnect(all())
  const settled = async (node: NodeProcess): Promise<boolean> => {
    const list = await node.api.call('chat.history', { conversationId: channelId, limit: 1000 })
    const p = list.find((m) => m.id === plan.id)
    const r = list.find((m) => m.id === reply.id)
    const gone = list.find((m) => m.id === slip.id)
    return p?.text === 'Q3 plan: **final**' && p.editedAt !== undefined && p.pinned?.by === owner.peerId &&
      p.reactions?.[0]?.emoji === '👍🏽' && p.reactions[0].by.includes(bob.peerId) &&
      r?.replyTo?.text === 'Q3 plan: **final**' && gone?.recalled?.by === bob.peerId && gone.text === ''
  }
  for (const node of [owner, bob, carol]) await waitFor('reactions, edit, reply, pin and recall everywhere', () => settled(node), LONG)
  assert.deepEqual((await carol.api.call('chat.pins', { conversationId: channelId })).map((m) => m.id), [plan.id])
  await assert.rejects(carol.api.call('chat.edit', { messageId: plan.id, text: 'mine' }), /author/)
  await assert.rejects(carol.api.call('chat.react', { messageId: plan.id, emoji: '<script>', on: true }), /emoji/)

  // An admin limits recalling from the CLI; members' open views are told at once (the app then
  // offers Recall on one's own messages only within it).
  let told = false
  const off = bob.api.on('conversations.changed', (c) => { if (c.id === channelId && c.recallMinutes === 1) told = true })
  const [ws] = await owner.api.call('workspaces.list', {})
  if (ws === undefined) throw new Error('no workspace')
  const set = await enclave('workspace', 'message-rules', ws.id, '--recall-minutes', '1', '--data', owner.dataDir)
  assert.equal(set.code, 0, set.stderr)
  assert.match(set.stdout, /recall their own messages: within 1 minute of sending/)
  await waitFor('bob\'s view of the channel to carry the limit', () => told, LONG)
  off()
  const fresh = await bob.api.call('chat.send', { conversationId: channelId, text: 'typo' })
  await bob.api.call('chat.recall', { messageId: fresh.id })
  assert.equal((await enclave('workspace', 'message-rules', ws.id, '--clear', '--data', owner.dataDir)).code, 0)
  await waitFor('the limit lifted on carol', async () => (await carol.api.call('conversations.list', {})).find((c) => c.id === channelId)?.recallMinutes === null, LONG)
})

test('concurrent membership changes from several devices converge on one group', async () => {
  // Bob (not the committer) asks to add dave while the owner renames and carol writes: the
  // committer serialises them, and every member ends with the same members.
  await Promise.all([
    bob.api.call('channels.add', { conversationId: channelId, members: [dave.peerId] }),
    owner.api.call('channels.update', { conversationId: channelId, topic: 'builds and releases' }),
    ...Array.from({ length: 5 }, (_, i) => carol.api.call('chat.send', { conversationId: channelId, text: `carol busy ${i}` }))
  ])
  const expected = [owner, bob, carol, dave].map((n) => n.peerId).sort()
  for (const node of [owner, bob, carol, dave]) {
    await waitFor('members to agree', async () => {
      const c = await conversation(node, channelId)
      return c !== undefined && JSON.stringify([...c.members].sort()) === JSON.stringify(expected) && c.topic === 'builds and releases'
    }, LONG)
  }
  await dave.api.call('chat.send', { conversationId: channelId, text: 'dave is here' })
  for (const node of [owner, bob, carol]) await waitForText(node, channelId, 'dave is here', 'every member')
})

test('a removed member is told, and nothing sent afterwards reaches it', async () => {
  await owner.api.call('channels.remove', { conversationId: channelId, peerId: carol.peerId })
  await waitFor('carol to learn she was removed', async () => (await conversation(carol, channelId))?.status === 'removed', LONG)
  await owner.api.call('chat.send', { conversationId: channelId, text: `after carol ${CANARY}` })
  await waitForText(bob, channelId, `after carol ${CANARY}`, 'bob')
  await waitForText(dave, channelId, `after carol ${CANARY}`, 'dave')
  assert.ok(!(await texts(carol, channelId)).some((t) => t.startsWith('after carol')))
  await assert.rejects(carol.api.call('chat.send', { conversationId: channelId, text: 'still here?' }), /removed/)
})

test('a member offline through several epochs catches up from another member, in order', async () => {
  await dave.stop()
  for (let i = 0; i < 5; i++) await owner.api.call('chat.send', { conversationId: channelId, text: `owner while dave away ${i}` })
  // Two more epochs while dave is away.
  await owner.api.call('channels.add', { conversationId: channelId, members: [carol.peerId] })
  await waitFor('carol back in', async () => (await conversation(carol, channelId))?.status === 'active', LONG)
  await owner.api.call('channels.remove', { conversationId: channelId, peerId: carol.peerId })
  for (let i = 0; i < 5; i++) await bob.api.call('chat.send', { conversationId: channelId, text: `bob while dave away ${i}` })
  await waitForText(bob, channelId, 'owner while dave away 4', 'bob')
  // Bob has it and dave does not: sent, not delivered, and not left looking unsent.
  await waitFor('the owner to see its message sent', async () => (await owner.api.call('chat.history', { conversationId: channelId })).find((m) => m.text === 'owner while dave away 4')?.state === 'sent', LONG)
  // The owner goes too: dave can only get the owner's messages from bob.
  await owner.stop()
  dave = await startNode(dave.dataDir)
  await dave.api.call('peers.dial', { address: bob.address })
  await waitFor('dave to catch up on all ten', async () => {
    const got = (await texts(dave, channelId)).filter((t) => t.includes('while dave away'))
    return got.length === 10 ? got : undefined
  }, LONG)
  const got = (await texts(dave, channelId)).filter((t) => t.includes('while dave away'))
  assert.deepEqual(got.filter((t) => t.startsWith('owner')), [0, 1, 2, 3, 4].map((i) => `owner while dave away ${i}`))
  assert.deepEqual(got.filter((t) => t.startsWith('bob')), [0, 1, 2, 3, 4].map((i) => `bob while dave away ${i}`))
  assert.equal((await conversation(dave, channelId))?.waiting, 0)
  owner = await startNode(owner.dataDir)
  await meshConnect([owner, bob, dave, box])
})

test('a mailbox hands over a message when sender and recipient are never online together, sees only ciphertext, and cannot replay or alter it', async () => {
  const hello = await owner.api.call('chat.send', { peerId: dave.peerId, text: 'dm hello' })
  await waitFor('the DM to be set up', async () => (await owner.api.call('chat.history', { peerId: dave.peerId })).find((m) => m.id === hello.id)?.state === 'delivered', LONG)
  await dave.stop()
  const heldBefore = box.logs.filter((l) => l.msg === 'holding mail').length
  const viaMailbox = await owner.api.call('chat.send', { peerId: dave.peerId, text: `mailbox ${CANARY}` })
  await waitFor('the mailbox to hold the message', () => box.logs.filter((l) => l.msg === 'holding mail').length > heldBefore, LONG)
  // Safe at the mailbox, which is no member: sent, never delivered.
  await waitFor('the owner to see it sent', async () => (await owner.api.call('chat.history', { peerId: dave.peerId })).find((m) => m.id === viaMailbox.id)?.state === 'sent', LONG)
  // Every channel message also goes to the mailbox: a channel's name and topic, doc titles,
  // board shape text and note text are written with the canary, to look for on its disk below.
  await owner.api.call('channels.update', { conversationId: channelId, name: `eng ${CANARY}`, topic: `topic ${CANARY}` })
  const board = await owner.api.call('docs.create', { kind: 'board', title: `board ${CANARY}`, conversationId: channelId })
  const note = await owner.api.call('docs.create', { kind: 'note', title: `note ${CANARY}`, conversationId: channelId })
  // A title reaches members as an edit when it is renamed (made, it reaches only those connected).
  for (const doc of [board, note]) await owner.api.call('docs.rename', { docId: doc.id, title: `${doc.title}, renamed` })
  await editDoc(owner, board.id, (d) => { d.getMap('shapes').set('s-canary', { type: 'text', x: 10, y: 10, w: 300, h: 40, color: '#1e1e1e', width: 2, text: `shape ${CANARY}`, size: 16, z: 1, author: 'owner' }) })
  await editDoc(owner, note.id, (d) => {
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText(`note text ${CANARY}`)])
    d.getXmlFragment('note').insert(0, [paragraph])
  })
  // Each device's messages reach the mailbox in order: holding the last means holding them all.
  const last = await owner.api.call('chat.send', { conversationId: channelId, text: 'docs shared' })
  const lastSeq = Number(last.id.split('/').at(-1))
  await waitFor('the mailbox to hold the rename, the doc edits and the last message', () => box.logs.some((l) => l.msg === 'holding mail' && l.conv === channelId && l.author === owner.peerId && l.seq === lastSeq), LONG)
  const dmWithDave = (await owner.api.call('conversations.open', { peerId: dave.peerId })).id
  await owner.stop()

  // Everything the mailbox stored while dave is away (a deposit is forgotten once every recipient
  // has it), decrypted with its own store key: ciphertext only.
  await box.stop()
  const store = await openStore({ path: join(box.dataDir, 'store'), log: createLogger('scan'), dataKey: await loadDataKey(box.dataDir, { kind: 'key-file', path: join(box.dataDir, 'store.key') }) })
  let held = 0
  let boxKey: string | undefined
  const forDave: Array<Record<string, unknown>> = []
  try {
    boxKey = await store.collection<string>('meta').get('deviceKey')
    // meta/schemaVersion is the one value kept plain (it says how to read the rest).
    const ranges = (name: string): Array<{ lt?: string; gt?: string }> => (name === 'meta' ? [{ lt: 'schemaVersion' }, { gt: 'schemaVersion' }] : [{}])
    for (const name of COLLECTIONS) {
      for (const range of ranges(name)) for await (const [key, value] of store.collection<unknown>(name).entries(range)) {
        if (name === 'ciphertexts') {
          held++
          const env = value as { conv: string; kind: string }
          if (env.kind === 'app' && env.conv === dmWithDave) forDave.push(value as Record<string, unknown>)
        }
        assert.ok(!JSON.stringify(value).includes(CANARY) && !key.includes(CANARY), `plaintext at the mailbox in ${name}/${key}`)
      }
    }
  } finally {
    await store.close()
  }
  assert.ok(held > 0, 'the mailbox held envelopes')

  // And the mailbox's disk as raw bytes, keys and values alike: every file byte by byte, and every
  // LevelDB entry as stored (table blocks may be compressed, so read them through LevelDB too).
  const disk = await onDisk(box.dataDir)
  let scanned = 0
  for (const file of disk.files) {
    const bytes = await readFile(file)
    scanned += bytes.byteLength
    assert.ok(!bytes.includes(CANARY), `plaintext on the mailbox's disk in ${file}`)
  }
  assert.ok(disk.databases.length > 0 && scanned > 10_000, 'the mailbox\'s store was scanned')
  let entries = 0
  let plainKeySeen = false
  for (const path of disk.databases) {
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      for await (const [key, value] of raw.iterator()) {
        entries++
        plainKeySeen ||= Buffer.from(key).includes('schemaVersion')
        assert.ok(!Buffer.from(key).includes(CANARY) && !Buffer.from(value).includes(CANARY), `plaintext in a LevelDB entry of ${path}: ${Buffer.from(key).toString('latin1').slice(0, 80)}`)
      }
    } finally {
      await raw.close()
    }
  }
  // The scan reads stored bytes as they are: the one key known to be plain text is found.
  assert.ok(entries > 0 && plainKeySeen, 'the raw LevelDB scan read the mailbox\'s entries')

  box = await startNode(box.dataDir, { args: ['--mailbox'] })
  dave = await startNode(dave.dataDir)
  await dave.api.call('peers.dial', { address: box.address })
  assert.equal((await dave.api.call('conversations.open', { peerId: owner.peerId })).id, dmWithDave)
  await waitForText(dave, dmWithDave, `mailbox ${CANARY}`, 'dave, through the mailbox')

  // A member's device (the mailbox's own key) replays and tampers with what it held: dave
  // drops both with a coded reason and stores nothing new.
  const stored = forDave.at(-1)
  assert.ok(stored !== undefined && boxKey !== undefined, 'the mailbox held dave\'s message')
  const mls = new Uint8Array(Buffer.from(stored.mls as string, 'base64'))
  const tampered = mls.slice()
  tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0x40
  const seq = stored.seq as number
  const impostor = await createNetNode({ privateKey: privateKeyFromProtobuf(Buffer.from(boxKey, 'base64')), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  const before = (await texts(dave, dmWithDave)).length
  try {
    const stream = await impostor.dialProtocol(multiaddr(dave.address), CHAT_PROTOCOL)
    // New sequence numbers, so the envelopes pass deduplication and reach MLS.
    const sig = new Uint8Array(Buffer.from(stored.sig as string, 'base64'))
    stream.send(encodeFrame({ t: 'msg', env: { ...stored, mls, sig, seq: seq + 1000 } as never }))
    stream.send(encodeFrame({ t: 'msg', env: { ...stored, mls: tampered, sig, seq: seq + 1001 } as never }))
    const dropped = (s: number): boolean => dave.logs.some((l) => l.msg === 'dropped an envelope' && l.seq === s && l.author === owner.peerId)
    await waitFor('the replay and the tampered copy to be dropped', () => dropped(seq + 1000) && dropped(seq + 1001), LONG)
    stream.abort(new Error('done'))
  } finally {
    await impostor.stop()
  }
  assert.equal((await texts(dave, dmWithDave)).length, before)

  owner = await startNode(owner.dataDir)
})

test('a DM can start while its peer is offline: the first key package comes from the mailbox', async () => {
  // Dave meets the mailbox (a fresh connection: devices leave key packages on connecting).
  await meshConnect([owner, bob, box])
  await dave.stop()
  dave = await startNode(dave.dataDir)
  await dave.api.call('peers.dial', { address: box.address })
  await waitFor('dave to leave key packages at the mailbox', () => box.logs.some((l) => l.msg === 'kept key packages' && l.device === dave.peerId), LONG)
  await dave.stop()
  const first = await bob.api.call('chat.send', { peerId: dave.peerId, text: 'welcome aboard, dave' })
  assert.equal(first.state, 'pending')
  await waitFor('the welcome and the message to be held at the mailbox', () => box.logs.filter((l) => l.msg === 'holding mail' && l.author === bob.peerId).length >= 2, LONG)
  await bob.stop()
  dave = await startNode(dave.dataDir)
  await dave.api.call('peers.dial', { address: box.address })
  const dm = (await dave.api.call('conversations.open', { peerId: bob.peerId })).id
  await waitForText(dave, dm, 'welcome aboard, dave', 'dave, from a DM set up while he was away')
  bob = await startNode(bob.dataDir)
  await meshConnect([owner, bob, dave, box])
})

test('a device whose user leaves the workspace is taken out of its channels by the committer', async () => {
  const daveUser = (await owner.api.call('workspaces.members', { workspaceId })).find((m) => m.devices.includes(dave.peerId as never))
  assert.ok(daveUser !== undefined)
  await owner.api.call('workspaces.removeMember', { workspaceId, userId: daveUser.userId })
  await waitFor('bob to see dave gone from the channel', async () => {
    const c = await conversation(bob, channelId)
    return c !== undefined && !c.members.includes(dave.peerId) && c.members.includes(owner.peerId)
  }, LONG)
  await owner.api.call('chat.send', { conversationId: channelId, text: 'after dave left the company' })
  await waitForText(bob, channelId, 'after dave left the company', 'bob')
  assert.ok(!(await texts(dave, channelId)).includes('after dave left the company'))
})

test('when the committer leaves, the next member takes over and commits its removal', async () => {
  await owner.api.call('chat.send', { conversationId: channelId, text: 'handing over' })
  await waitForText(bob, channelId, 'handing over', 'bob')
  const left = await owner.api.call('channels.leave', { conversationId: channelId })
  assert.equal(left.status, 'left')
  await waitFor('bob to commit the owner\'s removal as the new committer', async () => {
    const c = await conversation(bob, channelId)
    return c !== undefined && c.committer === bob.peerId && !c.members.includes(owner.peerId)
  }, LONG)
  await bob.api.call('chat.send', { conversationId: channelId, text: 'bob carries on' })
  assert.ok(!(await texts(owner, channelId)).includes('bob carries on'))
})

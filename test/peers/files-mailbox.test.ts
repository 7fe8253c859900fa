import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { askChunks, askManifest, FILES_PROTOCOL } from '../../src/files/file-protocol.js'
import { startAttacker, stealDevice } from '../hostile/attacker.js'
import { makeDataDir, meshConnect, removeDataDir, startAll, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import { allFiles, canaryFile } from '../helpers/disk-files.js'
import type { ConversationId, MessageId } from '../../src/api/contract.js'
import type { Stream } from '@libp2p/interface'

// The owner and Bob share a channel; Carol is in the workspace but not the channel; the box is
// the workspace's mailbox and holds at most 12 MiB of files from each member.
let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let box: NodeProcess
let channelId: ConversationId
let work: string
const LONG = { timeoutMs: 90_000, intervalMs: 100 }
const CANARY = Buffer.from('CANARY-mailbox-files-41c9-plaintext-must-not-be-stored')
const all = (): NodeProcess[] => [owner, bob, carol, box]

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/**
 * The file's root, from the owner's log of the share (what a leak would give away). The log line
 * comes on the node's stderr, which may trail the API's answer on a busy machine.
 */
async function rootOf(messageId: MessageId): Promise<string> {
  const line = await waitFor('the owner to log the root of a file it shares', () => owner.logs.find((l) => l.msg === 'file shared' && l.file === messageId && typeof l.root === 'string'))
  return String(line.root)
}

before(async () => {
  work = await makeDataDir('mailbox-files-work')
  const start = async (name: string, opts: Parameters<typeof startNode>[1] = {}): Promise<NodeProcess> => startNode(await makeDataDir(`mailbox-files-${name}`), opts)
  ;[owner, bob, carol, box] = await startAll([start('owner'), start('bob'), start('carol'), start('box', { args: ['--mailbox'], env: { ENCLAVE_MAILBOX_FILE_BYTES: String(12 * 1024 * 1024) } })])
  const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
  for (const node of [bob, carol, box]) await node.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await meshConnect(all())
  channelId = (await owner.api.call('channels.create', { workspaceId: ws.id, name: 'plans', members: [bob.peerId] })).id
  await waitFor('bob to be in the channel', async () => (await bob.api.call('conversations.list', {})).find((c) => c.id === channelId)?.status === 'active', LONG)
  // A device that found the mailbox leaves key packages there: the owner and bob both know it.
  for (const node of [owner, bob]) await waitFor('the members to know the mailbox', () => box.logs.some((l) => l.msg === 'kept key packages' && l.device === node.peerId), LONG)
})

after(async () => {
  await Promise.all(all().map((n) => n.stop()))
  await Promise.all([...all().map((n) => removeDataDir(n.dataDir)), removeDataDir(work)])
})

test('a file shared while a member is away waits at the mailbox: the member gets it whole from there after the sharer left; a colleague outside the channel gets nothing there; a file past the member\'s room is refused without losing the message', { timeout: 240_000 }, async () => {
  await bob.stop()
  // The owner leaves files at the mailbox for members it sees away: it must have seen bob go.
  await waitFor('the owner to see bob gone', async () => (await owner.api.call('peers.list', {})).find((p) => p.peerId === bob.peerId)?.connected !== true, LONG)
  const data = canaryFile(5 * 1024 * 1024 + 777, CANARY)
  await writeFile(join(work, 'report.pdf'), data)
  const sent = await owner.api.call('files.send', { conversationId: channelId, path: join(work, 'report.pdf') })
  const root = await rootOf(sent.id)
  await waitFor('the owner to leave the file at the mailbox', () => owner.logs.some((l) => l.msg === 'a mailbox holds the file for members away' && l.file === sent.id && l.peer === box.peerId), LONG)
  await waitFor('the mailbox to hold all of it', () => box.logs.some((l) => l.msg === 'holding a file for members away' && l.root === root), LONG)

  // 5 MiB held, 9 more would pass the 12 MiB the owner may keep there: refused, the message still sent.
  await writeFile(join(work, 'big.bin'), randomBytes(9 * 1024 * 1024))
  const big = await owner.api.call('files.send', { conversationId: channelId, path: join(work, 'big.bin') })
  const refused = await waitFor('the mailbox to refuse the second file', () => owner.logs.find((l) => l.msg === 'a mailbox did not take the file' && l.file === big.id), LONG)
  assert.equal(refused.code, 'over-quota')
  await waitFor('the message of the refused file to reach the mailbox all the same', async () => (await owner.api.call('chat.history', { conversationId: channelId, limit: 5 })).find((m) => m.id === big.id)?.state === 'sent', LONG)
  await owner.stop()

  // Carol learned the conversation and root; at the mailbox she is nobody the file was left for.
  await carol.stop()
  const thief = await startAttacker((await stealDevice(carol.dataDir)).key)
  try {
    const ask = async <T>(fn: (stream: Stream) => Promise<T>): Promise<T> => fn(await thief.node.dialProtocol(multiaddr(box.address), FILES_PROTOCOL, { signal: AbortSignal.timeout(10_000) }))
    const rootBytes = new Uint8Array(Buffer.from(root, 'hex'))
    await assert.rejects(ask((s) => askManifest(s, channelId, rootBytes)), { code: 'not-member' })
    await assert.rejects(ask((s) => askChunks(s, channelId, rootBytes, 0, 2, () => Promise.resolve())), { code: 'not-member' })
  } finally {
    await thief.stop()
    carol = await startNode(carol.dataDir)
  }

  // Bob is back; only the mailbox is there. The message and the file both come from it.
  bob = await startNode(bob.dataDir)
  await meshConnect([bob, box, carol])
  await waitFor('bob to fetch the file from the mailbox', async () => (await bob.api.call('files.get', { messageId: sent.id })).state === 'complete', LONG)
  const fetched = await waitFor('bob\'s summary of the transfer', () => bob.logs.find((l) => l.msg === 'file fetched' && l.file === sent.id), LONG)
  assert.deepEqual(Object.keys(fetched.from as object), [box.peerId], 'every chunk came from the mailbox')
  const out = join(work, 'saved.pdf')
  await bob.api.call('files.save', { messageId: sent.id, path: out })
  assert.equal(sha(await readFile(out)), sha(data))

  // Collected by everyone it was left for: the mailbox lets it go, and never held a byte of plaintext.
  await waitFor('the mailbox to drop the collected file', () => box.logs.some((l) => l.msg === 'a file held here is gone' && l.root === root && l.why === 'collected by everyone'), LONG)
  const left = (await allFiles(join(box.dataDir, 'blobs'))).filter((f) => !f.startsWith(join(box.dataDir, 'blobs', 'tmp')))
  assert.deepEqual(left, [], 'no chunk of the collected file stays at the mailbox')
  for (const file of await allFiles(box.dataDir)) assert.equal((await readFile(file)).indexOf(CANARY), -1, `plaintext found in ${file}`)
})

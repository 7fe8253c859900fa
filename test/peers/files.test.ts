import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { askChunks, askManifest, FILES_PROTOCOL } from '../../src/files/file-protocol.js'
import { startAttacker, stealDevice } from '../hostile/attacker.js'
import { makeDataDir, meshConnect, removeDataDir, startAll, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import { allFiles, canaryFile } from '../helpers/disk-files.js'
import { enclave } from '../helpers/cli.js'
import type { ConversationId, FileView, MessageId, MessageView } from '../../src/api/contract.js'
import type { Stream } from '@libp2p/interface'

// Owner, Bob and Carol share a channel; Dave is in the workspace but not in the channel.
let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let dave: NodeProcess
let channelId: ConversationId
let work: string
const LONG = { timeoutMs: 90_000, intervalMs: 100 }
const CANARY = Buffer.from('CANARY-files-7f3a9c-plaintext-must-not-be-stored')
// Files up to 20 MiB are fetched as soon as their message arrives; above, on demand.
const AUTO_BYTES = 20 * 1024 * 1024
const env = { ENCLAVE_FILE_AUTO_BYTES: String(AUTO_BYTES) }

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

async function fileOf(node: NodeProcess, messageId: MessageId): Promise<FileView> {
  return node.api.call('files.get', { messageId })
}

async function restart(node: NodeProcess): Promise<NodeProcess> {
  const again = await startNode(node.dataDir, { env })
  await meshConnect([again, ...[owner, bob, carol].filter((n) => n.dataDir !== node.dataDir && n.child.exitCode === null)])
  return again
}

/** Writes `data` (random bytes of that size, if a number) under `name` and shares it in the channel from the owner. */
async function share(name: string, data: number | Buffer): Promise<{ data: Buffer; sent: MessageView }> {
  const bytes = typeof data === 'number' ? randomBytes(data) : data
  const path = join(work, name)
  await writeFile(path, bytes)
  return { data: bytes, sent: await owner.api.call('files.send', { conversationId: channelId, path }) }
}

/** Saves the file from `node` and checks it is byte for byte what was shared. */
async function savedWhole(node: NodeProcess, messageId: MessageId, data: Buffer): Promise<void> {
  const out = join(work, `saved-${node.peerId.slice(-6)}-${messageId.split('/').at(-1) ?? ''}`)
  assert.deepEqual(await node.api.call('files.save', { messageId, path: out }), { path: out, size: data.byteLength })
  assert.equal(sha(await readFile(out)), sha(data))
}

before(async () => {
  work = await makeDataDir('files-work')
  const start = async (name: string): Promise<NodeProcess> => startNode(await makeDataDir(`files-${name}`), { env })
  ;[owner, bob, carol, dave] = await startAll([start('owner'), start('bob'), start('carol'), start('dave')])
  const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
  for (const node of [bob, carol, dave]) await node.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await meshConnect([owner, bob, carol, dave])
  channelId = (await owner.api.call('channels.create', { workspaceId: ws.id, name: 'design', members: [bob.peerId, carol.peerId] })).id
  for (const node of [bob, carol]) {
    await waitFor('every member to be in the channel', async () => (await node.api.call('conversations.list', {})).find((c) => c.id === channelId)?.status === 'active', LONG)
  }
})

after(async () => {
  const nodes = [owner, bob, carol, dave]
  await Promise.all(nodes.map((n) => n.stop()))
  await Promise.all([...nodes.map((n) => removeDataDir(n.dataDir)), removeDataDir(work)])
})

test('a shared file reaches members whole (root hash checked), is fetched at once below the automatic size, and its plaintext is stored nowhere', async () => {
  const data = canaryFile(5 * 1024 * 1024 + 12345, CANARY)
  const path = join(work, 'plan.pdf')
  await writeFile(path, data)
  // The one share with a caption, made by hand; the other tests use `share`.
  const sent = await owner.api.call('files.send', { conversationId: channelId, path, caption: 'the plan' })
  assert.deepEqual(sent.file, { name: 'plan.pdf', size: data.byteLength, mime: 'application/pdf' })
  assert.equal(sent.text, 'the plan')

  for (const node of [bob, carol]) {
    const message = await waitFor('the file message to arrive', async () => (await node.api.call('chat.history', { conversationId: channelId, limit: 20 })).find((m) => m.id === sent.id), LONG)
    assert.deepEqual(message.file, sent.file)
    // Fetched without being asked (it is below the automatic download size).
    await waitFor('the file to be fetched', async () => (await fileOf(node, sent.id)).state === 'complete', LONG)
    await savedWhole(node, sent.id, data)
  }
  const listed = await bob.api.call('files.list', { conversationId: channelId })
  assert.deepEqual(listed.map((f) => [f.messageId, f.name, f.state, f.haveBytes]), [[sent.id, 'plan.pdf', 'complete', data.byteLength]])

  // The canary is in no byte any node keeps: chunks, database, logs of the store.
  for (const node of [owner, bob, carol, dave]) {
    for (const file of await allFiles(node.dataDir)) {
      assert.equal((await readFile(file)).indexOf(CANARY), -1, `plaintext found in ${file}`)
    }
  }
})

test('a file forwarded to a DM is shared afresh from the forwarder\'s copy: a new key and root, whole at the other end', async () => {
  const { data, sent } = await share('minutes.pdf', 300_000)
  await waitFor('bob to fetch the file', async () => (await fileOf(bob, sent.id)).state === 'complete', LONG)
  const forwarded = await bob.api.call('files.forward', { messageId: sent.id, peerId: carol.peerId, caption: 'Forwarded from the owner' })
  assert.equal(forwarded.file?.name, 'minutes.pdf')
  assert.equal(forwarded.text, 'Forwarded from the owner')
  await waitFor('carol to fetch the forwarded file', async () => (await fileOf(carol, forwarded.id)).state === 'complete', LONG)
  await savedWhole(carol, forwarded.id, data)
  const newRoot = bob.logs.find((l) => l.msg === 'file shared' && l.file === forwarded.id)?.root
  assert.equal(typeof newRoot, 'string')
  assert.notEqual(newRoot, Buffer.from(await rootOf(owner, sent.id)).toString('hex'), 'sealed afresh, not the original re-announced')
  // A message that is no file cannot be forwarded as one.
  const plain = await owner.api.call('chat.send', { conversationId: channelId, text: 'no file here' })
  await waitFor('bob to get the text', async () => (await bob.api.call('chat.history', { conversationId: channelId, limit: 5 })).some((m) => m.id === plain.id), LONG)
  await assert.rejects(bob.api.call('files.forward', { messageId: plain.id, peerId: carol.peerId }), { code: 'not-found' })
})

test('a recalled file leaves every member\'s disk: its chunks, its manifest and its transfer state', async () => {
  const blobs = async (node: NodeProcess): Promise<number> => (await allFiles(join(node.dataDir, 'blobs'))).length
  const before = await Promise.all([bob, carol].map(blobs))
  const { sent } = await share('wrong-file.bin', 3 * 1024 * 1024 + 7)
  for (const node of [bob, carol]) await waitFor('the file fetched', async () => (await fileOf(node, sent.id)).state === 'complete', LONG)
  const during = await Promise.all([bob, carol].map(blobs))
  during.forEach((n, i) => { assert.ok(n >= (before[i] ?? 0) + 4, 'four chunks and a manifest came') })
  await owner.api.call('chat.recall', { messageId: sent.id })
  for (const [i, node] of [bob, carol].entries()) {
    await waitFor('the tombstone', async () => (await node.api.call('chat.history', { conversationId: channelId, limit: 50 })).find((m) => m.id === sent.id)?.recalled !== undefined, LONG)
    await waitFor('the chunks deleted', async () => await blobs(node) === before[i], LONG)
    await assert.rejects(fileOf(node, sent.id), /not-found|no file/)
    assert.ok(!(await node.api.call('files.list', { conversationId: channelId })).some((f) => f.messageId === sent.id))
  }
})

test('a file above the automatic size waits to be asked for; a receiver killed mid-way resumes without fetching again what it verified', async () => {
  const { data, sent } = await share('video.mp4', 96 * 1024 * 1024)
  await waitFor('the file message to reach carol', async () => (await carol.api.call('chat.history', { conversationId: channelId, limit: 20 })).some((m) => m.id === sent.id), LONG)
  // Bob's copy of the message is the witness that carol's arrived as long ago: nothing was fetched.
  await waitFor('the file message to reach bob', async () => (await bob.api.call('chat.history', { conversationId: channelId, limit: 20 })).some((m) => m.id === sent.id), LONG)
  assert.equal((await fileOf(carol, sent.id)).state, 'remote')
  assert.equal((await fileOf(carol, sent.id)).haveBytes, 0)

  // The first progress event means verified chunks are on carol's disk: then she crashes.
  const firstProgress = new Promise<FileView>((resolve) => {
    const off = carol.api.on('files.changed', (f) => { if (f.messageId === sent.id && f.haveBytes > 0) { off(); resolve(f) } })
  })
  await carol.api.call('files.download', { messageId: sent.id })
  await firstProgress
  await carol.kill()
  carol = await restart(carol)
  const before = await fileOf(carol, sent.id)
  assert.ok(before.haveBytes > 0 && before.haveBytes < data.byteLength, `part of the file is kept across the crash (${before.haveBytes} of ${data.byteLength})`)
  // The transfer was still wanted: it resumes by itself once the holder is connected.
  await waitFor('the file to complete after the restart', async () => (await fileOf(carol, sent.id)).state === 'complete', LONG)
  const done = await waitFor('the transfer\'s summary line', () => carol.logs.find((l) => l.msg === 'file fetched' && l.file === sent.id), LONG)
  const chunks = Math.ceil(data.byteLength / (1024 * 1024))
  assert.equal(done.chunks, chunks)
  assert.equal(Number(done.had) + Number(done.fetched), chunks, 'what was verified before the crash is not fetched again')
  assert.ok(Number(done.had) > 0)
  await savedWhole(carol, sent.id, data)
})

test('a member serving corrupt chunks is refused, and the file completes from another holder', async () => {
  const { data, sent } = await share('report.xlsx', 22 * 1024 * 1024)
  await waitFor('the message to reach bob and carol', async () => {
    const seen = await Promise.all([bob, carol].map(async (n) => (await n.api.call('chat.history', { conversationId: channelId, limit: 30 })).some((m) => m.id === sent.id)))
    return seen.every(Boolean)
  }, LONG)
  await bob.api.call('files.download', { messageId: sent.id })
  await waitFor('bob to fetch the file', async () => (await fileOf(bob, sent.id)).state === 'complete', LONG)

  // The author goes away; bob's disk goes bad (every whole chunk he holds flipped, names kept).
  await Promise.all([owner.stop(), bob.stop()])
  for (const file of await allFiles(join(bob.dataDir, 'blobs'))) {
    if ((await stat(file)).size !== 1024 * 1024 + 16) continue
    const bytes = await readFile(file)
    bytes[100] = (bytes[100] ?? 0) ^ 0xff
    await writeFile(file, bytes)
  }
  bob = await startNode(bob.dataDir, { env })
  await meshConnect([bob, carol])
  await carol.api.call('files.download', { messageId: sent.id })
  // Bob is the only holder reachable: his first chunk fails the manifest, he is dropped, and no
  // corrupt byte is kept.
  const stuck = await waitFor('carol to give up on bob', async () => {
    const f = await fileOf(carol, sent.id)
    return f.error !== null ? f : undefined
  }, LONG)
  assert.equal(stuck.state, 'fetching')
  assert.equal(stuck.haveBytes, 0)
  assert.ok(carol.logs.some((l) => l.msg === 'a holder sent a chunk that is not the file\'s; asking others' && l.peer === bob.peerId))

  // The author is back: the transfer resumes by itself and completes from it.
  owner = await restart(owner)
  await waitFor('carol to fetch the file from the owner', async () => (await fileOf(carol, sent.id)).state === 'complete', LONG)
  await savedWhole(carol, sent.id, data)
})

test('a workspace member outside the channel, holding the file\'s address, is refused its manifest and chunks', async () => {
  const { sent } = await share('secret.bin', 2 * 1024 * 1024)
  await waitFor('bob to fetch the file', async () => (await fileOf(bob, sent.id)).state === 'complete', LONG)
  // The worst case: Dave learned the conversation and root (say, from a member's screen).
  const root = await rootOf(owner, sent.id)
  await dave.stop()
  const thief = await startAttacker((await stealDevice(dave.dataDir)).key)
  try {
    const ask = async <T>(fn: (stream: Stream) => Promise<T>): Promise<T> => fn(await thief.node.dialProtocol(multiaddr(owner.address), FILES_PROTOCOL, { signal: AbortSignal.timeout(10_000) }))
    await assert.rejects(ask((s) => askManifest(s, channelId, root)), { code: 'not-member' })
    await assert.rejects(ask((s) => askChunks(s, channelId, root, 0, 2, () => Promise.resolve())), { code: 'not-member' })
    // The same asks from a member succeed: the refusal is about Dave, not the file.
    const stolenBob = await (async () => { await bob.stop(); return stealDevice(bob.dataDir) })()
    const member = await startAttacker(stolenBob.key)
    try {
      const manifest = await askManifest(await member.node.dialProtocol(multiaddr(owner.address), FILES_PROTOCOL, { signal: AbortSignal.timeout(10_000) }), channelId, root)
      assert.equal(sha(manifest), Buffer.from(root).toString('hex'))
    } finally {
      await member.stop()
      bob = await restart(bob)
    }
  } finally {
    await thief.stop()
    dave = await startNode(dave.dataDir, { env })
  }
})

/** The file's root, as the owner's store keeps it in the message (what a leak would give away). */
async function rootOf(node: NodeProcess, messageId: MessageId): Promise<Uint8Array> {
  const files = await node.api.call('files.list', {})
  const f = files.find((x) => x.messageId === messageId)
  assert.ok(f !== undefined)
  const line = node.logs.find((l) => l.msg === 'file shared' && l.file === messageId)
  assert.ok(typeof line?.root === 'string', 'the owner logs the root of a file it shares')
  return new Uint8Array(Buffer.from(line.root, 'hex'))
}

/** A 1×1 PNG: the smallest real picture a shell could send as a thumbnail. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

test('an upload from a shell is sealed as it arrives: chunks in order and of the right size only, and a file past the quota is refused before any byte', async () => {
  const data = randomBytes(2 * 1024 * 1024 + 100)
  const { uploadId, chunkBytes } = await owner.api.call('files.startUpload', { name: 'pasted.png', size: data.byteLength, mime: 'image/png' })
  const piece = (i: number): string => data.subarray(i * chunkBytes, (i + 1) * chunkBytes).toString('base64')
  await assert.rejects(owner.api.call('files.uploadChunk', { uploadId, index: 1, data: piece(1) }), { code: 'bad-request', message: /expected chunk 0/ })
  await assert.rejects(owner.api.call('files.uploadChunk', { uploadId, index: 0, data: piece(2) }), { code: 'bad-request', message: /must be/ })
  for (let i = 0; i * chunkBytes < data.byteLength; i++) await owner.api.call('files.uploadChunk', { uploadId, index: i, data: piece(i) })
  // The shell's thumbnail must be the picture type it claims, and small: checked before anything is sent.
  const notAPicture = `data:image/webp;base64,${Buffer.from('<html><script>alert(1)</script></html>').toString('base64')}`
  await assert.rejects(owner.api.call('files.finishUpload', { uploadId, conversationId: channelId, preview: { width: 2, height: 1, thumb: notAPicture } }), { code: 'bad-request' })
  const preview = { width: 1600, height: 900, thumb: `data:image/png;base64,${TINY_PNG}` }
  const sent = await owner.api.call('files.finishUpload', { uploadId, conversationId: channelId, caption: 'from the clipboard', preview })
  assert.deepEqual(sent.file, { name: 'pasted.png', size: data.byteLength, mime: 'image/png', preview })
  // The thumbnail travels inside the message: bob shows it before (and without) the file.
  const arrived = await waitFor('the pasted picture to reach bob', async () => (await bob.api.call('chat.history', { conversationId: channelId, limit: 20 })).find((m) => m.id === sent.id), LONG)
  assert.deepEqual(arrived.file?.preview, preview)
  await waitFor('bob to fetch the upload', async () => (await fileOf(bob, sent.id)).state === 'complete', LONG)
  // …and a shell shows the file itself by reading it chunk by chunk.
  const first = await bob.api.call('files.readChunk', { messageId: sent.id, index: 0 })
  assert.ok(Buffer.from(first.data, 'base64').equals(data.subarray(0, chunkBytes)))
  await assert.rejects(bob.api.call('files.readChunk', { messageId: sent.id, index: 3 }), { code: 'not-found' })
  await savedWhole(bob, sent.id, data)

  // 30 GiB is under the 64 GiB file limit but over the store's 20 GiB quota.
  await assert.rejects(owner.api.call('files.startUpload', { name: 'huge.iso', size: 30 * 1024 ** 3 }), { code: 'over-quota' })
  const path = join(work, 'sparse.iso')
  const fh = await open(path, 'w')
  await fh.truncate(30 * 1024 ** 3)
  await fh.close()
  const before = (await allFiles(join(owner.dataDir, 'blobs'))).length
  await assert.rejects(owner.api.call('files.send', { conversationId: channelId, path }), { code: 'over-quota' })
  assert.equal((await allFiles(join(owner.dataDir, 'blobs'))).length, before, 'nothing was sealed or stored')
})

test('the workspace\'s file rules hold on every device: a member cannot share past them, and nobody fetches what they forbid', async () => {
  // Shared before the rules: above the automatic size, so nobody has fetched it yet.
  const { sent } = await share('image.iso', 24 * 1024 * 1024)
  await waitFor('the file message to reach bob', async () => (await bob.api.call('chat.history', { conversationId: channelId, limit: 30 })).some((m) => m.id === sent.id), LONG)
  const [ws] = await owner.api.call('workspaces.list', {})
  if (ws === undefined) throw new Error('no workspace')
  // An admin sets them from the CLI.
  const set = await enclave('workspace', 'file-rules', ws.id, '--max-mb', '5', '--block', '.ISO,exe', '--data', owner.dataDir)
  assert.equal(set.code, 0, set.stderr)
  assert.match(set.stdout, /largest file: 5 MB\nblocked types: exe, iso\nfiles with guests: allowed/)
  await waitFor('the rules to reach bob', async () => (await bob.api.call('workspaces.list', {}))[0]?.filePolicy.maxBytes === 5_000_000, LONG)

  // Bob's own device refuses before reading a byte: too large, or a blocked type.
  const blobs = (await allFiles(join(bob.dataDir, 'blobs'))).length
  for (const [name, size] of [['recording.wav', 6_000_000], ['setup.exe', 1000]] as const) {
    const path = join(work, name)
    await writeFile(path, randomBytes(size))
    await assert.rejects(bob.api.call('files.send', { conversationId: channelId, path }), { code: 'blocked-by-policy' })
  }
  assert.equal((await allFiles(join(bob.dataDir, 'blobs'))).length, blobs, 'nothing was sealed or stored')
  // What came before the rules is not fetched either: asked for, it is refused, and it shows why.
  await assert.rejects(bob.api.call('files.download', { messageId: sent.id }), { code: 'blocked-by-policy' })
  const seen = await fileOf(bob, sent.id)
  assert.equal(seen.blocked, true)
  assert.equal(seen.haveBytes, 0)
  // Within the rules, files still go.
  const { data, sent: allowed } = await share('notes.txt', 100_000)
  await waitFor('bob to fetch the allowed file', async () => (await fileOf(bob, allowed.id)).state === 'complete', LONG)
  await savedWhole(bob, allowed.id, data)

  assert.equal((await enclave('workspace', 'file-rules', ws.id, '--clear', '--data', owner.dataDir)).code, 0)
  await waitFor('the rules to be lifted on every member', async () => (await Promise.all([bob, carol, dave].map(async (n) => (await n.api.call('workspaces.list', {}))[0]?.filePolicy.blocked.length))).every((m) => m === 0), LONG)
})

test('a 1 GiB file goes between two processes whole: its manifest checked against the root, every chunk against the manifest, the saved copy byte for byte', async () => {
  // Written in 64 MiB pieces, hashed on the way: the same bytes must come out of Bob's copy. The
  // original and the copy live in memory (tmpfs) where there is one: two gigabytes written to
  // disk here would still be flushing while the tests after this one sync their stores.
  const GiB = 1024 ** 3
  const scratch = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/enclave-gib-') : work
  const path = join(scratch, 'disk-image.bin')
  const shaIn = createHash('sha256')
  const fh = await open(path, 'w')
  for (let at = 0; at < GiB; at += 64 * 1024 * 1024) {
    const piece = randomBytes(64 * 1024 * 1024)
    shaIn.update(piece)
    await fh.write(piece)
  }
  await fh.close()
  const sent = await owner.api.call('files.send', { conversationId: channelId, path })
  await waitFor('the file message to reach bob', async () => (await bob.api.call('chat.history', { conversationId: channelId, limit: 30 })).some((m) => m.id === sent.id), LONG)
  await bob.api.call('files.download', { messageId: sent.id })
  await waitFor('bob to fetch 1 GiB', async () => (await fileOf(bob, sent.id)).state === 'complete', { timeoutMs: 300_000, intervalMs: 200 })
  const out = join(scratch, 'disk-image-copy.bin')
  await bob.api.call('files.save', { messageId: sent.id, path: out })
  const shaOut = createHash('sha256')
  for await (const piece of createReadStream(out)) shaOut.update(piece as Buffer)
  assert.equal(shaOut.digest('hex'), shaIn.digest('hex'))
  const done = await waitFor('bob\'s summary of the transfer', () => bob.logs.find((l) => l.msg === 'file fetched' && l.file === sent.id), LONG)
  assert.equal(done.chunks, 1024)
  // Four copies of a gigabyte would crowd the disk for the tests after: both sides let it go.
  await Promise.all([owner, bob].map((n) => n.api.call('files.remove', { messageId: sent.id })))
  await Promise.all([rm(path), rm(out)])
  if (scratch !== work) await rm(scratch, { recursive: true })
})

test('three members hold a file and one of them goes mid-transfer: a fourth still gets it whole, from the other two', async () => {
  // Dave joins the channel: the fourth member.
  await owner.api.call('channels.add', { conversationId: channelId, members: [dave.peerId] })
  await waitFor('dave to be in the channel', async () => (await dave.api.call('conversations.list', {})).find((c) => c.id === channelId)?.status === 'active', LONG)
  const { data, sent } = await share('site-survey.mov', 160 * 1024 * 1024)
  for (const node of [bob, carol, dave]) await waitFor('the file message to arrive', async () => (await node.api.call('chat.history', { conversationId: channelId, limit: 30 })).some((m) => m.id === sent.id), LONG)
  await Promise.all([bob, carol].map((n) => n.api.call('files.download', { messageId: sent.id })))
  await waitFor('bob and carol to hold the file', async () => (await Promise.all([bob, carol].map((n) => fileOf(n, sent.id)))).every((f) => f.state === 'complete'), LONG)

  // Dave fetches from all three at once; at his first verified chunk bob's device dies.
  const firstProgress = new Promise<void>((resolve) => {
    const off = dave.api.on('files.changed', (f) => { if (f.messageId === sent.id && f.haveBytes > 0) { off(); resolve() } })
  })
  await dave.api.call('files.download', { messageId: sent.id })
  await firstProgress
  await bob.kill()
  await waitFor('dave to complete the file', async () => (await fileOf(dave, sent.id)).state === 'complete', LONG)
  await savedWhole(dave, sent.id, data)
  const done = await waitFor('dave\'s summary of the transfer', () => dave.logs.find((l) => l.msg === 'file fetched' && l.file === sent.id), LONG)
  const from = done.from as Record<string, number>
  assert.equal(Object.values(from).reduce((a, b) => a + b, 0), 160, 'every chunk came from some holder, once')
  assert.ok((from[owner.peerId] ?? 0) > 0 && (from[carol.peerId] ?? 0) > 0, `the holders left served the rest: ${JSON.stringify(from)}`)
  assert.ok(dave.logs.some((l) => l.msg === 'a run of chunks failed at a holder' && l.peer === bob.peerId), 'runs under way at bob failed and went to the others')
})

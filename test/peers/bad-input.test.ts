import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { encode as cborEncode } from 'cborg'
import * as varint from 'uint8-varint'
import { CHAT_PROTOCOL, encodeFrame } from '../../src/chat/chat-frames.js'
import { createEnvelopeSigner } from '../../src/chat/envelope-signature.js'
import { dmConversationId } from '../../src/chat/ids.js'
import { peerIdOf } from '../../src/ids.js'
import { concatFrames } from '../../src/net/frame-reader.js'
import { createNetNode, type NetNode } from '../../src/net/libp2p-node.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { Envelope, UnsignedEnvelope } from '../../src/chat/envelope.js'

let alice: NodeProcess
let carol: NodeProcess
let mallory: NetNode
/** Mallory signs as herself: her envelopes carry a valid signature of hers, and no one else's. */
let signAsMallory: (env: UnsignedEnvelope) => Envelope

before(async () => {
  alice = await startNode(await makeDataDir('alice'))
  carol = await startNode(await makeDataDir('carol'), { peers: [alice.address] })
  const malloryKey = await generateKeyPair('Ed25519')
  signAsMallory = createEnvelopeSigner(malloryKey)
  mallory = await createNetNode({ privateKey: malloryKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
})

after(async () => {
  await mallory.stop()
  await Promise.all([alice.stop(), carol.stop()])
  await Promise.all([removeDataDir(alice.dataDir), removeDataDir(carol.dataDir)])
})

function prefixed(body: Uint8Array): Uint8Array {
  return concatFrames([varint.encode(body.byteLength), body])
}

/** Opens a chat stream from mallory to alice, writes `bytes`, optionally half-closes, and waits for alice to reset it. */
async function attack(bytes: Uint8Array, opts: { closeWrite?: boolean } = {}): Promise<string> {
  const stream = await mallory.dialProtocol(multiaddr(alice.address), CHAT_PROTOCOL)
  stream.send(bytes)
  if (opts.closeWrite === true) await stream.close({ signal: AbortSignal.timeout(5_000) }).catch(() => undefined)
  await waitFor('alice to reset the stream', () => stream.status !== 'open' && stream.status !== 'closing', { timeoutMs: 10_000 })
  return stream.status
}

async function chatStillWorks(label: string): Promise<void> {
  const sent = await carol.api.call('chat.send', { peerId: alice.peerId, text: label })
  await waitFor(`carol's "${label}" to be delivered`, async () => {
    const history = await carol.api.call('chat.history', { peerId: alice.peerId, limit: 5 })
    return history.find((m) => m.id === sent.id)?.state === 'delivered'
  })
}

function loggedReset(code: string): boolean {
  return alice.logs.some((l) => l.msg === 'chat stream reset' && l.code === code && l.peer === mallory.peerId.toString())
}

const env = (over: Partial<UnsignedEnvelope>): Envelope => signAsMallory({
  v: 3,
  conv: dmConversationId(alice.peerId, peerIdOf(mallory.peerId)),
  author: peerIdOf(mallory.peerId),
  seq: 1,
  kind: 'app',
  epoch: 1,
  mls: new TextEncoder().encode('not MLS at all'),
  ...over
})

function loggedDrop(author: string, seq: number, code: string): boolean {
  return alice.logs.some((l) => l.msg === 'dropped an envelope' && l.author === author && l.seq === seq && l.code === code)
}

test('a malformed frame resets that stream with bad-frame; other peers keep chatting', async () => {
  await chatStillWorks('before the attacks')
  const status = await attack(prefixed(Uint8Array.from([0xff, 0xfe, 0x00, 0x01])))
  assert.notEqual(status, 'open')
  await waitFor('the coded log line', () => loggedReset('bad-frame'))
  await chatStillWorks('after garbage')
})

test('an oversized frame is refused from its length prefix with too-large', async () => {
  await attack(varint.encode(50 * 1024 * 1024))
  await waitFor('the coded log line', () => loggedReset('too-large'))
  await chatStillWorks('after oversized')
})

test('a truncated frame (stream ends mid-frame) resets with bad-frame', async () => {
  const before = alice.logs.filter((l) => l.code === 'bad-frame').length
  const whole = encodeFrame({ t: 'msg', env: env({ seq: 1 }) })
  await attack(whole.subarray(0, whole.byteLength - 5), { closeWrite: true })
  await waitFor('the coded log line', () => alice.logs.filter((l) => l.code === 'bad-frame' && l.peer === mallory.peerId.toString()).length > before)
  await chatStillWorks('after truncated')
})

test('an envelope forged in another member\'s name is dropped with a coded reason and nothing is stored', async () => {
  // Envelopes may arrive through mailboxes and other members, so the transport does not vouch
  // for the author: the author's signature does. Mallory's bytes claim to be carol's next message.
  const withCarol = (await alice.api.call('conversations.open', { peerId: carol.peerId })).id
  const stream = await mallory.dialProtocol(multiaddr(alice.address), CHAT_PROTOCOL)
  stream.send(encodeFrame({ t: 'msg', env: env({ conv: withCarol, author: carol.peerId, seq: 9_999 }) }))
  await waitFor('the forged envelope dropped with wrong-author', () => loggedDrop(carol.peerId, 9_999, 'wrong-author'))
  stream.abort(new Error('done'))
  const history = await alice.api.call('chat.history', { peerId: carol.peerId, limit: 100 })
  assert.ok(history.every((m) => m.author === carol.peerId || m.author === alice.peerId))
  assert.ok(!history.some((m) => m.text.includes('not MLS')))
  await chatStillWorks('after a forgery')
})

test('an envelope of an unknown version is refused with unsupported-version', async () => {
  await attack(prefixed(cborEncode({ t: 'msg', env: { ...env({}), v: 99 } })))
  await waitFor('the coded log line', () => loggedReset('unsupported-version'))
  await chatStillWorks('after all attacks')
})

test('valid frames before a bad one in the same burst are stored and processed', async () => {
  const good = encodeFrame({ t: 'msg', env: env({ seq: 7 }) })
  await attack(concatFrames([good, prefixed(Uint8Array.from([0xff]))]))
  // Signed by its author, so stored (that is what the ack promises), then tried: it is no MLS message, so dropped.
  await waitFor('the good frame processed', () => loggedDrop(mallory.peerId.toString(), 7, 'bad-frame'))
  await chatStillWorks('after a burst')
})

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encode as cborEncode } from 'cborg'
import * as varint from 'uint8-varint'
import { CHAT_PROTOCOL, encodeFrame } from '../../src/chat/chat-frames.js'
import { dmConversationId } from '../../src/chat/ids.js'
import { concatFrames } from '../../src/net/frame-reader.js'
import { createNetNode, type NetNode } from '../../src/net/libp2p-node.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { PeerIdString } from '../../src/api/contract.js'

let alice: NodeProcess
let carol: NodeProcess
let mallory: NetNode

before(async () => {
  alice = await startNode(await makeDataDir('alice'))
  carol = await startNode(await makeDataDir('carol'), { peers: [alice.address] })
  mallory = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
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

const env = (over: Record<string, unknown>): Record<string, unknown> => ({
  v: 1,
  conv: dmConversationId(alice.peerId as PeerIdString, mallory.peerId.toString() as PeerIdString),
  author: mallory.peerId.toString(),
  seq: 1,
  hlc: Date.now() * 1000,
  body: { type: 'text', text: 'x' },
  ...over
})

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
  const whole = encodeFrame({ t: 'msg', env: env({ seq: 1 }) as never })
  await attack(whole.subarray(0, whole.byteLength - 5), { closeWrite: true })
  await waitFor('the coded log line', () => alice.logs.filter((l) => l.code === 'bad-frame' && l.peer === mallory.peerId.toString()).length > before)
  await chatStillWorks('after truncated')
})

test('a message claiming another author or conversation is refused and not stored', async () => {
  await attack(prefixed(cborEncode({ t: 'msg', env: env({ author: carol.peerId }) })))
  await waitFor('wrong-author logged', () => loggedReset('wrong-author'))
  await attack(prefixed(cborEncode({ t: 'msg', env: env({ conv: dmConversationId(alice.peerId as PeerIdString, carol.peerId as PeerIdString) }) })))
  await waitFor('wrong-conversation logged', () => loggedReset('wrong-conversation'))
  const withCarol = await alice.api.call('chat.history', { peerId: carol.peerId, limit: 100 })
  assert.ok(withCarol.every((m) => m.author === carol.peerId || m.author === alice.peerId))
  assert.ok(!withCarol.some((m) => m.text === 'x'))
})

test('an envelope of an unknown version is refused with unsupported-version', async () => {
  await attack(prefixed(cborEncode({ t: 'msg', env: env({ v: 99 }) })))
  await waitFor('the coded log line', () => loggedReset('unsupported-version'))
  await chatStillWorks('after all attacks')
})

test('valid frames before a bad one in the same burst are stored and acknowledged', async () => {
  const good = encodeFrame({ t: 'msg', env: env({ seq: 1, body: { type: 'text', text: 'legit before garbage' } }) as never })
  await attack(concatFrames([good, prefixed(Uint8Array.from([0xff]))]))
  const history = await alice.api.call('chat.history', { peerId: mallory.peerId.toString(), limit: 10 })
  assert.deepEqual(history.map((m) => m.text), ['legit before garbage'])
  assert.equal(peerIdFromString(history[0]!.author).toString(), mallory.peerId.toString())
})

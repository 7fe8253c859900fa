import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { createInboundBudgets, grantOf } from './inbound-budget.js'
import { createProtocolHost, MAX_STRANGER_STREAMS_PER_CONNECTION, type ProtocolHostComponents } from './protocol-host.js'
import { NOT_AVAILABLE } from './refuse-stream.js'
import { ask } from './request-reply.js'
import type { Connection, Stream, StreamHandler } from '@libp2p/interface'

/** A protocol host over a node that only records handlers; `open` plays a peer opening a stream. */
async function host(allowed: boolean, budgets = createInboundBudgets()): Promise<{ open(protocol: string, prepare?: (server: Stream) => void): Promise<{ asker: Stream; server: Stream }>; handled: string[]; aborted: Error[]; register: ReturnType<typeof createProtocolHost> }> {
  const handlers = new Map<string, StreamHandler>()
  const node: ProtocolHostComponents['node'] = {
    handle: (protocol, handler) => { handlers.set(String(protocol), handler); return Promise.resolve() },
    dialProtocol: () => Promise.reject(new Error('not dialled in this test'))
  }
  const register = createProtocolHost({ node, log: createMemoryLogger(), allows: () => allowed, budgets })
  const aborted: Error[] = []
  const connection = { remotePeer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), abort: (err: Error) => { aborted.push(err) } } as unknown as Connection
  const handled: string[] = []
  return {
    handled,
    aborted,
    register,
    open: async (protocol, prepare) => {
      const [asker, server] = await streamPair()
      prepare?.(server)
      void handlers.get(protocol)?.(server, connection)
      return { asker, server }
    }
  }
}

const refusedAsStranger = (err: unknown): boolean => err instanceof EnclaveError && err.code === 'not-member' && err.message === NOT_AVAILABLE

test('a stranger opening a members-only protocol is refused with the stranger refusal; the handler never runs', async () => {
  const h = await host(false)
  await h.register.handleMembers('/enclave/chat/x', () => { h.handled.push('chat') })
  const { asker } = await h.open('/enclave/chat/x')
  await assert.rejects(ask(asker, { t: 'msg' }, { maxReplyBytes: 1024 }, (exchange) => exchange.next()), refusedAsStranger)
  assert.deepEqual(h.handled, [])
})

test('streams carry their peer\'s grant, and a stranger gets only a few at once', async () => {
  const h = await host(false, createInboundBudgets({ stranger: { streams: 2, bytes: 4096 } }))
  const held: Stream[] = []
  await h.register.handleAnyone('/enclave/join/x', (stream) => {
    assert.equal(grantOf(stream)?.standing, 'stranger')
    held.push(stream)
  })
  await h.open('/enclave/join/x')
  await h.open('/enclave/join/x')
  const third = await h.open('/enclave/join/x')
  assert.equal(held.length, 2)
  await assert.rejects(ask(third.asker, {}, { maxReplyBytes: 1024 }, (exchange) => exchange.next()), refusedAsStranger)
  // A stream that ends gives its slot back.
  held[0]?.abort(new Error('done'))
  await h.open('/enclave/join/x')
  assert.equal(held.length, 3)
})

test('a member reaches members-only protocols, within its own stream budget', async () => {
  const h = await host(true, createInboundBudgets({ member: { streams: 1, bytes: 1024 } }))
  const held: Stream[] = []
  await h.register.handleMembers('/enclave/docs/x', (stream) => {
    assert.equal(grantOf(stream)?.standing, 'member')
    held.push(stream)
  })
  await h.open('/enclave/docs/x')
  const second = await h.open('/enclave/docs/x')
  assert.equal(held.length, 1)
  assert.equal(second.server.status, 'aborted', 'over its budget: reset with too-large')
})

test('a stranger opening stream after stream loses its connection; a member does not', async () => {
  const roomy = { streams: 1000, bytes: 1024 * 1024 }
  const h = await host(false, createInboundBudgets({ stranger: roomy, strangers: roomy }))
  await h.register.handleAnyone('/enclave/join/x', (stream) => { stream.abort(new Error('done')) })
  for (let i = 0; i < MAX_STRANGER_STREAMS_PER_CONNECTION; i++) await h.open('/enclave/join/x')
  assert.deepEqual(h.aborted, [], 'proving membership or joining takes a few streams')
  const over = await h.open('/enclave/join/x')
  assert.equal(over.server.status, 'aborted')
  assert.equal(h.aborted.length, 1, 'the connection is closed')

  const m = await host(true)
  await m.register.handleAnyone('/enclave/join/x', (stream) => { stream.abort(new Error('done')) })
  for (let i = 0; i <= MAX_STRANGER_STREAMS_PER_CONNECTION; i++) await m.open('/enclave/join/x')
  assert.deepEqual(m.aborted, [])
})

test('a refused stranger\'s stream asks for no more bytes than it already allowed', async () => {
  const h = await host(false)
  await h.register.handleMembers('/enclave/chat/x', () => { h.handled.push('chat') })
  const calls: string[] = []
  await h.open('/enclave/chat/x', (server) => {
    const pause = server.pause.bind(server)
    const closeRead = server.closeRead.bind(server)
    server.pause = () => { calls.push('pause'); pause() }
    server.closeRead = async (options) => { calls.push('closeRead'); await closeRead(options) }
  })
  // Paused first: a yamux stream then grants no more window, where closed for reading it kept granting.
  assert.deepEqual(calls, ['pause', 'closeRead'])
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createApiServer, type Handlers } from '../../src/api/server.js'
import { createPortPair } from '../../src/api/port.js'
import { ApiCallError, createApiClient } from './api-client.js'
import type { LinkTarget, PeerIdString, ProfileView } from '../../src/api/contract.js'

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent }
const me = '12D3KooWme' as PeerIdString

function serve(handlers: Partial<Handlers>): ReturnType<typeof createApiServer> {
  return createApiServer(handlers as Handlers, silent)
}

test('calls resolve with the value and reject with the coded error', async () => {
  const server = serve({ 'profile.set': ({ displayName }) => Promise.resolve({ peerId: me, displayName: displayName ?? null, presence: 'online' } satisfies ProfileView) })
  const [clientEnd, serverEnd] = createPortPair()
  server.connect(serverEnd)
  const client = createApiClient()
  client.attach(clientEnd)

  assert.deepEqual(await client.call('profile.set', { displayName: 'Ada' }), { peerId: me, displayName: 'Ada', presence: 'online' })
  await assert.rejects(client.call('profile.set', { displayName: 'x'.repeat(1000) }), (err: unknown) => err instanceof ApiCallError && err.code === 'bad-request')
  await assert.rejects(client.call('peers.list', {}), (err: unknown) => err instanceof ApiCallError && err.code === 'internal')
})

test('events reach subscribers until they unsubscribe, across a new port', async () => {
  const server = serve({})
  const client = createApiClient()
  const seen: LinkTarget[] = []
  const off = client.on('shell.linkOpened', (target) => seen.push(target))
  const target: LinkTarget = { kind: 'peer', peerId: me }

  const [a, b] = createPortPair()
  server.connect(b)
  client.attach(a)
  server.emit('shell.linkOpened', target)
  await new Promise((resolve) => setImmediate(resolve))

  const [c, d] = createPortPair()
  server.connect(d)
  client.attach(c)
  assert.equal(server.clients, 1, 'the old port is closed when a new one is attached')
  server.emit('shell.linkOpened', target)
  await new Promise((resolve) => setImmediate(resolve))
  off()
  server.emit('shell.linkOpened', target)
  await new Promise((resolve) => setImmediate(resolve))

  assert.deepEqual(seen, [target, target])
})

test('calls fail with node-not-running without a port, and when the port goes away mid-call', async () => {
  const client = createApiClient()
  await assert.rejects(client.call('node.info', {}), (err: unknown) => err instanceof ApiCallError && err.code === 'node-not-running')

  const [clientEnd, serverEnd] = createPortPair()
  client.attach(clientEnd)
  const pending = client.call('node.info', {})
  serverEnd.close()
  await assert.rejects(pending, (err: unknown) => err instanceof ApiCallError && err.code === 'node-not-running')
  await assert.rejects(client.call('node.info', {}), (err: unknown) => err instanceof ApiCallError && err.code === 'node-not-running')
})

import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { test } from 'node:test'
import { createStickyListen } from './sticky-listen.js'
import { memoryCollection } from '../store/test-memory-collection.js'


async function listen(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(port, '127.0.0.1', resolve) })
  const address = server.address()
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 }
}

const close = (server: Server): Promise<void> => new Promise((resolve) => { server.close(() => { resolve() }) })
const CONFIGURED = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']
const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

test('the first run leaves ports to the OS; later runs ask for the ports it bound, TCP and WebSocket apart', async () => {
  const meta = memoryCollection<never>('meta')
  const first = createStickyListen(CONFIGURED, meta)
  assert.deepEqual(await first.current(), CONFIGURED)
  // What libp2p lists once listening: one of each, with its PeerId, and a relayed one to ignore.
  const tcp = await listen()
  const ws = await listen()
  await close(tcp.server)
  await close(ws.server)
  await first.remember([`/ip4/127.0.0.1/tcp/${ws.port}/ws/p2p/${PEER}`, `/ip4/127.0.0.1/tcp/${tcp.port}/p2p/${PEER}`, `/ip4/127.0.0.1/tcp/1/p2p/${PEER}/p2p-circuit`])
  assert.deepEqual(await createStickyListen(CONFIGURED, meta).current(), [`/ip4/127.0.0.1/tcp/${tcp.port}`, `/ip4/127.0.0.1/tcp/${ws.port}/ws`])
})

test('a kept port someone else holds now, or a changed configuration, goes back to OS-chosen ports', async () => {
  const meta = memoryCollection<never>('meta')
  const held = await listen()
  try {
    await createStickyListen(CONFIGURED, meta).remember([`/ip4/127.0.0.1/tcp/${held.port}/p2p/${PEER}`, `/ip4/127.0.0.1/tcp/${held.port + 1}/ws/p2p/${PEER}`])
    assert.deepEqual(await createStickyListen(CONFIGURED, meta).current(), CONFIGURED)
  } finally {
    await close(held.server)
  }
  const other = ['/ip4/127.0.0.1/tcp/0']
  assert.deepEqual(await createStickyListen(other, meta).current(), other)
})

test('a wildcard listen address keeps the port its interfaces were bound on; a fixed port is kept as configured', async () => {
  const meta = memoryCollection<never>('meta')
  const configured = ['/ip4/0.0.0.0/tcp/0', '/ip4/127.0.0.1/tcp/4001']
  const free = await listen()
  await close(free.server)
  const sticky = createStickyListen(configured, meta)
  await sticky.remember([`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`, `/ip4/10.1.2.3/tcp/${free.port}/p2p/${PEER}`, `/ip4/127.0.0.1/tcp/${free.port}/p2p/${PEER}`, `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`])
  assert.deepEqual(await createStickyListen(configured, meta).current(), [`/ip4/0.0.0.0/tcp/${free.port}`, '/ip4/127.0.0.1/tcp/4001'])
})

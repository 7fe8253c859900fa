import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { ApiCallError } from './api-client.js'
import { createApiServer, type Handlers } from './server.js'
import { connectApi } from './ws-client.js'
import { serveLoopbackApi } from './ws-server.js'

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => { resolve() }))
  return typeof address === 'object' && address !== null ? address.port : 0
}

test('no node listening: connectApi fails with node-not-running', async () => {
  const url = `ws://127.0.0.1:${await closedPort()}`
  await assert.rejects(connectApi({ url, token: '00' }), (e) => e instanceof ApiCallError && e.code === 'node-not-running' && e.message.includes(url))
})

test('the node going away fails the waiting call with node-not-running and tells onClose', async () => {
  // node.info never answers: the call is still waiting when the server goes down.
  const handlers = { 'node.info': () => new Promise(() => undefined) } as unknown as Handlers
  const log = createMemoryLogger()
  const server = await serveLoopbackApi(createApiServer(handlers, log), log)
  const api = await connectApi({ url: server.url, token: server.token })
  const closed = new Promise<void>((resolve) => { api.onClose(resolve) })
  const waiting = api.call('node.info', {})
  await server.close()
  await assert.rejects(waiting, (e) => e instanceof ApiCallError && e.code === 'node-not-running')
  await closed
  await assert.rejects(api.call('node.info', {}), (e) => e instanceof ApiCallError && e.code === 'node-not-running')
})

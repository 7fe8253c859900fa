import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { createMemoryLogger } from '../logger.js'
import { ApiCallError } from './api-client.js'
import { API_SUBPROTOCOL, API_TOKEN_PREFIX } from './contract.js'
import { createApiServer, type Handlers } from './server.js'
import { connectApi } from './ws-client.js'
import { serveLoopbackApi } from './ws-server.js'

const handlers = {
  'peers.list': () => Promise.resolve([])
} as unknown as Handlers

async function upgradeStatus(url: string, protocols: string[], origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, origin === undefined ? {} : { origin })
    ws.on('open', () => { ws.close(); resolve(101) })
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0) })
    ws.on('error', () => undefined)
  })
}

test('listens on 127.0.0.1 only and serves calls to a client holding the token', async () => {
  const server = await serveLoopbackApi(createApiServer(handlers, createMemoryLogger()), createMemoryLogger())
  try {
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+$/)
    const api = await connectApi({ url: server.url, token: server.token })
    assert.deepEqual(await api.call('peers.list', {}), [])
    api.close()
  } finally {
    await server.close()
  }
})

test('refuses a missing or wrong token (401) and a foreign browser origin (403)', async () => {
  const log = createMemoryLogger()
  const server = await serveLoopbackApi(createApiServer(handlers, log), log)
  try {
    assert.equal(await upgradeStatus(server.url, [API_SUBPROTOCOL]), 401)
    assert.equal(await upgradeStatus(server.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${'0'.repeat(64)}`]), 401)
    assert.equal(await upgradeStatus(server.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${server.token}`], 'https://evil.example'), 403)
    assert.equal(await upgradeStatus(server.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${server.token}`], `http://127.0.0.1:${server.port}`), 101)
    await assert.rejects(connectApi({ url: server.url, token: 'nope' }), (e) => e instanceof ApiCallError && e.code === 'unauthorized')
  } finally {
    await server.close()
  }
})

test('a non-JSON message gets bad-request and the connection stays usable', async () => {
  const server = await serveLoopbackApi(createApiServer(handlers, createMemoryLogger()), createMemoryLogger())
  try {
    const ws = new WebSocket(server.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${server.token}`])
    await new Promise((resolve) => ws.once('open', resolve))
    const replies: unknown[] = []
    const next = (): Promise<unknown> => new Promise((resolve) => ws.once('message', (d: Buffer) => { resolve(JSON.parse(d.toString('utf8'))) }))
    let reply = next()
    ws.send('{not json')
    replies.push(await reply)
    reply = next()
    ws.send(JSON.stringify({ type: 'call', id: 9, method: 'peers.list' }))
    replies.push(await reply)
    assert.deepEqual(replies, [
      { type: 'result', id: -1, ok: false, error: { code: 'bad-request', message: 'malformed API frame' } },
      { type: 'result', id: 9, ok: true, value: [] }
    ])
    ws.close()
  } finally {
    await server.close()
  }
})

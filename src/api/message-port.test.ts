import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { mainPortToApiPort, type MainMessagePort } from './message-port.js'
import { createApiServer, type Handlers } from './server.js'

/** Stands in for Electron's MessagePortMain: messages queue until start(), like the real one. */
class FakeMainPort extends EventEmitter implements MainMessagePort {
  sent: unknown[] = []
  started = false
  private queued: unknown[] = []
  postMessage (message: unknown): void { this.sent.push(structuredClone(message)) }
  deliver (data: unknown): void {
    if (this.started) this.emit('message', { data })
    else this.queued.push(data)
  }
  start (): void {
    this.started = true
    for (const data of this.queued.splice(0)) this.emit('message', { data })
  }
  close (): void { this.emit('close') }
}

test('serves API calls over an Electron-style message port, including ones queued before start', async () => {
  const port = new FakeMainPort()
  port.deliver({ type: 'call', id: 1, method: 'peers.list', params: {} })
  const server = createApiServer({ 'peers.list': () => Promise.resolve([]) } as unknown as Handlers, createMemoryLogger())
  server.connect(mainPortToApiPort(port))
  assert.equal(port.started, true)
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(port.sent, [{ type: 'result', id: 1, ok: true, value: [] }])
  port.close()
  assert.equal(server.clients, 0)
})

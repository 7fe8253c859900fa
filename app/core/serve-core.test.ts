import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { serveCore } from './serve-core.js'
import type { MainMessagePort } from '../../src/api/message-port.js'
import type { Core, CoreInit } from '../../src/index.js'
import type { CoreMessage } from './host-messages.js'

class FakePort extends EventEmitter implements MainMessagePort {
  closed = false
  postMessage(): void { /* nothing listens in these tests */ }
  start(): void { /* messages are never queued here */ }
  close(): void { this.closed = true }
}

function setup(createCore: () => Promise<never>) {
  const parent = new EventEmitter()
  const sent: CoreMessage[] = []
  const exits: number[] = []
  serveCore({
    parentPort: { on: (event, listener) => parent.on(event, listener), postMessage: (message) => { sent.push(message) } },
    createCore,
    exit: (code) => { exits.push(code) }
  })
  const deliver = (data: unknown, ports: FakePort[] = []): void => { parent.emit('message', { data, ports }) }
  return { deliver, sent, exits }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('a core that cannot start is reported with its code and the process exits', async () => {
  const failure = Object.assign(new Error('store was written by a newer Enclave'), { code: 'store-too-new' })
  const { deliver, sent, exits } = setup(() => Promise.reject(failure))
  deliver({ type: 'init', dataDir: '/nowhere', mdns: false })
  await settle()
  assert.deepEqual(sent, [{ type: 'failed', error: { code: 'store-too-new', message: 'store was written by a newer Enclave' } }])
  assert.deepEqual(exits, [1])
})

test('ports that arrive before init, and malformed messages, are refused', async () => {
  let started = 0
  const { deliver, sent } = setup(() => {
    started++
    return new Promise<never>(() => undefined)
  })
  const early = new FakePort()
  deliver({ type: 'connect', clientId: 1 }, [early])
  deliver({ type: 'init', dataDir: 42, mdns: false })
  deliver('init')
  await settle()
  assert.equal(early.closed, true)
  assert.equal(started, 0)
  assert.deepEqual(sent, [])
})

test('the store key in init is handed to createCore, and a data key is wiped once the core is up', async () => {
  const parent = new EventEmitter()
  const sent: CoreMessage[] = []
  const inits: CoreInit[] = []
  const fakeCore = { peerId: '12D3KooWcore', api: {}, info: () => ({}), stop: () => Promise.resolve() } as unknown as Core
  serveCore({
    parentPort: { on: (event, listener) => parent.on(event, listener), postMessage: (message) => { sent.push(message) } },
    createCore: (init) => {
      inits.push(init)
      assert.ok(init.storeKey?.kind === 'data-key' && init.storeKey.key.every((byte) => byte === 5), 'intact while the core starts')
      return Promise.resolve(fakeCore)
    },
    exit: () => undefined
  })
  const key = new Uint8Array(32).fill(5)
  parent.emit('message', { data: { type: 'init', dataDir: '/nowhere', mdns: false, storeKey: { kind: 'data-key', key } }, ports: [] })
  await settle()
  assert.deepEqual(sent, [{ type: 'ready', peerId: '12D3KooWcore' }])
  assert.equal(inits.length, 1)
  assert.ok(key.every((byte) => byte === 0))
})

test('a malformed store key is refused with the rest of the message', async () => {
  let started = 0
  const { deliver } = setup(() => {
    started++
    return new Promise<never>(() => undefined)
  })
  deliver({ type: 'init', dataDir: '/nowhere', mdns: false, storeKey: { kind: 'data-key', key: new Uint8Array(16) } })
  deliver({ type: 'init', dataDir: '/nowhere', mdns: false, storeKey: { kind: 'data-key', key: 'AAAA' } })
  deliver({ type: 'init', dataDir: '/nowhere', mdns: false, storeKey: { kind: 'passphrase', passphrase: 42 } })
  deliver({ type: 'init', dataDir: '/nowhere', mdns: false, storeKey: { kind: 'basic_text' } })
  await settle()
  assert.equal(started, 0)
})

import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { mainPortToApiPort, type MainMessagePort } from '../../src/api/message-port.js'
import { createApiServer, type Handlers } from '../../src/api/server.js'
import { serveCore } from '../core/serve-core.js'
import { API_PORT_CHANNEL } from '../preload/forward-port.js'
import { ApiCallError, createApiClient } from '../../src/api/api-client.js'
import { createCoreHost, type CoreProcess, type PortReceiver } from './core-host.js'
import { createShellLog } from './shell-log.js'
import type { LinkTarget, NodeInfo, PeerIdString } from '../../src/api/contract.js'
import type { HostMessage, StoreKeyInit } from '../core/host-messages.js'
import type { Core, CoreInit } from '../../src/index.js'
import type { ApiError } from '../../src/api/contract.js'

/** Entangled like MessageChannelMain's ports: messages queue until start(); closing one closes both. */
class FakePort extends EventEmitter implements MainMessagePort {
  other: FakePort | null = null
  private started = false
  private closed = false
  private queued: unknown[] = []
  postMessage(message: unknown): void {
    if (this.closed) return
    const data = structuredClone(message)
    const other = this.other
    queueMicrotask(() => other?.receive(data))
  }
  receive(data: unknown): void {
    if (this.closed) return
    if (this.started) this.emit('message', { data })
    else this.queued.push(data)
  }
  start(): void {
    this.started = true
    for (const data of this.queued.splice(0)) this.emit('message', { data })
  }
  close(): void {
    if (this.closed) return
    this.closed = true
    this.emit('close')
    this.other?.close()
  }
}

function fakeChannel(): { port1: FakePort; port2: FakePort } {
  const port1 = new FakePort()
  const port2 = new FakePort()
  port1.other = port2
  port2.other = port1
  return { port1, port2 }
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent }

/** A core with two methods, enough to see which process answers. */
function fakeCore(generation: number, stopped: number[]): Core {
  const peerId = `12D3KooWcore${generation}` as PeerIdString
  const info: NodeInfo = { peerId, addresses: [], protocols: [], version: String(generation) }
  const api = createApiServer({
    'node.info': () => Promise.resolve(info),
    'shell.openLink': () => {
      const target: LinkTarget = { kind: 'peer', peerId }
      api.emit('shell.linkOpened', target)
      return Promise.resolve(target)
    }
  } as unknown as Handlers, silent)
  return { peerId, api, info: () => info, download: () => Promise.resolve(undefined), stop: () => { stopped.push(generation); return Promise.resolve() } }
}

/** A utility process running the real serveCore over a fake parentPort. */
class FakeCoreProcess extends EventEmitter implements CoreProcess<FakePort> {
  private readonly parent = new EventEmitter()
  private readonly ports: FakePort[] = []
  private exited = false

  constructor(createCore: (init: CoreInit) => Promise<Core>) {
    super()
    serveCore({
      parentPort: {
        on: (event, listener) => this.parent.on(event, listener),
        postMessage: (message) => { queueMicrotask(() => this.emit('message', structuredClone(message))) }
      },
      createCore,
      exit: (code) => { this.exit(code) }
    })
  }

  postMessage(message: HostMessage, transfer: FakePort[] = []): void {
    this.ports.push(...transfer)
    const data = structuredClone(message)
    queueMicrotask(() => this.parent.emit('message', { data, ports: transfer }))
  }

  kill(): boolean {
    this.exit(143)
    return true
  }

  /** Dies like a crashed process: its ends of every channel close. */
  exit(code: number): void {
    if (this.exited) return
    this.exited = true
    for (const port of this.ports) port.close()
    queueMicrotask(() => this.emit('exit', code))
  }
}

class FakeWindow extends EventEmitter implements PortReceiver<FakePort> {
  readonly received: FakePort[] = []
  postMessage(channel: string, _message: unknown, transfer: FakePort[]): void {
    assert.equal(channel, API_PORT_CHANNEL)
    this.received.push(...transfer)
  }
  load(): void {
    this.emit('did-start-loading')
    this.emit('did-finish-load')
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

interface SetupOptions {
  storeKey?: (failure: ApiError | null) => Promise<StoreKeyInit>
  /** Stands in for createCore in the utility process; by default every core starts. */
  createCore?: (generation: number, init: CoreInit, start: () => Promise<Core>) => Promise<Core>
  restartDelayMs?: number
}

function setup(options: SetupOptions = {}) {
  const processes: FakeCoreProcess[] = []
  const stopped: number[] = []
  const api = createApiClient()
  const host = createCoreHost<FakePort>({
    fork: () => {
      const generation = processes.length + 1
      const start = (): Promise<Core> => Promise.resolve(fakeCore(generation, stopped))
      const proc = new FakeCoreProcess((init) => (options.createCore === undefined ? start() : options.createCore(generation, init, start)))
      processes.push(proc)
      return proc
    },
    createChannel: fakeChannel,
    toApiPort: mainPortToApiPort,
    api,
    log: createShellLog('test', () => undefined)
  }, {
    dataDir: '/nowhere',
    mdns: false,
    restartDelayMs: options.restartDelayMs ?? 5,
    stopTimeoutMs: 500,
    ...(options.storeKey === undefined ? {} : { storeKey: options.storeKey })
  })
  return { host, api, processes, stopped }
}

function windowClient(port: FakePort | undefined): ReturnType<typeof createApiClient> {
  assert.ok(port !== undefined, 'the window received a port')
  const client = createApiClient()
  client.attach(mainPortToApiPort(port))
  return client
}

test('main and each loaded page get their own API connection to the core', async () => {
  const { host, api, stopped } = setup()
  const ready: PeerIdString[] = []
  let connected = 0
  host.onReady((peerId) => ready.push(peerId))
  host.onWindowConnected(() => { connected++ })
  const window = new FakeWindow()
  host.attach(window)
  host.start()

  assert.equal((await api.call('node.info', {})).peerId, '12D3KooWcore1')
  assert.deepEqual(ready, ['12D3KooWcore1'])
  assert.equal(window.received.length, 0, 'no port before the page has loaded')

  window.load()
  const page = windowClient(window.received[0])
  const links: LinkTarget[] = []
  page.on('shell.linkOpened', (target) => links.push(target))
  await until(() => connected === 1, 'the window connection')
  assert.equal((await page.call('node.info', {})).version, '1')

  // A deep link main hands to the core reaches the page as an event.
  await api.call('shell.openLink', { url: 'enclave://peer/x' })
  await until(() => links.length === 1, 'shell.linkOpened in the page')

  window.load()
  assert.equal(window.received.length, 2, 'a reloaded page gets a new port')
  assert.equal((await windowClient(window.received[1]).call('node.info', {})).version, '1')

  await host.stop()
  assert.deepEqual(stopped, [1])
})

test('a crashed core is restarted and everyone gets a new port', async () => {
  const { host, api, processes } = setup()
  const window = new FakeWindow()
  host.attach(window)
  host.start()
  window.load()
  await api.call('node.info', {})

  processes[0]?.exit(1)
  await assert.rejects(api.call('node.info', {}), (err: unknown) => err instanceof ApiCallError && err.code === 'node-not-running')
  await until(() => processes.length === 2 && window.received.length === 2, 'the restart')
  assert.equal((await api.call('node.info', {})).version, '2')
  assert.equal((await windowClient(window.received[1]).call('node.info', {})).version, '2')

  await host.stop()
})

test('stop shuts the core down cleanly and does not restart it', async () => {
  const { host, api, processes, stopped } = setup()
  host.start()
  await api.call('node.info', {})
  await host.stop()
  assert.deepEqual(stopped, [1])
  await new Promise((resolve) => setTimeout(resolve, 30))
  assert.equal(processes.length, 1)
  host.start()
  assert.equal(processes.length, 1, 'a stopped host stays stopped')
})

const storeLocked = (message: string): Error => Object.assign(new Error(message), { code: 'store-locked' })

test('a data key reaches the core over the host channel, and neither side keeps its copy', async () => {
  const given = new Uint8Array(32).fill(7)
  const received: Uint8Array[] = []
  let seen: number[] = []
  const { host, api, processes } = setup({
    storeKey: () => Promise.resolve({ kind: 'data-key', key: given }),
    createCore: (_generation, init, start) => {
      if (init.storeKey?.kind !== 'data-key') assert.fail('the core got no data key')
      received.push(init.storeKey.key)
      seen = [...init.storeKey.key]
      return start()
    }
  })
  host.start()
  // The key is fetched asynchronously: main's API is attached when the process starts.
  await until(() => processes.length === 1, 'the core process')
  assert.equal((await api.call('node.info', {})).version, '1')
  assert.deepEqual(seen, new Array<number>(32).fill(7), 'the core got the key intact')
  assert.ok(given.every((byte) => byte === 0), 'main zeroed its copy once posted')
  assert.equal(received.length, 1)
  assert.ok(received[0]?.every((byte) => byte === 0), 'the core process zeroed the copy it was sent')
  await host.stop()
})

test('a refused passphrase restarts the core at once (no backoff), and the key source hears why', async () => {
  const failures: Array<ApiError | null> = []
  const { host, api, processes } = setup({
    restartDelayMs: 60_000,
    storeKey: (failure) => {
      failures.push(failure)
      return Promise.resolve({ kind: 'passphrase', passphrase: failures.length === 1 ? 'wrong' : 'right' })
    },
    createCore: (_generation, init, start) => (init.storeKey?.kind === 'passphrase' && init.storeKey.passphrase === 'right' ? start() : Promise.reject(storeLocked('wrong passphrase')))
  })
  host.start()
  await until(() => processes.length === 2, 'the second start')
  assert.equal((await api.call('node.info', {})).version, '2')
  assert.deepEqual(failures, [null, { code: 'store-locked', message: 'wrong passphrase' }])
  await host.stop()
})

test('without a store key the core stays down and onFailed says why', async () => {
  const errors: ApiError[] = []
  const { host, processes } = setup({ storeKey: () => Promise.reject(storeLocked('no passphrase was given')) })
  host.onFailed((error) => errors.push(error))
  host.start()
  await until(() => errors.length === 1, 'onFailed')
  assert.deepEqual(errors, [{ code: 'store-locked', message: 'no passphrase was given' }])
  assert.equal(processes.length, 0)
  await host.stop()
})

test('stopping while the key is asked for starts no core and wipes the key that comes later', async () => {
  let answer: (key: StoreKeyInit) => void = () => undefined
  const { host, processes } = setup({ storeKey: () => new Promise((resolve) => { answer = resolve }) })
  host.start()
  host.start()
  await host.stop()
  const key = new Uint8Array(32).fill(9)
  answer({ kind: 'data-key', key })
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(processes.length, 0)
  assert.ok(key.every((byte) => byte === 0))
})

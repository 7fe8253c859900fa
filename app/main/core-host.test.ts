import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { mainPortToApiPort, type MainMessagePort } from '../../src/api/message-port.js'
import { createApiServer, type Handlers } from '../../src/api/server.js'
import { serveCore } from '../core/serve-core.js'
import { API_PORT_CHANNEL } from '../preload/forward-port.js'
import { ApiCallError, createApiClient } from './api-client.js'
import { createCoreHost, type CoreProcess, type PortReceiver } from './core-host.js'
import { createShellLog } from './shell-log.js'
import type { LinkTarget, NodeInfo, PeerIdString } from '../../src/api/contract.js'
import type { HostMessage } from '../core/host-messages.js'
import type { Core } from '../../src/index.js'

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
  return { peerId, api, info: () => info, stop: () => { stopped.push(generation); return Promise.resolve() } }
}

/** A utility process running the real serveCore over a fake parentPort. */
class FakeCoreProcess extends EventEmitter implements CoreProcess<FakePort> {
  private readonly parent = new EventEmitter()
  private readonly ports: FakePort[] = []
  private exited = false

  constructor(createCore: () => Promise<Core>) {
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

function setup() {
  const processes: FakeCoreProcess[] = []
  const stopped: number[] = []
  const api = createApiClient()
  const host = createCoreHost<FakePort>({
    fork: () => {
      const generation = processes.length + 1
      const proc = new FakeCoreProcess(() => Promise.resolve(fakeCore(generation, stopped)))
      processes.push(proc)
      return proc
    },
    createChannel: fakeChannel,
    toApiPort: mainPortToApiPort,
    api,
    log: createShellLog('test', () => undefined)
  }, { dataDir: '/nowhere', mdns: false, restartDelayMs: 5, stopTimeoutMs: 500 })
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
